#include "nodes/codec.h"

#include <cassert>
#include <utility>

namespace schism::nodes {
namespace {

constexpr const char* kEnvelopeKeys[] = {"type", "from", "to"};

std::string_view ToString(ContractEvent::Role role) {
  switch (role) {
    case ContractEvent::Role::kFollower:
      return "follower";
    case ContractEvent::Role::kCandidate:
      return "candidate";
    case ContractEvent::Role::kLeader:
      return "leader";
  }
  return "?";
}

}  // namespace

std::string EncodeEnvelope(const Envelope& envelope) {
  Json json = {{"type", envelope.type}, {"from", envelope.from}, {"to", envelope.to}};
  for (const auto& [key, value] : envelope.fields.items()) {
    assert(json.find(key) == json.end());  // A field would overwrite the envelope.
    json[key] = value;
  }
  return json.dump();
}

std::optional<Envelope> DecodeEnvelope(std::string_view datagram) {
  Json json = Json::parse(datagram, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;  // Also covers parse failures (discarded).
  std::string parts[3];
  for (int i = 0; i < 3; ++i) {
    const auto it = json.find(kEnvelopeKeys[i]);
    if (it == json.end() || !it->is_string()) return std::nullopt;
    parts[i] = it->get<std::string>();
    json.erase(it);
  }
  return Envelope{std::move(parts[1]), std::move(parts[2]), std::move(parts[0]), std::move(json)};
}

std::string FormatEvent(const ContractEvent& event) {
  Json json;
  switch (event.kind) {
    case ContractEvent::Kind::kRole:
      json = {{"event", "role"}, {"role", ToString(event.role)}};
      if (event.term) json["term"] = *event.term;
      if (event.role == ContractEvent::Role::kFollower && !event.node.empty()) {
        json["leader"] = event.node;
      }
      break;
    case ContractEvent::Kind::kVote:
      json = {{"event", "vote"}};
      if (event.term) json["term"] = *event.term;
      json["for"] = event.node;
      break;
    case ContractEvent::Kind::kLease:
      json = {{"event", "lease"}};
      if (event.term) json["term"] = *event.term;
      json["token"] = event.token;
      json["lease_ms"] = event.lease_ms;
      break;
  }
  return json.dump();
}

}  // namespace schism::nodes
