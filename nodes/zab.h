#pragma once
// ZooKeeper's leader election, ZAB's Fast Leader Election (FLE) followed by
// ZAB's discovery phase, as a pure state machine behind nodes/elector.h.
//
// Votes. A vote proposes a leader: (leader id, the leader's last zxid, the
// leader's current epoch). Votes are ordered by epoch, then zxid, then id
// (ids rank by length, then alphabetically, so n10 outranks n9).
//
// LOOKING (reported as candidate). A looking node bumps its round (FLE's
// logical clock), proposes itself and sends a "notification" to every peer,
// again every heartbeat since datagrams get lost (backing off while its vote
// stands, when resend_max_ticks allows: N nodes re-sending to N-1 peers every
// heartbeat is what keeps 101 looking nodes busy). On a notification of a
// looking peer in a higher round it jumps to that round, forgets the votes it
// had and proposes the better of the peer's vote and its own; in its own round
// it adopts (and re-sends) any better vote; a peer in a lower round gets this
// node's notification back so it can catch up. When a quorum of the cluster
// (itself included) votes for its proposal in its round, it waits the finalize
// window for a better vote to arrive and, if none did, decides: the proposed
// leader goes LEADING, every other node FOLLOWING. A node that is not looking
// answers a looking peer's notification with its decided vote and its state; a
// looking node that hears the same vote from a quorum of non-looking peers, the
// leader among them, follows that leader at once (how a restarted node joins).
//
// Discovery. A follower sends "follower-info" with its accepted epoch to its
// leader (again every heartbeat until it is synced). The leader, once it holds
// the accepted epochs of a quorum (its own included), proposes the epoch
// 1 + their maximum, accepts it itself and answers every follower-info with
// "leader-info". A follower acks ("ack-epoch") an epoch greater than the one it
// accepted, or the same epoch from the same leader again; it accepts it first,
// durably, and prints a vote for the leader in that epoch. Any other epoch
// means that leader is stale: the follower looks again (and does not rejoin
// that leader through its followers' answers). So a node acks at most
// one leader per epoch, and an epoch has at most one leader. The leader that
// holds the acks of a quorum is established: the epoch becomes its current
// epoch and the term of its role events, its last zxid becomes epoch << 32 (a
// leader's first transaction; there is no log), and it starts sending "ping".
// A follower's first ping of its leader's epoch syncs it: it takes over the
// epoch and zxid and reports the leader.
//
// Liveness. Followers answer pings with "ping-ack". A follower that hears no
// ping for a leader timeout (drawn from [min, max] with the seeded RNG at each
// reset), or is not synced within one, looks again; so does a leader that is
// not established within one. An established leader that has not heard a
// quorum (itself included) of ping-acks within the shortest leader timeout
// steps down to looking, so a leader cut off in a minority stops leading.
//
// Contract events: role lines carry "term" = the accepted epoch (the
// established epoch for a leader and a synced follower), which never goes
// back; a vote line ({"for": leader, "term": epoch}) is printed when a node
// accepts an epoch from a leader, including the leader's own.
//
// Durable state (ElectorReady::state, written before the messages that depend
// on it): {"acceptedEpoch":E,"currentEpoch":E,"ackedLeader":"n3","lastZxid":Z,
// "round":R,"vote":{"leader":"n3","zxid":Z,"epoch":E}}, "ackedLeader" null
// before the first epoch. A restarted node restores it and starts looking in
// the next round. Wire fields: a notification has "leader", "zxid", "epoch",
// "round" and "state" ("looking", "following" or "leading"); every other
// message has "epoch" (the accepted epoch in follower-info), and a ping "zxid".
//
// Not thread-safe: the caller serializes all calls.

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/elector.h"

namespace schism::nodes::zab {

// Deliberate defects, off by default.
enum class Bug {
  kNone,
  // A follower acks a leader-info whose epoch is not greater than the one it
  // accepted (taking it over, even from a second leader of that epoch), so two
  // leaders can hold the same epoch.
  kAcceptOldEpoch,
  // Every quorum (election, epoch proposal, epoch acks, ping-acks) is two
  // nodes instead of a majority, so each side of a partition elects a leader,
  // often in the same epoch.
  kNoQuorum,
};

// The message types on the wire.
inline constexpr std::string_view kNotification = "notification";
inline constexpr std::string_view kFollowerInfo = "follower-info";
inline constexpr std::string_view kLeaderInfo = "leader-info";
inline constexpr std::string_view kAckEpoch = "ack-epoch";
inline constexpr std::string_view kPing = "ping";
inline constexpr std::string_view kPingAck = "ping-ack";

// A proposal of a leader.
struct Vote {
  std::string leader;
  std::uint64_t zxid = 0;   // The proposed leader's last zxid.
  std::uint64_t epoch = 0;  // The proposed leader's current epoch.

  friend bool operator==(const Vote&, const Vote&) = default;
};

// True when vote `a` is better than `b`: higher epoch, then zxid, then id.
bool Better(const Vote& a, const Vote& b);

// What a node keeps across restarts.
struct Durable {
  std::uint64_t accepted_epoch = 0;  // The highest epoch this node acked.
  std::uint64_t current_epoch = 0;   // The epoch of the last leader it synced with (or was).
  std::string acked_leader;          // Who it acked accepted_epoch for; "" before any.
  std::uint64_t last_zxid = 0;
  std::uint64_t round = 0;  // FLE's logical clock.
  Vote vote;                // Its last proposal or decision.

