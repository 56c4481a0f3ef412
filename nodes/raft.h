#pragma once
// Raft leader election as a pure state machine, in the spirit of etcd-io/raft.
//
// A Raft node never touches a socket, a clock, a thread, a file or a global
// random generator. Time is a count of ticks (Tick()); messages come in through
// Step(). Both accumulate their effects into a Ready batch that the caller takes
// with TakeReady() and then applies in this order:
//
//   1. durably write Ready::hard_state, if present;
//   2. publish Ready::reports (role changes and granted votes);
//   3. send Ready::messages.
//
// Writing the hard state before anything leaves the node is what makes a vote
// binding across restarts. Only leader election is implemented: there is no
// log, so the "candidate's log is up to date" check is trivially satisfied.
//
// Features: terms, RequestVote, heartbeats (AppendEntries without entries),
// step-down on any higher term, randomized election timeouts from a seeded RNG,
// check-quorum, optional pre-vote, and vote requests that are re-sent every
// heartbeat interval to peers that have not answered (the transport is lossy).
// Two deliberate bugs (Config::bug) let a harness prove that its checkers bite.
//
// Not thread-safe: the caller serializes all calls.

#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schism::nodes {

// What a node currently is. kPreCandidate is the pre-vote phase: the node asks
// whether it could win an election without touching its term.
enum class Role { kFollower, kPreCandidate, kCandidate, kLeader };

// Deliberate defects, off by default.
enum class Bug {
  kNone,
  // Grants every RequestVote whose term is >= the current term, ignoring whom it
  // already voted for, even while being a candidate or a leader itself.
  kDoubleVote,
  // Never includes votedFor in the persisted hard state (the term still is), so
  // a restarted node may vote a second time in a term it already voted in.
  kForgetVote,
  // A leader never steps down: not when check-quorum finds it cut off from a
  // majority, and not for a message of a higher term (which it ignores), so
  // a leader left on a minority side goes on claiming leadership.
  kNoStepDown,
};

enum class MessageType {
  kPreVote,          // "may I campaign at `term`?" (term = sender's term + 1)
  kPreVoteResponse,  // granted, or rejected with the responder's term
  kRequestVote,      // "vote for me in `term`"
  kRequestVoteResponse,
  kHeartbeat,          // from the leader of `term`
  kHeartbeatResponse,  // from a follower; carries its term
};

struct Message {
  MessageType type = MessageType::kHeartbeat;
  std::string from;
  std::string to;
  std::uint64_t term = 0;
  bool granted = false;  // Only meaningful in vote and pre-vote responses.

  friend bool operator==(const Message&, const Message&) = default;
};

// The state that must survive a restart.
struct HardState {
  std::uint64_t term = 0;
  std::string voted_for;  // Empty when the node has not voted in `term`.

  friend bool operator==(const HardState&, const HardState&) = default;
};

// Something the outside world should be told (elector contract v1 events).
struct Report {
  enum class Kind { kRole, kVote };
  Kind kind = Kind::kRole;
  // kRole: kLeader, kFollower or kCandidate, never kPreCandidate (a pre-candidate
  // is reported as a follower that knows no leader, since its term is unchanged).
  Role role = Role::kFollower;
  std::uint64_t term = 0;
  // kRole: the leader this node believes in, empty when unknown; a leader
  // reports itself. kVote: the candidate the vote was granted to.
  std::string node;

  friend bool operator==(const Report&, const Report&) = default;
};

// The output of one or more Tick()/Step() calls; see the file comment for the
// order in which the caller must apply it.
struct Ready {
  std::optional<HardState> hard_state;  // Set when the persisted state changed.
  std::vector<Report> reports;
  std::vector<Message> messages;

  bool empty() const { return !hard_state && reports.empty() && messages.empty(); }
};

