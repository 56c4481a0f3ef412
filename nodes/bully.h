#pragma once
// The Bully algorithm (Garcia-Molina, 1982) as a pure state machine behind
// nodes/elector.h: the highest live id wins.
//
// A node that misses its coordinator for a leader timeout starts an election:
// it sends "election" to every node that outranks it and becomes a candidate.
// A node that receives "election" from a lower one answers "answer" and starts
// an election of its own. A candidate that hears an answer waits as a follower
// without a leader for a "coordinator"; one that hears none within the answer
// timeout has won: it becomes leader and sends "coordinator" to everyone, and
// keeps sending it every heartbeat as the followers' sign of life. A node that
// hears a coordinator it outranks bullies it with an election of its own; one
// that is outranked follows it (a leader steps down).
//
// Bully has no terms and no votes: its role events carry no "term", and it
// prints no vote events. It keeps nothing durable (a restarted node simply
// runs an election when its leader timeout expires). Messages carry no fields
// beyond the envelope. Ids are ranked by length, then alphabetically, so that
// n10 outranks n9.
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

namespace schism::nodes::bully {

// Deliberate defects, off by default.
enum class Bug {
  kNone,
  // A leader never steps down, not even for a coordinator that outranks it, so
  // two leaders stay leaders after a partition heals.
  kStubbornLeader,
  // Never answers an election, so every lower candidate wins its election too
  // until the true winner's coordinator arrives.
  kNoAnswer,
};

// The message types on the wire.
inline constexpr std::string_view kElection = "election";
inline constexpr std::string_view kAnswer = "answer";
inline constexpr std::string_view kCoordinator = "coordinator";

struct Config {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  // Leader: coordinator re-sends. Candidate: election re-sends to silent peers.
  int heartbeat_ticks = 5;
  // How long a candidate waits for an answer before it declares itself leader.
  int answer_timeout_ticks = 10;
  // How long a follower goes without a coordinator before it starts an
  // election, drawn uniformly from [min, max] each time the timer is reset.
  int leader_timeout_min_ticks = 15;
  int leader_timeout_max_ticks = 30;
  Bug bug = Bug::kNone;
  std::uint64_t seed = 0;  // Seeds the node's own RNG (leader timeouts).
};

// True when id `a` outranks id `b`: longer, or as long and alphabetically later.
bool Outranks(std::string_view a, std::string_view b);

class Bully final : public Elector {
 public:
  enum class Role { kFollower, kCandidate, kLeader };

  // Builds a follower that knows no leader; the first Ready carries its role
  // event. Requires a non-empty id and positive tick counts with
  // leader_timeout_min_ticks <= leader_timeout_max_ticks (asserted).
  explicit Bully(Config config);

  void Tick() override;
  bool Step(const Envelope& message) override;
  ElectorReady TakeReady() override;
  bool HasReady() const override { return !ready_.empty(); }

  Role role() const { return role_; }
  // The leader this node follows (itself when leading); empty when unknown.
  const std::string& leader() const { return leader_; }

 private:
  bool IsPeer(const std::string& id) const;
  void ResetLeaderTimeout();

  void BecomeFollower(const std::string& leader);
  void BecomeLeader();
  // Becomes a candidate and sends "election" to every peer that outranks this
  // node, or becomes leader at once when there is none.
  void StartElection();
  void SendElections();
  void Broadcast(std::string_view type);
  void Send(std::string_view type, const std::string& to);
  void ReportRoleIfChanged();

  const Config config_;
  std::mt19937_64 rng_;

  Role role_ = Role::kFollower;
  std::string leader_;
  int elapsed_ = 0;  // Ticks since the current role began (or the leader was last heard).
  int heartbeat_elapsed_ = 0;
  int leader_timeout_ = 0;  // The follower's randomized timeout, drawn at each reset.
  // A higher node answered this node's election: until its coordinator comes or
  // the leader timeout expires, this node answers elections from below without
  // starting one of its own again. Without this, every election from below
  // restarted one upwards, and a 101-node cluster drowned in N^2 elections per
  // election (docs/electors.md, "101 nodes").
  bool answered_ = false;

  ElectorReady ready_;
  std::optional<ContractEvent> last_role_event_;
};

// The table's hooks (nodes/electors.cc); see ElectorSpec.
std::string CheckSetup(const ElectorSetup& setup);
std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error);

}  // namespace schism::nodes::bully