  friend bool operator==(const Durable&, const Durable&) = default;
};

// The state file's JSON (see the file comment) and back; FromJson returns
// false, with *why set to one line, for anything else.
Json ToJson(const Durable& durable);
bool FromJson(const Json& json, Durable* durable, std::string* why);

struct Config {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  // Leader: pings. Looking: notification re-sends. Following: follower-info re-sends.
  int heartbeat_ticks = 5;
  // A looking node whose vote stands re-sends it at heartbeat_ticks, then at
  // twice the last interval, up to this (a change of its vote starts again at
  // heartbeat_ticks). Not above heartbeat_ticks: a re-send every heartbeat.
  int resend_max_ticks = 5;
  // How long a looking node waits for a better vote once a quorum agrees.
  int finalize_ticks = 10;
  // See "Liveness" in the file comment.
  int leader_timeout_min_ticks = 30;
  int leader_timeout_max_ticks = 60;
  Bug bug = Bug::kNone;
  std::uint64_t seed = 0;  // Seeds the node's own RNG (leader timeouts).
};

class Zab final : public Elector {
 public:
  enum class State { kLooking, kFollowing, kLeading };

  // Builds a node from its restored durable state (default for a fresh node)
  // that starts looking in the next round; the first Ready carries its role
  // event, the state with the new round, and its notifications. Requires a
  // non-empty id and positive tick counts with leader_timeout_min_ticks <=
  // leader_timeout_max_ticks (asserted).
  Zab(Config config, Durable restored);

  void Tick() override;
  bool Step(const Envelope& message) override;
  ElectorReady TakeReady() override;
  bool HasReady() const override { return !ready_.empty() || broadcast_pending_; }

  State state() const { return state_; }
  // The leader this node decided for (itself when leading); "" while looking.
  const std::string& leader() const { return leader_; }
  // Leading: established by a quorum of acks. Following: synced by a ping.
  bool established() const { return established_; }
  const Durable& durable() const { return durable_; }

 private:
  struct Notification {
    Vote vote;
    std::uint64_t round = 0;
    State state = State::kLooking;
  };

  bool IsPeer(const std::string& id) const;
  std::size_t Quorum() const;
  Vote SelfVote() const;
  void ResetLeaderTimeout();

  // Election.
  void StartLooking();
  void OnNotification(const std::string& from, const Notification& n);
  void OnLookingPeer(const std::string& from, const Notification& n);
  void OnDecidedPeer(const std::string& from, const Notification& n);
  bool QuorumVotesFor(const Vote& vote) const;
  void Propose(const Vote& vote);
  void Decide(const Vote& vote);

  // Discovery and liveness.
  void OnFollowerInfo(const std::string& from, std::uint64_t accepted_epoch);
  void MaybeProposeEpoch();
  void OnLeaderInfo(const std::string& from, std::uint64_t epoch);
  bool MayAck(const std::string& leader, std::uint64_t epoch) const;
  void OnAckEpoch(const std::string& from, std::uint64_t epoch);
  void MaybeEstablish();
  void OnPing(const std::string& from, std::uint64_t epoch, std::uint64_t zxid);
  void OnPingAck(const std::string& from, std::uint64_t epoch);
  void TickLeader();
  bool HearsQuorum() const;

  // Output.
  void SendNotification(const std::string& to);
  // Marks the vote for every peer; it goes out once, as it then is, with the
  // next Ready: the changes of one batch of notifications cost N-1
  // datagrams, not N-1 per change (at 101 nodes started together, each node
  // changes its vote several times per batch).
  void BroadcastNotification();
  void FlushBroadcast();
  void SendPing(const std::string& to);
  void Send(std::string_view type, const std::string& to, Json fields);
  void Persist();
  void ReportRoleIfChanged();

  const Config config_;
  std::mt19937_64 rng_;
  Durable durable_;
  std::optional<Json> persisted_;  // What the last Ready's state said.

  State state_ = State::kLooking;
  std::string leader_;
  bool established_ = false;
  std::int64_t now_ = 0;  // Ticks since the node started.
  int elapsed_ = 0;       // Ticks since the leader timeout was reset.
  int heartbeat_elapsed_ = 0;
  int resend_ticks_ = 0;  // Looking: the interval of the next re-send.
  int leader_timeout_ = 0;

  // Looking: the votes of looking peers in this round, and the decided votes
  // (with whether their sender leads) of the others.
  std::map<std::string, Vote> received_;
  std::map<std::string, Notification> out_of_election_;
  std::optional<int> finalize_elapsed_;  // Set while the finalize window runs.
  std::optional<Vote> rejected_;  // The decided vote of a leader that proposed a stale epoch.

  // Leading: accepted epochs by follower (self included), the epoch proposed,
  // who acked it, and when each follower was last heard (in now_ ticks).
  std::map<std::string, std::uint64_t> infos_;
  std::optional<std::uint64_t> new_epoch_;
  std::set<std::string> acks_;
  std::map<std::string, std::int64_t> last_heard_;

  ElectorReady ready_;
  bool broadcast_pending_ = false;  // See BroadcastNotification.
  std::optional<ContractEvent> last_role_event_;
};

// The table's hooks (nodes/electors.cc); see ElectorSpec.
std::string CheckSetup(const ElectorSetup& setup);
std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error);

}  // namespace schism::nodes::zab
