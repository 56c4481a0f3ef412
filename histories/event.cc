#include "histories/event.h"

#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "histories/scan.h"

namespace schism::histories {
namespace {

using nlohmann::json;

constexpr std::array<std::pair<EventType, std::string_view>, 6> kEventTypeNames{{
    {EventType::kRun, "run"},
    {EventType::kProcess, "process"},
    {EventType::kRole, "role"},
    {EventType::kVote, "vote"},
    {EventType::kLease, "lease"},
    {EventType::kNemesis, "nemesis"},
}};
static_assert(kEventTypeNames.size() == kEventTypeCount, "a name for every event type");

constexpr std::array<std::pair<Role, std::string_view>, 3> kRoleNames{{
    {Role::kLeader, "leader"},
    {Role::kFollower, "follower"},
    {Role::kCandidate, "candidate"},
}};

// Keys that have a typed member in Event; every other key lands in `detail`.
constexpr std::array<std::string_view, 11> kTypedKeys{
    "i", "t", "type", "f", "node", "role", "term", "leader", "for", "token", "lease_ms"};

bool IsTypedKey(std::string_view key) {
  for (std::string_view k : kTypedKeys) {
    if (k == key) return true;
  }
  return false;
}

// Quotes a value for an error message, cut short so that one bad line cannot
// produce a huge message.
std::string Shown(const json& value) {
  constexpr std::size_t kMax = 40;
  std::string text = value.dump(-1, ' ', false, json::error_handler_t::replace);
  if (text.size() > kMax) text = text.substr(0, kMax) + "...";
  return text;
}

[[noreturn]] void Fail(std::string message) { throw HistoryError(std::move(message)); }

// Drops nlohmann's "[json.exception.out_of_range.406] " prefix.
std::string ShortJsonReason(const json::exception& e) {
  std::string_view what = e.what();
  const std::size_t close = what.find("] ");
  return std::string(close == std::string_view::npos ? what : what.substr(close + 2));
}

// Turns nlohmann's "[json.exception.parse_error.101] parse error at line 1,
// column 2: syntax error while parsing ..." into "syntax error while parsing
// ... (at byte 2)".
std::string ShortParseReason(const json::parse_error& e) {
  std::string_view what = e.what();
  std::size_t at = what.find("parse error");
  std::size_t colon = at == std::string_view::npos ? at : what.find(": ", at);
  std::string reason(colon == std::string_view::npos ? what : what.substr(colon + 2));
  return reason + " (at byte " + std::to_string(e.byte) + ")";
}

std::uint64_t RequireUint(const json& value, std::string_view key) {
  if (!value.is_number_unsigned()) {
    Fail("field \"" + std::string(key) + "\" must be a non-negative integer, not " + Shown(value));
  }
  return value.get<std::uint64_t>();
}

std::optional<std::uint64_t> OptionalUint(const json& value, std::string_view key) {
  if (value.is_null()) return std::nullopt;
  return RequireUint(value, key);
}

std::string OptionalString(const json& value, std::string_view key) {
  if (value.is_null()) return {};
  if (!value.is_string()) {
    Fail("field \"" + std::string(key) + "\" must be a string, not " + Shown(value));
  }
  return value.get<std::string>();
}

Role RequireRole(const json& value) {
  if (!value.is_string()) Fail("field \"role\" must be a string, not " + Shown(value));
  std::optional<Role> role = ParseRole(value.get_ref<const std::string&>());
  if (!role) Fail("unknown role " + Shown(value));
  return *role;
}

// Sets the member of `event` that `key` names from `value`. Returns false when
// `key` is not one of the contract fields shared by history and node lines
// (role, term, leader, for, token, lease_ms).
bool SetContractField(Event& event, std::string_view key, const json& value) {
  if (key == "role") {
    if (!value.is_null()) event.role = RequireRole(value);
  } else if (key == "term") {
    event.term = OptionalUint(value, key);
  } else if (key == "leader") {
    event.leader = OptionalString(value, key);
  } else if (key == "for") {
    event.vote_for = OptionalString(value, key);
  } else if (key == "token") {
    event.token = OptionalUint(value, key);
  } else if (key == "lease_ms") {
    event.lease_ms = OptionalUint(value, key);
  } else {
    return false;
  }
  return true;
}

// Checks the fields that a role, vote or lease event cannot do without.
void RequireContractFields(const Event& event) {
  switch (event.type) {
    case EventType::kRole:
      if (!event.role) Fail("role event without \"role\"");
      break;
    case EventType::kVote:
      if (event.vote_for.empty()) Fail("vote event without \"for\"");
      break;
    case EventType::kLease:
      if (!event.lease_ms) Fail("lease event without \"lease_ms\"");
      break;
    default:
      break;
  }
}

void AppendUint(std::string& out, std::uint64_t value) {
  char buffer[24];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, end);
}

// Seconds with microsecond precision, always with 6 decimals ("0.000000").
void AppendTime(std::string& out, double seconds) {
  char buffer[64];
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, seconds, std::chars_format::fixed, 6);
  if (ec != std::errc()) Fail("field \"t\" is out of range");
  out.append(buffer, end);
}

