#include "nodes/raft.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace schism::nodes {

std::string_view ToString(Role role) {
  switch (role) {
    case Role::kFollower:
      return "follower";
    case Role::kPreCandidate:
      return "pre-candidate";
    case Role::kCandidate:
      return "candidate";
    case Role::kLeader:
      return "leader";
  }
  return "?";
}

std::string_view ToString(MessageType type) {
  switch (type) {
    case MessageType::kPreVote:
      return "pre-vote";
    case MessageType::kPreVoteResponse:
      return "pre-vote-response";
    case MessageType::kRequestVote:
      return "request-vote";
    case MessageType::kRequestVoteResponse:
      return "request-vote-response";
    case MessageType::kHeartbeat:
      return "heartbeat";
    case MessageType::kHeartbeatResponse:
      return "heartbeat-response";
  }
  return "?";
}

Raft::Raft(Config config, HardState restored)
    : config_(std::move(config)),
      rng_(config_.seed),
      term_(restored.term),
      voted_for_(std::move(restored.voted_for)) {
  assert(!config_.id.empty());
  assert(config_.election_min_ticks >= 1);
  assert(config_.election_min_ticks <= config_.election_max_ticks);
  assert(config_.heartbeat_ticks >= 1);
  last_persisted_ = PersistedState();  // What we were restored from is already durable.
  ResetTimers();
  ReportRoleIfChanged();
}

HardState Raft::PersistedState() const {
  HardState state{term_, voted_for_};
  if (config_.bug == Bug::kForgetVote) state.voted_for.clear();
  return state;
}

bool Raft::IsPeer(const std::string& id) const {
  return std::find(config_.peers.begin(), config_.peers.end(), id) != config_.peers.end();
}

bool Raft::InLease() const {
  if (role_ == Role::kLeader) return true;
  return !leader_.empty() && election_elapsed_ < config_.election_min_ticks;
}

Ready Raft::TakeReady() {
  HardState state = PersistedState();
  if (state != last_persisted_) {
    ready_.hard_state = state;
    last_persisted_ = std::move(state);
  }
  Ready out = std::move(ready_);
  ready_ = Ready{};
  return out;
}

bool Raft::HasReady() const { return !ready_.empty() || PersistedState() != last_persisted_; }

// ---- role transitions ----

void Raft::ResetTimers() {
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  const auto span =
      static_cast<std::uint64_t>(config_.election_max_ticks - config_.election_min_ticks + 1);
  randomized_election_timeout_ = config_.election_min_ticks + static_cast<int>(rng_() % span);
}

void Raft::BecomeFollower(std::uint64_t term, const std::string& leader) {
  if (term != term_) {
    term_ = term;
    voted_for_.clear();
  }
  role_ = Role::kFollower;
  leader_ = leader;
  ResetTimers();
  ReportRoleIfChanged();
}

void Raft::BecomePreCandidate() {
  // The term and the vote stay as they are: a pre-vote changes nothing durable.
  role_ = Role::kPreCandidate;
  leader_.clear();
  votes_.clear();
  ResetTimers();
  ReportRoleIfChanged();
}

void Raft::BecomeCandidate() {
  ++term_;
  voted_for_ = config_.id;
  role_ = Role::kCandidate;
  leader_.clear();
  votes_.clear();
  ResetTimers();
  ReportRoleIfChanged();
  ReportVote(config_.id);
}

void Raft::BecomeLeader() {
  assert(role_ == Role::kCandidate);  // Only a real election can make a leader.
  role_ = Role::kLeader;
  leader_ = config_.id;
  recent_active_.clear();
  ResetTimers();
  ReportRoleIfChanged();
  BroadcastHeartbeat();
}

void Raft::Campaign(bool pre_vote) {
  const Role campaigning = pre_vote ? Role::kPreCandidate : Role::kCandidate;
  if (pre_vote) {
    BecomePreCandidate();
  } else {
    BecomeCandidate();
  }
  Poll(config_.id, true);  // A single-node cluster wins right here.
  if (role_ == campaigning) SendVoteRequests(/*only_unanswered=*/false);
}

void Raft::Poll(const std::string& from, bool granted) {
  votes_.emplace(from, granted);  // The first answer of a peer counts.
  const int yes = static_cast<int>(
      std::count_if(votes_.begin(), votes_.end(), [](const auto& vote) { return vote.second; }));
  const int no = static_cast<int>(votes_.size()) - yes;
  if (yes >= Quorum()) {
    if (role_ == Role::kPreCandidate) {
      Campaign(/*pre_vote=*/false);
    } else {
      BecomeLeader();
    }
  } else if (no >= Quorum()) {
    BecomeFollower(term_, "");
  }
}

// ---- time ----

void Raft::Tick() {
  if (role_ == Role::kLeader) {
    TickHeartbeat();
  } else {
    TickElection();
  }
}

void Raft::TickElection() {
  ++election_elapsed_;
  if (election_elapsed_ >= randomized_election_timeout_) {
    Campaign(config_.pre_vote);
    return;
  }
  if (role_ == Role::kCandidate || role_ == Role::kPreCandidate) {
    // Datagrams get lost: ask again whoever has not answered yet.
    if (++heartbeat_elapsed_ >= config_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      SendVoteRequests(/*only_unanswered=*/true);
    }
  }
}

void Raft::TickHeartbeat() {
  ++election_elapsed_;
  ++heartbeat_elapsed_;
  if (election_elapsed_ >= config_.election_min_ticks) {
    election_elapsed_ = 0;
    if (config_.check_quorum && config_.bug != Bug::kNoStepDown) {
      if (static_cast<int>(recent_active_.size()) + 1 < Quorum()) {
        BecomeFollower(term_, "");  // Cannot reach a majority: stop claiming leadership.
        return;
      }
      recent_active_.clear();
    }
  }
  if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
    heartbeat_elapsed_ = 0;
    BroadcastHeartbeat();
  }
}

