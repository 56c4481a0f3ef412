#pragma once
// Checkers: pure judges of a history (DESIGN.md §4).
//
// A checker is fed every event of a history once, in order, through Observe(),
// and then gives its verdict from Finish(). Checkers never read files, clocks
// or sockets, so the same history always gets the same verdict. They are
// composed by name (MakeChecker) and their verdicts merged Jepsen's way:
// invalid beats unknown beats valid.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/event_context.h"
#include "histories/event.h"

namespace schism::histories {
class HistoryReader;
}

namespace schism::checkers {

// kValid: the property held. kInvalid: the evidence proves it was violated.
// kUnknown: the history does not hold enough to tell.
enum class Validity { kValid, kInvalid, kUnknown };

// "valid", "invalid" or "unknown".
std::string_view ToString(Validity validity);

// Combines two verdicts: kInvalid if either is, else kUnknown if either is,
// else kValid. kValid is the identity, so a fold over no verdicts is valid.
Validity Merge(Validity a, Validity b);

// One checker's judgement.
struct Verdict {
  std::string checker;  // The checker's name, e.g. "election-safety".
  Validity valid = Validity::kUnknown;
  std::string reason;                   // One line for a person to read.
  std::vector<std::uint64_t> evidence;  // History "i" values proving a violation.
  nlohmann::json details;               // Checker-specific figures (an object or null).
};

// Settings shared by all checkers.
struct CheckOptions {
  // Cluster size. 0 means: take it from the "nodes" array of the run/start
  // event; checkers that need it say unknown when neither is available.
  std::size_t nodes = 0;
  // How long after the final heal a stable leader must appear (liveness).
  double liveness_deadline_s = 20.0;
  // How long that leader must then hold, unbroken, in one term and followed
  // by a majority, to count as stable (liveness): one instant with a leader
  // proves nothing about a cluster that falls apart a moment later.
  double stable_window_s = 1.0;
  // How long a leader may go on claiming leadership while a partition keeps it
  // from a majority before partition-quorum calls it invalid: a leader needs
  // some time to notice (Raft's check-quorum takes up to two election
  // timeouts), so this is a generous multiple of a typical 0.3 s timeout.
  double partition_grace_s = 1.5;
  // Whether split-brain fails a termless elector (one whose role events carry
  // no term) for any window with two live leaders. Electors with terms fail
  // it only for two live leaders of the same term, whatever this says.
  bool split_brain_fails = true;
};

// The options as JSON, for the "checks" object of a run's run/start event:
// {"liveness_deadline_s","stable_window_s","partition_grace_s","split_brain_fails"}
// (and "nodes" when set), so that `schism check` can judge a history exactly
// as the run did.
nlohmann::json ToJson(const CheckOptions& options);

// Overwrites the fields of `options` that `recorded` (such a "checks" object)
// holds. Throws std::invalid_argument naming a field of the wrong type.
void ApplyRecorded(const nlohmann::json& recorded, CheckOptions& options);

// A set of event types: bit TypeBit(t) for each histories::EventType t.
using EventTypes = std::uint32_t;
constexpr EventTypes TypeBit(histories::EventType type) {
  return EventTypes{1} << static_cast<unsigned>(type);
}
inline constexpr EventTypes kEveryEventType = ~EventTypes{0};

// Judges one property of a history. Observe() is called once per event in
// history order, with what SharedContext worked out about that event for all
// checkers, then Finish() once. Either may throw; RunCheckers() turns that
// into an unknown verdict.
class Checker {
 public:
  virtual ~Checker() = default;
  // The name the checker is registered under.
  virtual std::string_view name() const = 0;
  virtual void Observe(const histories::Event& event, const EventContext& context) = 0;
  virtual Verdict Finish() = 0;
  // The types of event that Observe() does anything with: RunCheckers() feeds
  // the checker only those, and a long history is mostly of a type or two
  // that few checkers read. A checker that notes the time of every event
  // must keep the default, every type.
  virtual EventTypes Observes() const { return kEveryEventType; }
  // Of the types Observes() names, those whose events only tell the checker
  // that time passed: RunCheckers() feeds it the first and the last event of
  // the history whatever their type, and of the rest none of these types. A
  // checker may name a type here only when its Observe() of such an event
  // notes no more than the event's time and index, in a way that noting a
  // later event's supersedes (a history is mostly lease and vote events,
  // which most checkers read for nothing else).
  virtual EventTypes KeepsTimeOnly() const { return 0; }
};

// The registered checkers' names, in the order they are usually run.
std::vector<std::string> CheckerNames();

// The checkers a run or `schism check` uses when none are named: all but
// those that only a kind of run needs (service-failover, for the clients of a
// service with a primary, which a profile names).
std::vector<std::string> DefaultCheckerNames();

// Creates the checker registered as `name`. Throws std::invalid_argument
// ("unknown checker \"x\"; known: a, b, c") for a name not registered.
std::unique_ptr<Checker> MakeChecker(std::string_view name, const CheckOptions& options);

// Reads `reader` to its end once, feeding each event, with its context from
// one SharedContext, to every checker that observes its type (Observes()),
// and returns their verdicts in the order of `checkers`. Of the types a
// checker keeps the time of only (KeepsTimeOnly()), it is fed the first and
// the last event of the history, and no other. A checker that throws is not
// fed any further and gets an unknown verdict whose reason is the exception's
// message; the others carry on. Errors of the reader (a malformed line in
// strict mode) propagate as HistoryError.
std::vector<Verdict> RunCheckers(histories::HistoryReader& reader,
                                 std::vector<std::unique_ptr<Checker>>& checkers);

}  // namespace schism::checkers