void AppendQuoted(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (char c : text) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += "\\u00";
          out.push_back(kHex[(c >> 4) & 0xf]);
          out.push_back(kHex[c & 0xf]);
        } else {
          out.push_back(c);
        }
    }
  }
  out.push_back('"');
}

void AppendKey(std::string& out, std::string_view key) {
  if (out.size() > 1) out.push_back(',');
  AppendQuoted(out, key);
  out.push_back(':');
}

bool SameDetail(const json& a, const json& b) {
  auto empty = [](const json& j) { return j.is_null() || (j.is_object() && j.empty()); };
  if (empty(a) || empty(b)) return empty(a) && empty(b);
  return a == b;
}

// "t" as FormatEvent writes it: microseconds, rounded in decimal. Rounding
// seconds * 1e6 instead would disagree with the file for some times just
// under a half microsecond (0.0000005 is 0.000000 on disk but 1 us).
std::string Micros(double seconds) {
  char buffer[400];  // Fixed notation of the largest double needs 316.
  auto [end, ec] =
      std::to_chars(buffer, buffer + sizeof buffer, seconds, std::chars_format::fixed, 6);
  return ec == std::errc() ? std::string(buffer, end) : std::to_string(seconds);
}

json ParseObject(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) Fail("not JSON: empty line");
  json j;
  try {
    j = json::parse(line);
  } catch (const json::parse_error& e) {
    Fail("not JSON: " + ShortParseReason(e));
  } catch (const json::exception& e) {
    // E.g. out_of_range 406, "number overflow parsing '1e999'".
    Fail("not JSON: " + ShortJsonReason(e));
  }
  if (!j.is_object()) Fail(std::string("not a JSON object but ") + j.type_name());
  return j;
}

// Parses `line` with nlohmann::json into `event`, throwing HistoryError for
// the first problem found.
void ParseWithJson(std::string_view line, Event& event, internal::SeenFields& seen) {
  json j = ParseObject(line);
  for (auto& [key, value] : j.items()) {
    if (key == "i") {
      event.index = RequireUint(value, key);
      seen.index = true;
    } else if (key == "t") {
      if (!value.is_number() || !std::isfinite(value.get<double>()) || value.get<double>() < 0) {
        Fail("field \"t\" must be a non-negative number, not " + Shown(value));
      }
      event.time = value.get<double>();
      seen.time = true;
    } else if (key == "type") {
      if (!value.is_string()) Fail("field \"type\" must be a string, not " + Shown(value));
      std::optional<EventType> type = ParseEventType(value.get_ref<const std::string&>());
      if (!type) Fail("unknown event type " + Shown(value));
      event.type = *type;
      seen.type = true;
    } else if (key == "f") {
      event.f = OptionalString(value, key);
    } else if (key == "node") {
      event.node = OptionalString(value, key);
    } else if (!SetContractField(event, key, value)) {
      event.detail[key] = std::move(value);
    }
  }
}

}  // namespace

std::string_view ToString(EventType type) {
  for (const auto& [value, name] : kEventTypeNames) {
    if (value == type) return name;
  }
  return "?";
}

std::string_view ToString(Role role) {
  for (const auto& [value, name] : kRoleNames) {
    if (value == role) return name;
  }
  return "?";
}

std::optional<EventType> ParseEventType(std::string_view name) {
  // Compared by length first: every history line has a type to parse.
  for (const auto& [value, text] : kEventTypeNames) {
    if (text.size() == name.size() && text == name) return value;
  }
  return std::nullopt;
}

std::optional<Role> ParseRole(std::string_view name) {
  for (const auto& [value, text] : kRoleNames) {
    if (text == name) return value;
  }
  return std::nullopt;
}

