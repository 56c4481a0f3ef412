#include "nodes/ring.h"

#include <algorithm>
#include <cassert>
#include <utility>

#include "nodes/bully.h"

namespace schism::nodes::ring {
namespace {

ContractEvent::Role ToContractRole(Ring::Role role) {
  switch (role) {
    case Ring::Role::kLeader:
      return ContractEvent::Role::kLeader;
    case Ring::Role::kCandidate:
      return ContractEvent::Role::kCandidate;
    case Ring::Role::kFollower:
      break;
  }
  return ContractEvent::Role::kFollower;
}

// The payload key naming who a ring message of `type` is about.
const char* SubjectKey(std::string_view type) { return type == kElection ? "id" : "leader"; }

// Returns the unsigned `key` of `fields`, or nullopt when it is missing or not one.
std::optional<std::uint64_t> UnsignedOf(const Json& fields, const char* key) {
  const auto it = fields.find(key);
  if (it == fields.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

}  // namespace

Ring::Ring(Config config) : config_(std::move(config)), rng_(config_.seed) {
  assert(!config_.id.empty());
  assert(config_.heartbeat_ticks >= 1 && config_.ack_timeout_ticks >= 1);
  assert(config_.leader_timeout_min_ticks >= 1);
  assert(config_.leader_timeout_min_ticks <= config_.leader_timeout_max_ticks);
  ring_ = config_.peers;
  ring_.push_back(config_.id);
  std::sort(ring_.begin(), ring_.end(),
            [](const std::string& a, const std::string& b) { return bully::Outranks(b, a); });
  assert(std::adjacent_find(ring_.begin(), ring_.end()) == ring_.end());  // Ids are unique.
  position_ = static_cast<int>(std::find(ring_.begin(), ring_.end(), config_.id) - ring_.begin());
  ResetLeaderTimeout();
  ReportRoleIfChanged();
}

const std::string& Ring::At(int distance) const {
  return ring_[static_cast<std::size_t>(position_ + distance) % ring_.size()];
}

bool Ring::InRing(const std::string& id) const {
  return std::find(ring_.begin(), ring_.end(), id) != ring_.end();
}

void Ring::ResetLeaderTimeout() {
  elapsed_ = 0;
  leader_timeout_ =
      DrawTicks(rng_, config_.leader_timeout_min_ticks, config_.leader_timeout_max_ticks);
}

ElectorReady Ring::TakeReady() {
  ElectorReady out = std::move(ready_);
  ready_ = ElectorReady{};
  return out;
}

// ---- role transitions ----

void Ring::BecomeFollower(const std::string& leader, std::uint64_t round) {
  role_ = Role::kFollower;
  leader_ = leader;
  round_ = round;
  forwarded_.clear();  // That election is over.
  ResetLeaderTimeout();
  ReportRoleIfChanged();
}

void Ring::BecomeCandidate() {
  role_ = Role::kCandidate;
  leader_.clear();
  ResetLeaderTimeout();  // A stalled election is started again when it expires.
  ReportRoleIfChanged();
}

void Ring::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = config_.id;
  forwarded_.clear();
  heartbeat_elapsed_ = 0;
  ReportRoleIfChanged();
  SendAround(kElected, config_.id, ++next_round_);
}

void Ring::StartElection() {
  BecomeCandidate();
  forwarded_ = config_.id;
  SendAround(kElection, config_.id);
}

// ---- time ----

void Ring::Tick() {
  TickPending();
  if (role_ == Role::kLeader) {
    if (++heartbeat_elapsed_ >= config_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      forwarded_.clear();  // Suppression lasts until the next sign of a leader.
      SendAround(kElected, config_.id, ++next_round_);  // The followers' sign of life.
    }
  } else if (++elapsed_ >= leader_timeout_) {
    StartElection();
  }
}

void Ring::TickPending() {
  std::vector<Pending> wrapped;  // Delivered here after the loop: that may send more.
  for (auto it = pending_.begin(); it != pending_.end();) {
    const Hop hop = ++it->waited < config_.ack_timeout_ticks ? Hop::kSent : SkipAddressee(*it);
    if (hop == Hop::kSent) {
      ++it;
      continue;
    }
    if (hop == Hop::kWrapped) wrapped.push_back(std::move(*it));
    it = pending_.erase(it);
  }
  for (const Pending& p : wrapped) OnRingMessage(p.type, p.subject, p.round);
}

Ring::Hop Ring::SkipAddressee(Pending& pending) {
  // Its subject is dead: dropped, lest it circle forever.
  if (At(pending.distance) == pending.subject) return Hop::kDropped;
  ++pending.distance;
  pending.waited = 0;
  if (At(pending.distance) == config_.id) return Hop::kWrapped;  // Every other node was skipped.
  SendToAddressee(pending);
  return Hop::kSent;
}

// ---- messages ----

bool Ring::Step(const Envelope& m) {
  const std::optional<std::uint64_t> seq = UnsignedOf(m.fields, "seq");
  if (!seq) return false;
  const bool from_peer = m.from != config_.id && InRing(m.from);
  if (m.type == kAck) {
    if (from_peer) OnAck(*seq);
    return true;
  }
  if (m.type != kElection && m.type != kElected) return false;
  const auto subject = m.fields.find(SubjectKey(m.type));
  if (subject == m.fields.end() || !subject->is_string()) return false;
  const std::optional<std::uint64_t> round = UnsignedOf(m.fields, "round");
  if (m.type == kElected && !round) return false;
  // Not from this cluster, or about a node outside the ring (it would never
  // come back to its subject): ignored.
  if (!from_peer || !InRing(subject->get<std::string>())) return true;
  ready_.messages.push_back(Envelope{config_.id, m.from, std::string(kAck), Json{{"seq", *seq}}});
  OnRingMessage(m.type, subject->get<std::string>(), round.value_or(0));
  return true;
}

void Ring::OnRingMessage(const std::string& type, const std::string& subject, std::uint64_t round) {
  if (type == kElection) {
    OnElection(subject);
  } else {
    OnElected(subject, round);
  }
}

void Ring::OnElection(const std::string& carried) {
  if (carried == config_.id) {
    // It went all the way round: nobody alive outranks us, if it is the
    // election we still run. A copy of one that is over (we lead or follow
    // since: BecomeLeader and BecomeFollower clear forwarded_) is stale: a hop
    // may have passed it on twice (see OnElected), and leading and announcing
    // again for every copy fed ever more copies back into the ring.
    if (forwarded_ == config_.id) BecomeLeader();
    return;
  }
  const std::string& best = bully::Outranks(carried, config_.id) ? carried : config_.id;
  if (!forwarded_.empty() && !bully::Outranks(best, forwarded_)) return;  // Suppressed.
  forwarded_ = best;
  // A leader re-asserts itself against a lower election, and yields to a higher one.
  const bool stays_leader = role_ == Role::kLeader && best == config_.id;
  if (role_ != Role::kCandidate && !stays_leader) BecomeCandidate();
  SendAround(kElection, best);
}

void Ring::OnElected(const std::string& leader, std::uint64_t round) {
  if (leader == config_.id) return;  // Our own announcement came back around.
  // An announcement is acted on once. A hop whose ack is late (the successor
  // is slow, not dead) has already sent it on to the next node too, and the
  // network may duplicate it: passing on every copy would double it at every
  // hop, up to 2^(N-1) deliveries per heartbeat.
  if (leader == leader_ && round <= round_) return;
  if (bully::Outranks(config_.id, leader)) {
    // We outrank it: take over with an election, unless ours is going round.
    if (forwarded_ == config_.id) return;
    if (role_ != Role::kLeader) BecomeCandidate();
    forwarded_ = config_.id;
    SendAround(kElection, config_.id);
    return;
  }
  BecomeFollower(leader, round);
  SendAround(kElected, leader, round);
}

void Ring::OnAck(std::uint64_t seq) {
  std::erase_if(pending_, [&](const Pending& p) { return p.seq == seq; });
}

// ---- output ----

void Ring::SendAround(std::string_view type, const std::string& subject, std::uint64_t round) {
  Pending pending{next_seq_++, std::string(type), subject, round, 1, 0};
  if (At(1) == config_.id) {
    OnRingMessage(pending.type, subject, round);  // A ring of one: it is back already.
    return;
  }
  SendToAddressee(pending);
  pending_.push_back(std::move(pending));
}

void Ring::SendToAddressee(const Pending& pending) {
  Json fields{{SubjectKey(pending.type), pending.subject}};
  if (pending.type == kElected) fields["round"] = pending.round;
  fields["seq"] = pending.seq;
  ready_.messages.push_back(
      Envelope{config_.id, At(pending.distance), pending.type, std::move(fields)});
}

void Ring::ReportRoleIfChanged() {
  nodes::ReportRoleIfChanged(
      ContractEvent::RoleChange(ToContractRole(role_), std::nullopt, leader_), last_role_event_,
      ready_);
}

// ---- the table's hooks ----

std::string CheckSetup(const ElectorSetup& setup) {
  std::string error = CheckNotAbove(setup, "leader-timeout-min-ms", "leader-timeout-max-ms");
  if (error.empty()) error = CheckShorter(setup, "heartbeat-ms", "leader-timeout-min-ms");
  if (error.empty()) error = CheckShorter(setup, "ack-timeout-ms", "leader-timeout-min-ms");
  return error;
}

std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& /*restored*/,
                              std::string* /*error*/) {
  // Ring persists nothing; a state file left by anyone is not ours to judge.
  Config config;
  config.id = setup.id;
  config.peers = setup.peers;
  config.heartbeat_ticks = TicksFor(setup.option("heartbeat-ms"), setup.tick_ms);
  config.ack_timeout_ticks = TicksFor(setup.option("ack-timeout-ms"), setup.tick_ms);
  config.leader_timeout_min_ticks = TicksFor(setup.option("leader-timeout-min-ms"), setup.tick_ms);
  config.leader_timeout_max_ticks = TicksFor(setup.option("leader-timeout-max-ms"), setup.tick_ms);
  config.seed = setup.seed;
  return std::make_unique<Ring>(std::move(config));
}

}  // namespace schism::nodes::ring
