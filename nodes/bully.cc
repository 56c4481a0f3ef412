#include "nodes/bully.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace schism::nodes::bully {
namespace {

ContractEvent::Role ToContractRole(Bully::Role role) {
  switch (role) {
    case Bully::Role::kLeader:
      return ContractEvent::Role::kLeader;
    case Bully::Role::kCandidate:
      return ContractEvent::Role::kCandidate;
    case Bully::Role::kFollower:
      break;
  }
  return ContractEvent::Role::kFollower;
}

}  // namespace

bool Outranks(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}

Bully::Bully(Config config) : config_(std::move(config)), rng_(config_.seed) {
  assert(!config_.id.empty());
  assert(config_.heartbeat_ticks >= 1 && config_.answer_timeout_ticks >= 1);
  assert(config_.leader_timeout_min_ticks >= 1);
  assert(config_.leader_timeout_min_ticks <= config_.leader_timeout_max_ticks);
  ResetLeaderTimeout();
  ReportRoleIfChanged();
}

bool Bully::IsPeer(const std::string& id) const {
  return std::find(config_.peers.begin(), config_.peers.end(), id) != config_.peers.end();
}

void Bully::ResetLeaderTimeout() {
  elapsed_ = 0;
  leader_timeout_ =
      DrawTicks(rng_, config_.leader_timeout_min_ticks, config_.leader_timeout_max_ticks);
}

ElectorReady Bully::TakeReady() {
  ElectorReady out = std::move(ready_);
  ready_ = ElectorReady{};
  return out;
}

// ---- role transitions ----

void Bully::BecomeFollower(const std::string& leader) {
  answered_ = false;
  role_ = Role::kFollower;
  leader_ = leader;
  ResetLeaderTimeout();
  ReportRoleIfChanged();
}

void Bully::BecomeLeader() {
  answered_ = false;
  role_ = Role::kLeader;
  leader_ = config_.id;
  heartbeat_elapsed_ = 0;
  ReportRoleIfChanged();
  Broadcast(kCoordinator);
}

void Bully::StartElection() {
  answered_ = false;
  role_ = Role::kCandidate;
  leader_.clear();
  elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  const bool outranked = std::any_of(config_.peers.begin(), config_.peers.end(),
                                     [&](const std::string& p) { return Outranks(p, config_.id); });
  if (!outranked) {
    BecomeLeader();  // Nobody to ask: the highest id wins without a word.
    return;
  }
  ReportRoleIfChanged();
  SendElections();
}

// ---- time ----

void Bully::Tick() {
  ++heartbeat_elapsed_;
  if (role_ != Role::kLeader) ++elapsed_;  // A leader waits for nobody.
  switch (role_) {
    case Role::kLeader:
      if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
        heartbeat_elapsed_ = 0;
        Broadcast(kCoordinator);  // The followers' sign of life.
      }
      break;
    case Role::kCandidate:
      if (elapsed_ >= config_.answer_timeout_ticks) {
        BecomeLeader();  // Nobody above answered: they are all down.
      } else if (heartbeat_elapsed_ >= config_.heartbeat_ticks) {
        heartbeat_elapsed_ = 0;
        SendElections();  // Datagrams get lost: ask again.
      }
      break;
    case Role::kFollower:
      if (elapsed_ >= leader_timeout_) StartElection();
      break;
  }
}

// ---- messages ----

bool Bully::Step(const Envelope& m) {
  if (m.type != kElection && m.type != kAnswer && m.type != kCoordinator) return false;
  if (!IsPeer(m.from)) return true;  // Known, but not from this cluster: ignored.
  const bool from_above = Outranks(m.from, config_.id);

  if (m.type == kElection) {
    if (from_above) return true;  // Elections only go up; a confused peer is ignored.
    if (config_.bug != Bug::kNoAnswer) Send(kAnswer, m.from);
    if (role_ == Role::kLeader) {
      Send(kCoordinator, m.from);  // It missed us: tell it who leads.
    } else if (role_ != Role::kCandidate && !answered_) {
      StartElection();  // Having answered, we must see the election through.
    }
  } else if (m.type == kAnswer) {
    // Someone above is alive and takes over: wait for its coordinator.
    if (from_above && role_ == Role::kCandidate) {
      BecomeFollower("");
      answered_ = true;  // Our election goes on above us.
    }
  } else if (from_above) {  // kCoordinator
    if (role_ == Role::kLeader && config_.bug == Bug::kStubbornLeader) return true;
    BecomeFollower(m.from);
  } else if (role_ == Role::kLeader) {
    Send(kCoordinator, m.from);  // A lower node claims leadership: bully it.
  } else if (role_ != Role::kCandidate && !answered_) {
    StartElection();  // A lower claimant, while no election of ours is under way above.
  }
  return true;
}

// ---- output ----

void Bully::SendElections() {
  for (const std::string& peer : config_.peers) {
    if (Outranks(peer, config_.id)) Send(kElection, peer);
  }
}

void Bully::Broadcast(std::string_view type) {
  for (const std::string& peer : config_.peers) Send(type, peer);
}

void Bully::Send(std::string_view type, const std::string& to) {
  ready_.messages.push_back(Envelope{config_.id, to, std::string(type), Json::object()});
}

void Bully::ReportRoleIfChanged() {
  nodes::ReportRoleIfChanged(
      ContractEvent::RoleChange(ToContractRole(role_), std::nullopt, leader_), last_role_event_,
      ready_);
}

// ---- the table's hooks ----

std::string CheckSetup(const ElectorSetup& setup) {
  std::string error = CheckNotAbove(setup, "leader-timeout-min-ms", "leader-timeout-max-ms");
  if (error.empty()) error = CheckShorter(setup, "heartbeat-ms", "leader-timeout-min-ms");
  return error;
}

std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& /*restored*/,
                              std::string* /*error*/) {
  // Bully persists nothing; a state file left by anyone is not ours to judge.
  Config config;
  config.id = setup.id;
  config.peers = setup.peers;
  config.heartbeat_ticks = TicksFor(setup.option("heartbeat-ms"), setup.tick_ms);
  config.answer_timeout_ticks = TicksFor(setup.option("answer-timeout-ms"), setup.tick_ms);
  config.leader_timeout_min_ticks = TicksFor(setup.option("leader-timeout-min-ms"), setup.tick_ms);
  config.leader_timeout_max_ticks = TicksFor(setup.option("leader-timeout-max-ms"), setup.tick_ms);
  config.bug = setup.bug == "stubborn-leader" ? Bug::kStubbornLeader
               : setup.bug == "no-answer"     ? Bug::kNoAnswer
                                              : Bug::kNone;
  assert(setup.bug.empty() || config.bug != Bug::kNone);  // The table names no other bug.
  config.seed = setup.seed;
  return std::make_unique<Bully>(std::move(config));
}

}  // namespace schism::nodes::bully