Event ParseEventLine(std::string_view line) {
  Event event;
  ParseEventLine(line, event);
  return event;
}

void ParseEventLine(std::string_view line, Event& event) {
  internal::SeenFields seen;
  if (!internal::ScanEventLine(line, event, seen)) {
    // Not the simple kind of line: parse it in full, and complain precisely.
    internal::ResetEvent(event);
    seen = {};
    ParseWithJson(line, event, seen);
  }
  if (!seen.index) Fail("missing field \"i\"");
  if (!seen.time) Fail("missing field \"t\"");
  if (!seen.type) Fail("missing field \"type\"");
  RequireContractFields(event);
  if (event.node.empty() && (event.type == EventType::kRole || event.type == EventType::kVote ||
                             event.type == EventType::kLease)) {
    Fail(std::string(ToString(event.type)) + " event without \"node\"");
  }
}

std::string FormatEvent(const Event& event) {
  if (!std::isfinite(event.time)) Fail("field \"t\" must be finite");
  if (!event.detail.is_null() && !event.detail.is_object()) {
    Fail("detail must be a JSON object or null");
  }
  std::string out;
  out.reserve(128);
  out.push_back('{');
  AppendKey(out, "i");
  AppendUint(out, event.index);
  AppendKey(out, "t");
  AppendTime(out, event.time);
  AppendKey(out, "type");
  AppendQuoted(out, ToString(event.type));
  auto add_string = [&out](std::string_view key, const std::string& value) {
    if (value.empty()) return;
    AppendKey(out, key);
    AppendQuoted(out, value);
  };
  auto add_uint = [&out](std::string_view key, const std::optional<std::uint64_t>& value) {
    if (!value) return;
    AppendKey(out, key);
    AppendUint(out, *value);
  };
  add_string("f", event.f);
  add_string("node", event.node);
  if (event.role) {
    AppendKey(out, "role");
    AppendQuoted(out, ToString(*event.role));
  }
  add_uint("term", event.term);
  add_string("leader", event.leader);
  add_string("for", event.vote_for);
  add_uint("token", event.token);
  add_uint("lease_ms", event.lease_ms);
  if (event.detail.is_object()) {
    for (const auto& [key, value] : event.detail.items()) {
      if (IsTypedKey(key)) continue;  // The typed member wins; never write a key twice.
      AppendKey(out, key);
      out += value.dump(-1, ' ', false, json::error_handler_t::replace);
    }
  }
  out.push_back('}');
  return out;
}

std::optional<Event> ParseNodeLine(std::string_view line) {
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;  // Also covers "not JSON" (discarded).
  auto name = j.find("event");
  if (name == j.end() || !name->is_string()) return std::nullopt;
  std::optional<EventType> type = ParseEventType(name->get_ref<const std::string&>());
  if (type != EventType::kRole && type != EventType::kVote && type != EventType::kLease) {
    return std::nullopt;
  }
  Event event;
  event.type = *type;
  for (auto& [key, value] : j.items()) {
    if (key == "event" || SetContractField(event, key, value)) continue;
    // A node's own "t" (or "node", "i", ...) must not pass for the
    // controller's: keep it under a "node_" prefix.
    std::string kept = IsTypedKey(key) ? "node_" + key : key;
    event.detail[kept] = std::move(value);
  }
  RequireContractFields(event);
  return event;
}

std::string WhyNotContract(std::string_view line) {
  const std::size_t first = line.find_first_not_of(" \t\r");
  if (first == std::string_view::npos || line[first] != '{') return "";
  json j = json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return "not valid JSON (a truncated or unquoted object?)";
  if (!j.is_object()) return "";
  auto name = j.find("event");
  if (name == j.end()) return "no \"event\" field";
  if (!name->is_string()) return "\"event\" is not a string";
  const std::string& event = name->get_ref<const std::string&>();
  if (event != "role" && event != "vote" && event != "lease") {
    return "unknown event \"" + event + "\" (role, vote or lease)";
  }
  return "";
}

bool operator==(const Event& a, const Event& b) {
  return a.index == b.index && Micros(a.time) == Micros(b.time) && a.type == b.type && a.f == b.f &&
         a.node == b.node && a.role == b.role && a.term == b.term && a.leader == b.leader &&
         a.vote_for == b.vote_for && a.token == b.token && a.lease_ms == b.lease_ms &&
         SameDetail(a.detail, b.detail);
}

}  // namespace schism::histories
