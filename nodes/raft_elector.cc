#include "nodes/raft_elector.h"

#include <array>
#include <cassert>
#include <utility>

namespace schism::nodes {
namespace {

constexpr std::array kMessageTypes = {
    MessageType::kPreVote,     MessageType::kPreVoteResponse,
    MessageType::kRequestVote, MessageType::kRequestVoteResponse,
    MessageType::kHeartbeat,   MessageType::kHeartbeatResponse,
};

bool IsResponse(MessageType type) {
  return type == MessageType::kPreVoteResponse || type == MessageType::kRequestVoteResponse;
}

std::optional<MessageType> ParseMessageType(std::string_view name) {
  for (MessageType type : kMessageTypes) {
    if (ToString(type) == name) return type;
  }
  return std::nullopt;
}

ContractEvent::Role ToContractRole(Role role) {
  switch (role) {
    case Role::kLeader:
      return ContractEvent::Role::kLeader;
    case Role::kCandidate:
      return ContractEvent::Role::kCandidate;
    case Role::kFollower:
    case Role::kPreCandidate:  // Never reported: Raft reports it as a follower.
      break;
  }
  return ContractEvent::Role::kFollower;
}

}  // namespace

RaftElector::RaftElector(Config config, HardState restored)
    : raft_(std::move(config), std::move(restored)) {}

void RaftElector::Tick() { raft_.Tick(); }

bool RaftElector::Step(const Envelope& message) {
  const std::optional<Message> m = FromEnvelope(message);
  if (!m) return false;
  raft_.Step(*m);
  return true;
}

ElectorReady RaftElector::TakeReady() {
  Ready ready = raft_.TakeReady();
  ElectorReady out;
  if (ready.hard_state) out.state = ToJson(*ready.hard_state);
  for (const Report& report : ready.reports) out.events.push_back(ToContractEvent(report));
  for (const Message& message : ready.messages) out.messages.push_back(ToEnvelope(message));
  return out;
}

bool RaftElector::HasReady() const { return raft_.HasReady(); }

Envelope ToEnvelope(const Message& message) {
  Envelope envelope{
      message.from, message.to, std::string(ToString(message.type)), {{"term", message.term}}};
  if (IsResponse(message.type)) envelope.fields["granted"] = message.granted;
  return envelope;
}

std::optional<Message> FromEnvelope(const Envelope& envelope) {
  const auto type = ParseMessageType(envelope.type);
  const auto term = envelope.fields.find("term");
  if (!type || term == envelope.fields.end() || !term->is_number_unsigned()) return std::nullopt;
  Message message{*type, envelope.from, envelope.to, term->get<std::uint64_t>(), false};
  if (IsResponse(*type)) {
    const auto granted = envelope.fields.find("granted");
    if (granted == envelope.fields.end() || !granted->is_boolean()) return std::nullopt;
    message.granted = granted->get<bool>();
  }
  return message;
}

ContractEvent ToContractEvent(const Report& report) {
  if (report.kind == Report::Kind::kVote) return ContractEvent::Vote(report.term, report.node);
  return ContractEvent::RoleChange(ToContractRole(report.role), report.term, report.node);
}

Json ToJson(const HardState& state) {
  Json json = {{"term", state.term}, {"votedFor", nullptr}};
  if (!state.voted_for.empty()) json["votedFor"] = state.voted_for;
  return json;
}

bool FromJson(const Json& json, HardState* state, std::string* why) {
  if (!json.is_object()) {
    *why = "not a JSON object";
    return false;
  }
  const auto term = json.find("term");
  if (term == json.end() || !term->is_number_unsigned()) {
    *why = "\"term\" is not an unsigned integer";
    return false;
  }
  HardState loaded{term->get<std::uint64_t>(), ""};
  const auto vote = json.find("votedFor");
  if (vote != json.end() && !vote->is_null()) {
    if (!vote->is_string()) {
      *why = "\"votedFor\" is neither a string nor null";
      return false;
    }
    loaded.voted_for = vote->get<std::string>();
  }
  *state = std::move(loaded);
  return true;
}

std::string CheckRaftSetup(const ElectorSetup& setup) {
  std::string error = CheckNotAbove(setup, "election-min-ms", "election-max-ms");
  if (error.empty()) error = CheckShorter(setup, "heartbeat-ms", "election-min-ms");
  return error;
}

std::unique_ptr<Elector> MakeRaftElector(const ElectorSetup& setup,
                                         const std::optional<Json>& restored, std::string* error) {
  HardState state;
  if (restored && !FromJson(*restored, &state, error)) return nullptr;
  Config config;
  config.id = setup.id;
  config.peers = setup.peers;
  config.election_min_ticks = TicksFor(setup.option("election-min-ms"), setup.tick_ms);
  config.election_max_ticks = TicksFor(setup.option("election-max-ms"), setup.tick_ms);
  config.heartbeat_ticks = TicksFor(setup.option("heartbeat-ms"), setup.tick_ms);
  config.pre_vote = setup.option("pre-vote") != 0;
  config.check_quorum = setup.option("no-check-quorum") == 0;
  config.bug = setup.bug == "double-vote"    ? Bug::kDoubleVote
               : setup.bug == "forget-vote"  ? Bug::kForgetVote
               : setup.bug == "no-step-down" ? Bug::kNoStepDown
                                             : Bug::kNone;
  assert(setup.bug.empty() || config.bug != Bug::kNone);  // The table names no other bug.
  config.seed = setup.seed;
  return std::make_unique<RaftElector>(std::move(config), std::move(state));
}

}  // namespace schism::nodes