struct Config {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  // An election timeout is drawn uniformly from [election_min_ticks,
  // election_max_ticks] each time the timer is reset. election_min_ticks is also
  // the "election timeout" of check-quorum and of the pre-vote leader lease.
  int election_min_ticks = 15;
  int election_max_ticks = 30;
  int heartbeat_ticks = 5;  // Leader heartbeats and candidate vote re-sends.
  bool pre_vote = false;
  bool check_quorum = true;
  Bug bug = Bug::kNone;
  std::uint64_t seed = 0;  // Seeds the node's own RNG (election timeouts).
};

// Returns a lower-case name for logs and tests, e.g. "pre-candidate", "request-vote".
std::string_view ToString(Role role);
std::string_view ToString(MessageType type);

class Raft {
 public:
  // Builds a follower from `restored` (its term and vote; {} for a fresh node).
  // The first Ready carries a role report for that initial state. Requires a
  // non-empty id, 1 <= election_min_ticks <= election_max_ticks and
  // heartbeat_ticks >= 1 (asserted).
  Raft(Config config, HardState restored);

  Raft(const Raft&) = delete;
  Raft& operator=(const Raft&) = delete;

  // Advances logical time by one tick: may start a (pre-)election, send
  // heartbeats, re-send unanswered vote requests, or make a leader without a
  // quorum step down.
  void Tick();

  // Processes one message addressed to this node. Messages for another node or
  // from a node that is not a peer are ignored.
  void Step(const Message& message);

  // Returns everything accumulated since the last call and starts a new batch.
  Ready TakeReady();

  // True when TakeReady() would return a non-empty batch.
  bool HasReady() const;

  // Returns this node's id.
  const std::string& id() const { return config_.id; }
  // Returns the current role (kPreCandidate included, unlike in reports).
  Role role() const { return role_; }
  // Returns the current term.
  std::uint64_t term() const { return term_; }
  // Returns whom this node voted for in the current term; empty if nobody.
  const std::string& voted_for() const { return voted_for_; }
  // Returns the leader this node believes in for the current term; empty when unknown.
  const std::string& leader() const { return leader_; }
  // Returns the hard state as it is persisted (without votedFor under Bug::kForgetVote).
  HardState PersistedState() const;

 private:
  int Quorum() const { return static_cast<int>(config_.peers.size() + 1) / 2 + 1; }
  bool IsPeer(const std::string& id) const;
  // True while a follower has heard from a live leader within the election
  // timeout; such a node refuses pre-votes. A leader is always in lease.
  bool InLease() const;

  void BecomeFollower(std::uint64_t term, const std::string& leader);
  void BecomePreCandidate();
  void BecomeCandidate();
  void BecomeLeader();
  void ResetTimers();
  // Starts a pre-vote round (pre_vote) or a real election.
  void Campaign(bool pre_vote);
  // Counts a (pre-)vote answer and promotes or demotes on a decision.
  void Poll(const std::string& from, bool granted);

  void TickElection();
  void TickHeartbeat();
  void BroadcastHeartbeat();
  void SendVoteRequests(bool only_unanswered);

  void StepFollower(const Message& m);
  void StepCandidate(const Message& m);
  void StepLeader(const Message& m);
  void HandleVoteRequest(const Message& m);
  void HandlePreVoteRequest(const Message& m);

  void Send(MessageType type, const std::string& to, std::uint64_t term, bool granted = false);
  void ReportRoleIfChanged();
  void ReportVote(const std::string& candidate);

  const Config config_;
  std::mt19937_64 rng_;

  Role role_ = Role::kFollower;
  std::uint64_t term_ = 0;
  std::string voted_for_;
  std::string leader_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;

  // Candidate and pre-candidate: the answers received in this round (self included).
  std::map<std::string, bool> votes_;
  // Leader: peers heard from since the last check-quorum.
  std::map<std::string, bool> recent_active_;

  Ready ready_;
  HardState last_persisted_;
  std::optional<Report> last_role_report_;
  std::optional<std::pair<std::uint64_t, std::string>> last_vote_report_;
};

}  // namespace schism::nodes
