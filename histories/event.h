#pragma once
// The event model: one entry of history.jsonl (DESIGN.md §3).
//
// A history is a sequence of events ordered by `index` ("i"). Every event has
// a time `t` in seconds since the run started, measured on the controller's own
// monotonic clock, and a `type`. The typed fields below cover what checkers
// read; anything else on the line (pid, signal, components, seed, ...) is kept
// verbatim in `detail` so that nothing written by a newer writer is lost.
//
// Line formats (one JSON object per line):
//   {"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2","n3"],"seed":42}
//   {"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":4242}
//   {"i":9,"t":0.4,"type":"role","node":"n3","role":"leader","term":1}
//   {"i":10,"t":0.4,"type":"vote","node":"n1","term":1,"for":"n3"}
//   {"i":11,"t":0.5,"type":"lease","node":"n3","term":1,"token":42,"lease_ms":2000}
//   {"i":20,"t":5.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
//   {"i":99,"t":60.0,"type":"run","f":"end"}

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace schism::histories {

enum class EventType { kRun, kProcess, kRole, kVote, kLease, kNemesis };
// How many event types there are: kNemesis is the last (tables by type use it).
inline constexpr std::size_t kEventTypeCount = static_cast<std::size_t>(EventType::kNemesis) + 1;
enum class Role { kLeader, kFollower, kCandidate };

// "run", "process", ... and back. ParseEventType / ParseRole return nullopt for
// an unknown name.
std::string_view ToString(EventType type);
std::string_view ToString(Role role);
std::optional<EventType> ParseEventType(std::string_view name);
std::optional<Role> ParseRole(std::string_view name);

struct Event {
  std::uint64_t index = 0;  // "i": position in the history, from 0, no gaps.
  double time = 0.0;        // "t": seconds since run start (controller clock).
  EventType type = EventType::kRun;
  std::string f;     // "f": sub-kind of run/process/nemesis events, e.g.
                     // "start", "end", "kill", "restart", "partition", "heal".
  std::string node;  // "node": the node the event is about; empty if none.

  // role events
  std::optional<Role> role;
  std::optional<std::uint64_t> term;  // role, vote, lease; absent for termless electors.
  std::string leader;                 // role: who the node believes leads ("" = unknown).

  // vote events
  std::string vote_for;  // "for": the candidate the vote was granted to.

  // lease events
  std::optional<std::uint64_t> token;
  std::optional<std::uint64_t> lease_ms;

  // Every other field of the line, verbatim (an object; null when there are none).
  nlohmann::json detail;
};

// Thrown for a history line that is not a valid event. what() is one line that
// names the problem; HistoryReader prefixes it with "<source>:<line>: ".
class HistoryError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses one history line (without the trailing newline). Throws HistoryError
// naming the problem (not JSON, missing "i"/"t"/"type", unknown type, a role
// event without a valid role, a field of the wrong JSON type, ...). Role, vote
// and lease events also need "node"; a vote needs "for" and a lease
// "lease_ms". A null value counts as an absent field.
Event ParseEventLine(std::string_view line);

// The same, into `out`, whose strings keep their capacity: a reader that
// reuses one Event parses without allocating. On a throw `out` is left in an
// unspecified (valid) state.
void ParseEventLine(std::string_view line, Event& out);

// Renders `event` as one JSON object on one line, without a newline. The
// result parses back to an equal event: ParseEventLine(FormatEvent(e)) == e.
// Keys come in the order i, t, type, f, node, role, term, leader, for, token,
// lease_ms, then those of `detail` (a key of `detail` that names a typed field
// is not written); empty strings and absent optionals are left out, and "t"
// has 6 decimals. Throws HistoryError if time is not finite or detail is
// neither null nor an object.
std::string FormatEvent(const Event& event);

// Parses one line that a node printed on stdout under the elector contract v1
// (DESIGN.md §2), e.g. {"event":"role","role":"leader","term":7}.
// Returns the event with type, role/term/leader/vote_for/token/lease_ms set
// (index, time and node are left for the caller to stamp), or nullopt when the
// line is not a contract event (not JSON, no "event" field, unknown event
// name): such lines belong in the node's log. Throws HistoryError when the
// line is a contract event with a bad field (e.g. "role":"king", a negative
// term), so the caller can log a precise complaint. Other fields of the line
// go to `detail`; the node's own "t" (and "i", "type", "f", "node") are kept
// as "node_t" and so on, never mistaken for the controller's.
std::optional<Event> ParseNodeLine(std::string_view line);

// For a line ParseNodeLine returned nullopt for: why it is not a contract
// event when it looks as if one was meant, e.g. "no \"event\" field",
// "unknown event \"rol\" (role, vote or lease)", "not valid JSON (a
// truncated object?)". Empty for a line that does not start with '{' (after
// blanks): plain log text is no near miss.
std::string WhyNotContract(std::string_view line);

// Field-wise equality, with "t" compared to the microsecond (the precision
// FormatEvent writes) and a null detail equal to an empty object.
bool operator==(const Event& a, const Event& b);

}  // namespace schism::histories
