#include "nodes/codec.h"

#include <array>
#include <nlohmann/json.hpp>
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

// Returns the string field `key` of `object`, or nullopt if absent or not a string.
std::optional<std::string> StringField(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace

std::string EncodeMessage(const Message& message) {
  nlohmann::ordered_json json = {
      {"type", ToString(message.type)},
      {"from", message.from},
      {"to", message.to},
      {"term", message.term},
  };
  if (IsResponse(message.type)) json["granted"] = message.granted;
  return json.dump();
}

std::optional<Message> DecodeMessage(std::string_view datagram) {
  const nlohmann::json json = nlohmann::json::parse(datagram, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) return std::nullopt;  // Also covers parse failures (discarded).
  const auto type_name = StringField(json, "type");
  auto from = StringField(json, "from");
  auto to = StringField(json, "to");
  auto term = json.find("term");
  if (!type_name || !from || !to || term == json.end() || !term->is_number_unsigned()) {
    return std::nullopt;
  }
  const auto type = ParseMessageType(*type_name);
  if (!type) return std::nullopt;
  Message message{*type, std::move(*from), std::move(*to), term->get<std::uint64_t>(), false};
  if (IsResponse(*type)) {
    auto granted = json.find("granted");
    if (granted == json.end() || !granted->is_boolean()) return std::nullopt;
    message.granted = granted->get<bool>();
  }
  return message;
}

std::string FormatReport(const Report& report) {
  nlohmann::ordered_json json;
  if (report.kind == Report::Kind::kVote) {
    json = {{"event", "vote"}, {"term", report.term}, {"for", report.node}};
  } else {
    json = {{"event", "role"}, {"role", ToString(report.role)}, {"term", report.term}};
    if (report.role == Role::kFollower && !report.node.empty()) json["leader"] = report.node;
  }
  return json.dump();
}

}  // namespace schism::nodes