void Raft::BroadcastHeartbeat() {
  for (const std::string& peer : config_.peers) Send(MessageType::kHeartbeat, peer, term_);
}

void Raft::SendVoteRequests(bool only_unanswered) {
  const bool pre = role_ == Role::kPreCandidate;
  assert(pre || role_ == Role::kCandidate);
  for (const std::string& peer : config_.peers) {
    if (only_unanswered && votes_.count(peer) != 0) continue;
    if (pre) {
      Send(MessageType::kPreVote, peer, term_ + 1);
    } else {
      Send(MessageType::kRequestVote, peer, term_);
    }
  }
}

// ---- messages ----

void Raft::Step(const Message& m) {
  if (m.to != config_.id || !IsPeer(m.from)) return;

  if (m.term > term_ && role_ == Role::kLeader && config_.bug == Bug::kNoStepDown) {
    return;  // The bug: a higher term does not demote this leader; it does not listen.
  }
  if (m.term > term_) {
    // A pre-vote request, or a grant of our own pre-vote, carries a term that
    // nobody holds yet; every other message from a higher term demotes us.
    const bool keeps_term =
        m.type == MessageType::kPreVote || (m.type == MessageType::kPreVoteResponse && m.granted);
    if (!keeps_term) BecomeFollower(m.term, m.type == MessageType::kHeartbeat ? m.from : "");
  } else if (m.term < term_) {
    // A stale sender: answer its requests with our term so that it catches up.
    switch (m.type) {
      case MessageType::kPreVote:
        Send(MessageType::kPreVoteResponse, m.from, term_, false);
        break;
      case MessageType::kRequestVote:
        Send(MessageType::kRequestVoteResponse, m.from, term_, false);
        break;
      case MessageType::kHeartbeat:
        Send(MessageType::kHeartbeatResponse, m.from, term_);
        break;
      default:
        break;  // Stale responses are dropped.
    }
    return;
  }

  switch (m.type) {
    case MessageType::kPreVote:
      HandlePreVoteRequest(m);
      return;
    case MessageType::kRequestVote:
      HandleVoteRequest(m);
      return;
    default:
      break;
  }
  switch (role_) {
    case Role::kFollower:
      StepFollower(m);
      break;
    case Role::kPreCandidate:
    case Role::kCandidate:
      StepCandidate(m);
      break;
    case Role::kLeader:
      StepLeader(m);
      break;
  }
}

void Raft::HandlePreVoteRequest(const Message& m) {
  // Nobody who still hears from a live leader helps to depose it.
  const bool grant = m.term > term_ && !InLease();
  Send(MessageType::kPreVoteResponse, m.from, grant ? m.term : term_, grant);
}

void Raft::HandleVoteRequest(const Message& m) {
  assert(m.term == term_);  // Step() has demoted us to a higher term already.
  bool grant = voted_for_ == m.from || (voted_for_.empty() && leader_.empty());
  if (config_.bug == Bug::kDoubleVote) grant = true;  // The bug: votedFor is ignored.
  if (grant) {
    voted_for_ = m.from;
    if (role_ != Role::kLeader) election_elapsed_ = 0;  // Give the candidate time to win.
    ReportVote(m.from);
  }
  Send(MessageType::kRequestVoteResponse, m.from, term_, grant);
}

void Raft::StepFollower(const Message& m) {
  if (m.type != MessageType::kHeartbeat) return;
  election_elapsed_ = 0;
  leader_ = m.from;
  ReportRoleIfChanged();
  Send(MessageType::kHeartbeatResponse, m.from, term_);
}

void Raft::StepCandidate(const Message& m) {
  switch (m.type) {
    case MessageType::kHeartbeat:
      // Somebody won this term (or, pre-voting, the leader is alive after all).
      BecomeFollower(term_, m.from);
      Send(MessageType::kHeartbeatResponse, m.from, term_);
      break;
    case MessageType::kPreVoteResponse:
      if (role_ != Role::kPreCandidate) break;
      // Grants carry the term we asked for; refusals carry the responder's term.
      if (m.granted ? m.term == term_ + 1 : m.term == term_) Poll(m.from, m.granted);
      break;
    case MessageType::kRequestVoteResponse:
      if (role_ == Role::kCandidate) Poll(m.from, m.granted);
      break;
    default:
      break;
  }
}

void Raft::StepLeader(const Message& m) {
  // A heartbeat from another leader of our own term can only happen under a
  // bug; it is ignored so that the checkers see both claims.
  if (m.type == MessageType::kHeartbeatResponse) recent_active_[m.from] = true;
}

// ---- output ----

void Raft::Send(MessageType type, const std::string& to, std::uint64_t term, bool granted) {
  ready_.messages.push_back(Message{type, config_.id, to, term, granted});
}

void Raft::ReportRoleIfChanged() {
  Report report{Report::Kind::kRole, role_ == Role::kPreCandidate ? Role::kFollower : role_, term_,
                leader_};
  if (last_role_report_ && *last_role_report_ == report) return;
  last_role_report_ = report;
  ready_.reports.push_back(std::move(report));
}

void Raft::ReportVote(const std::string& candidate) {
  auto vote = std::make_pair(term_, candidate);
  if (last_vote_report_ && *last_vote_report_ == vote) return;
  last_vote_report_ = vote;
  ready_.reports.push_back(Report{Report::Kind::kVote, Role::kFollower, term_, candidate});
}

}  // namespace schism::nodes
