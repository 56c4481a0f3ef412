#pragma once
// Chang–Roberts ring election (1979) as a pure state machine behind
// nodes/elector.h: the highest live id wins.
//
// The nodes form a logical ring in id rank order (ids rank by length, then
// alphabetically, as in bully::Outranks, so n10 follows n9; the highest wraps
// around to the lowest). A node that misses its leader for a leader timeout
// starts an election: it becomes a candidate and sends "election" carrying its
// own id to its successor. A node that receives an election forwards the
// higher of the carried id and its own, unless it has already forwarded an
// election carrying that id or a higher one (the Chang–Roberts suppression). A
// node that receives an election carrying its own id has won: it becomes
// leader and sends "elected" around the ring; every node that receives it
// follows that leader and passes it on until it returns to the leader. The
// leader sends "elected" again every heartbeat as the followers' sign of life,
// each time with a new round number; a node acts on each round of its leader
// once and drops later copies of it (see below: a hop may send one twice).
// A node that hears of a leader it outranks starts an election instead (so a
// returning higher node takes over); a leader that forwards an election
// carrying a higher id steps down to candidate.
//
// Every ring message is acknowledged hop by hop with "ack". A sender that gets
// no ack within the ack timeout skips that successor and tries the next one,
// so the ring repairs around dead nodes. A message is dropped instead when the
// node that gives no ack is the one the message is about (the carried id of an
// election, the leader of an "elected"): that node is dead, so the message
// would otherwise circle forever. (Nodes that forwarded such an election still
// suppress lower ones until they hear of a leader or their own leader timeout
// starts a fresh election.) A message whose skips wrap around to its
// sender is delivered to the sender itself (a lone node elects itself). A
// successor that is slow rather than dead still passes on what it got, so a
// skip may leave two copies going round (as a duplicating network does): hence
// the rounds, and a node wins only when the election it still runs comes back
// (its id is still the highest it has sent), not on a stale copy of one that
// ended when it began to lead or follow.
// (A restarted node counts its rounds from 1 again, but it leads only after
// its election went round, and every node that passed that on became a
// candidate and forgot the old rounds; a node the election missed ignores the
// new rounds until its own leader timeout starts an election.)
//
// Ring has no terms, no votes and no quorum: its role events carry no "term",
// it prints no vote events, and a partition leaves a leader on each side. It
// keeps nothing durable. Messages (fields beyond the envelope):
//   election {"id": carried id, "seq": n}
//   elected  {"leader": id, "round": r, "seq": n}
//   ack      {"seq": n}      (n is the sender's sequence number of the message acked)
//
// Not thread-safe: the caller serializes all calls.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/elector.h"

namespace schism::nodes::ring {

// The message types on the wire.
inline constexpr std::string_view kElection = "election";
inline constexpr std::string_view kElected = "elected";
inline constexpr std::string_view kAck = "ack";

struct Config {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  int heartbeat_ticks = 5;         // How often a leader re-sends "elected".
  // How long a sender waits for a hop's ack before it skips that successor.
  int ack_timeout_ticks = 4;
  // How long a follower or candidate goes without hearing of its leader before
  // it starts an election, drawn uniformly from [min, max] at each reset.
  int leader_timeout_min_ticks = 30;
  int leader_timeout_max_ticks = 60;
  std::uint64_t seed = 0;  // Seeds the node's own RNG (leader timeouts).
};

class Ring final : public Elector {
 public:
  enum class Role { kFollower, kCandidate, kLeader };

  // Builds a follower that knows no leader; the first Ready carries its role
  // event. Requires a non-empty id, peers that do not include it, and positive
  // tick counts with leader_timeout_min_ticks <= leader_timeout_max_ticks
  // (asserted).
  explicit Ring(Config config);

  void Tick() override;
  bool Step(const Envelope& message) override;
  ElectorReady TakeReady() override;
  bool HasReady() const override { return !ready_.empty(); }

  Role role() const { return role_; }
  // The leader this node follows (itself when leading); empty when unknown.
  const std::string& leader() const { return leader_; }

 private:
  // A ring message this node sent and no hop has acknowledged yet.
  struct Pending {
    std::uint64_t seq = 0;
    std::string type;
    std::string subject;      // The carried id or the leader: who the message is about.
    std::uint64_t round = 0;  // An announcement's round (elected only).
    int distance = 1;         // Ring steps from this node to the current addressee.
    int waited = 0;           // Ticks since it was sent to that addressee.
  };

  const std::string& At(int distance) const;  // The node `distance` steps along the ring.
  bool InRing(const std::string& id) const;
  void ResetLeaderTimeout();

  void BecomeFollower(const std::string& leader, std::uint64_t round);
  void BecomeCandidate();
  void BecomeLeader();
  void StartElection();

  void OnElection(const std::string& carried);
  void OnElected(const std::string& leader, std::uint64_t round);
  void OnAck(std::uint64_t seq);
  // Handles a ring message that reached this node, from a peer or (after every
  // successor was skipped) from itself.
  void OnRingMessage(const std::string& type, const std::string& subject, std::uint64_t round);

  // Sends a ring message about `subject` to the successor and waits for its ack.
  // `round` is an announcement's (elected only).
  void SendAround(std::string_view type, const std::string& subject, std::uint64_t round = 0);
  void SendToAddressee(const Pending& pending);
  // What became of a pending message when its addressee gave no ack.
  enum class Hop { kSent, kDropped, kWrapped };
  // Moves past an addressee that gave no ack: sends the message on to the
  // next node, or drops it (the addressee is its subject), or reports that it
  // wrapped around to this node and must be delivered here.
  Hop SkipAddressee(Pending& pending);
  void TickPending();
  void ReportRoleIfChanged();

  const Config config_;
  std::vector<std::string> ring_;  // Every node in rank order.
  int position_ = 0;               // This node's index in ring_.
  std::mt19937_64 rng_;

  Role role_ = Role::kFollower;
  std::string leader_;
  std::uint64_t round_ = 0;  // The round of leader_'s announcement this node last acted on.
  // The round of this node's own latest announcement: it only rises, even
  // across spells of leading, so followers never take a new one for a copy.
  std::uint64_t next_round_ = 0;
  // The highest id this node has sent in an election since the last one ended
  // (empty when none): lower elections are suppressed, as in Chang–Roberts.
  std::string forwarded_;
  int elapsed_ = 0;  // Ticks since the leader was last heard of (or the election began).
  int heartbeat_elapsed_ = 0;
  int leader_timeout_ = 0;  // The randomized timeout, drawn at each reset.

  std::uint64_t next_seq_ = 1;
  std::vector<Pending> pending_;

  ElectorReady ready_;
  std::optional<ContractEvent> last_role_event_;
};

// The table's hooks (nodes/electors.cc); see ElectorSpec.
std::string CheckSetup(const ElectorSetup& setup);
std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error);

}  // namespace schism::nodes::ring
