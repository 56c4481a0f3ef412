#include "nodes/lease.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace schism::nodes::lease {
namespace {

ContractEvent::Role ToContractRole(Lease::Role role) {
  switch (role) {
    case Lease::Role::kLeader:
      return ContractEvent::Role::kLeader;
    case Lease::Role::kCandidate:
      return ContractEvent::Role::kCandidate;
    case Lease::Role::kFollower:
      break;
  }
  return ContractEvent::Role::kFollower;
}

// Returns the unsigned field `name` of `fields`, or nullopt.
std::optional<std::uint64_t> Unsigned(const Json& fields, const char* name) {
  const auto it = fields.find(name);
  if (it == fields.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<bool> Boolean(const Json& fields, const char* name) {
  const auto it = fields.find(name);
  if (it == fields.end() || !it->is_boolean()) return std::nullopt;
  return it->get<bool>();
}

}  // namespace

Lease::Lease(Config config, HardState restored)
    : config_(std::move(config)), rng_(config_.seed), state_(std::move(restored)) {
  assert(!config_.id.empty());
  assert(config_.tick_ms >= 1 && config_.renew_ticks >= 1);
  assert(config_.margin_ms >= 0 && config_.margin_ms < config_.lease_ms);
  assert(config_.election_min_ticks >= 1);
  assert(config_.election_min_ticks <= config_.election_max_ticks);
  if (!state_.grantee.empty()) {
    // We may have granted just before the restart: honour it for a whole lease.
    grant_until_ = HoldTicks(state_.lease_ms);
    if (state_.grantee == config_.id) own_lease_guard_ = grant_until_;
  }
  ResetElectionTimer(grant_until_);
  ReportRoleIfChanged();
}

bool Lease::IsPeer(const std::string& id) const {
  return std::find(config_.peers.begin(), config_.peers.end(), id) != config_.peers.end();
}

std::int64_t Lease::HoldTicks(std::int64_t lease_ms) const {
  // Rounded up, plus one tick: the request arrived somewhere within a tick.
  return TicksFor(lease_ms + config_.margin_ms, config_.tick_ms) + 1;
}

std::int64_t Lease::ClaimTicks() const {
  const std::int64_t asked = config_.lease_ms * (config_.bug == Bug::kLongLease ? 3 : 1);
  // Rounded down, minus one tick: the round left somewhere within a tick.
  return (asked - config_.margin_ms) / config_.tick_ms - 1;
}

void Lease::ResetElectionTimer(std::int64_t from) {
  election_deadline_ = std::max(from, now_) +
                       DrawTicks(rng_, config_.election_min_ticks, config_.election_max_ticks);
}

ElectorReady Lease::TakeReady() {
  ElectorReady out = std::move(ready_);
  ready_ = ElectorReady{};
  return out;
}

// ---- role transitions ----

void Lease::Campaign() {
  const std::uint64_t term = std::max(state_.term, highest_seen_) + 1;
  role_ = Role::kCandidate;
  leader_.clear();
  Grant(config_.id, term, config_.lease_ms);
  ReportRoleIfChanged();
  ResetElectionTimer(now_);
  SendRound();
}

void Lease::GiveUp() {
  // The round won nothing, so only a lease held before still binds the self-grant.
  grant_until_ = own_lease_guard_;
  round_ = Round{};
  BecomeFollower("");
  ResetElectionTimer(now_);
}

void Lease::BecomeFollower(std::string leader) {
  role_ = Role::kFollower;
  leader_ = std::move(leader);
  token_ = 0;
  ReportRoleIfChanged();
}

void Lease::BecomeLeader() {
  role_ = Role::kLeader;
  leader_ = config_.id;
  token_ = config_.bug == Bug::kNoFencing ? last_leader_token_ : state_.term;
  ReportRoleIfChanged();
}

// ---- time ----

void Lease::Tick() {
  ++now_;
  switch (role_) {
    case Role::kLeader:
      if (now_ + 1 >= lease_end_) {
        // No renewal reached a majority: leave before the claim runs out.
        BecomeFollower("");
        ResetElectionTimer(now_);
      } else if (now_ - round_.sent_at >= config_.renew_ticks) {
        SendRound();
      }
      break;
    case Role::kCandidate:
      if (now_ >= election_deadline_) GiveUp();
      break;
    case Role::kFollower:
      if (now_ < election_deadline_) break;
      if (state_.grantee.empty() || state_.grantee == config_.id || grant_until_ <= now_) {
        Campaign();
      } else {
        ResetElectionTimer(grant_until_);  // Still bound to another holder.
      }
      break;
  }
}

void Lease::SendRound() {
  round_ = Round{next_round_++, now_, {config_.id}};
  // A leader's own promise is renewed with every round, like any granter's.
  grant_until_ = std::max(grant_until_, now_ + HoldTicks(config_.lease_ms));
  for (const std::string& peer : config_.peers) {
    ready_.messages.push_back(Envelope{config_.id,
                                       peer,
                                       std::string(kRequest),
                                       {{"term", state_.term},
                                        {"round", round_.id},
                                        {"lease_ms", static_cast<std::uint64_t>(config_.lease_ms)},
                                        {"leader", role_ == Role::kLeader},
                                        {"token", token_}}});
  }
  if (static_cast<int>(round_.grants.size()) >= Quorum()) Extend(round_);
}

void Lease::Extend(const Round& round) {
  if (round.id <= last_held_round_) return;  // A majority counts once.
  const std::int64_t end = round.sent_at + ClaimTicks();
  if (end <= now_ + 1) return;  // The grants came too late to claim anything.
  last_held_round_ = round.id;
  if (role_ == Role::kCandidate) BecomeLeader();
  lease_end_ = end;
  own_lease_guard_ = std::max(own_lease_guard_, round.sent_at + HoldTicks(config_.lease_ms));
  ready_.events.push_back(ContractEvent::Lease(
      state_.term, token_, static_cast<std::uint64_t>((end - now_) * config_.tick_ms)));
}

// ---- messages ----

bool Lease::Step(const Envelope& m) {
  const auto term = Unsigned(m.fields, "term");
  const auto round = Unsigned(m.fields, "round");
  if (!term || !round) return false;
  if (m.type == kRequest) {
    const auto lease_ms = Unsigned(m.fields, "lease_ms");
    const auto from_leader = Boolean(m.fields, "leader");
    const auto token = Unsigned(m.fields, "token");
    // Longer than the lease-ms option allows is no request of a lease elector.
    if (!lease_ms || !from_leader || !token || *lease_ms == 0 || *lease_ms > 3600000) return false;
    if (IsPeer(m.from)) {
      HandleRequest(m, *term, *round, static_cast<std::int64_t>(*lease_ms), *from_leader, *token);
    }
    return true;
  }
  if (m.type == kGrant) {
    const auto granted = Boolean(m.fields, "granted");
    if (!granted) return false;
    if (IsPeer(m.from)) HandleGrant(m, *term, *round, *granted);
    return true;
  }
  return false;
}

bool Lease::MayGrant(const std::string& holder, std::uint64_t term) const {
  if (term < state_.term) return false;  // Never back to an older term.
  const bool other = !state_.grantee.empty() && state_.grantee != holder;
  if (other && term == state_.term) return false;  // One holder per term.
  return !other || grant_until_ <= now_;           // The last holder's lease may still run.
}

void Lease::HandleRequest(const Envelope& m, std::uint64_t term, std::uint64_t round,
                          std::int64_t lease_ms, bool from_leader, std::uint64_t token) {
  const bool granted = MayGrant(m.from, term);
  if (granted) {
    if (term != state_.term) leader_.clear();
    Grant(m.from, term, lease_ms);
    if (from_leader) {
      leader_ = m.from;
      last_leader_token_ = token;  // For Bug::kNoFencing.
    }
    ResetElectionTimer(grant_until_);
    ReportRoleIfChanged();
  }
  ready_.messages.push_back(
      Envelope{config_.id,
               m.from,
               std::string(kGrant),
               {{"term", granted ? term : state_.term}, {"round", round}, {"granted", granted}}});
}

void Lease::HandleGrant(const Envelope& m, std::uint64_t term, std::uint64_t round, bool granted) {
  if (!granted) {
    highest_seen_ = std::max(highest_seen_, term);  // Campaign above it next time.
    return;
  }
  if (role_ == Role::kFollower || term != state_.term || round != round_.id) return;
  round_.grants.insert(m.from);
  if (static_cast<int>(round_.grants.size()) >= Quorum()) Extend(round_);
}

void Lease::Grant(const std::string& holder, std::uint64_t term, std::int64_t lease_ms) {
  const HardState next{term, holder, lease_ms};
  const bool new_holder = term != state_.term || holder != state_.grantee;
  grant_until_ = std::max(grant_until_, now_ + HoldTicks(lease_ms));
  if (next == state_) return;  // A renewal: nothing new to persist or report.
  state_ = next;
  Persist();
  if (new_holder) ready_.events.push_back(ContractEvent::Vote(term, holder));
}

// ---- output ----

void Lease::Persist() { ready_.state = ToJson(state_); }

void Lease::ReportRoleIfChanged() {
  nodes::ReportRoleIfChanged(ContractEvent::RoleChange(ToContractRole(role_), state_.term,
                                                       role_ == Role::kCandidate ? "" : leader_),
                             last_role_event_, ready_);
}

Json ToJson(const HardState& state) {
  Json json = {{"term", state.term},
               {"grantee", nullptr},
               {"leaseMs", static_cast<std::uint64_t>(state.lease_ms)}};
  if (!state.grantee.empty()) json["grantee"] = state.grantee;
  return json;
}

bool FromJson(const Json& json, HardState* state, std::string* why) {
  if (!json.is_object()) {
    *why = "not a JSON object";
    return false;
  }
  const auto term = Unsigned(json, "term");
  const auto lease_ms = Unsigned(json, "leaseMs");
  const auto grantee = json.find("grantee");
  if (!term || !lease_ms || grantee == json.end() ||
      !(grantee->is_null() || grantee->is_string())) {
    *why = "expected {\"term\":unsigned,\"grantee\":string or null,\"leaseMs\":unsigned}";
    return false;
  }
  *state = {*term, grantee->is_null() ? "" : grantee->get<std::string>(),
            static_cast<std::int64_t>(*lease_ms)};
  return true;
}

// ---- the table's hooks ----

std::string CheckSetup(const ElectorSetup& setup) {
  const std::int64_t lease = setup.option("lease-ms");
  const std::int64_t margin = setup.option("margin-ms");
  if (std::string error = CheckNotAbove(setup, "election-min-ms", "election-max-ms");
      !error.empty()) {
    return error;
  }
  if (margin >= lease || lease - margin < 3 * setup.tick_ms) {
    return "--lease-ms minus --margin-ms must be at least 3 ticks";
  }
  if (setup.option("renew-ms") >= lease - margin) {
    return "--renew-ms must be shorter than --lease-ms minus --margin-ms";
  }
  return "";
}

std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error) {
  HardState state;
  if (restored && !FromJson(*restored, &state, error)) return nullptr;
  Config config;
  config.id = setup.id;
  config.peers = setup.peers;
  config.tick_ms = setup.tick_ms;
  config.lease_ms = setup.option("lease-ms");
  config.margin_ms = setup.option("margin-ms");
  config.renew_ticks = TicksFor(setup.option("renew-ms"), setup.tick_ms);
  config.election_min_ticks = TicksFor(setup.option("election-min-ms"), setup.tick_ms);
  config.election_max_ticks = TicksFor(setup.option("election-max-ms"), setup.tick_ms);
  config.bug = setup.bug == "long-lease"   ? Bug::kLongLease
               : setup.bug == "no-fencing" ? Bug::kNoFencing
                                           : Bug::kNone;
  assert(setup.bug.empty() || config.bug != Bug::kNone);  // The table names no other bug.
  config.seed = setup.seed;
  return std::make_unique<Lease>(std::move(config), std::move(state));
}

}  // namespace schism::nodes::lease
