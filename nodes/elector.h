#pragma once
// The interface every built-in elector implements, in the spirit of
// etcd-io/raft's RawNode: a pure state machine that schism-node's runtime
// drives.
//
// An elector never touches a socket, a clock, a thread, a file or a global
// random generator. Time is a count of ticks (Tick()); messages from peers come
// in through Step(). Both accumulate effects into an ElectorReady batch that
// the caller takes with TakeReady() and applies in this order:
//
//   1. durably write ElectorReady::state, if present;
//   2. publish ElectorReady::events (contract v1 lines, DESIGN.md §2);
//   3. send ElectorReady::messages.
//
// Writing the state before anything leaves the node is what makes a vote (or
// any other promise) binding across restarts.
//
// Messages and durable state are JSON objects whose shape each elector owns:
// the runtime moves them between the wire, the state file and the elector
// without looking inside. Not thread-safe: the caller serializes all calls.

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schism::nodes {

// Insertion-ordered, so that what an elector writes is what goes on the wire
// and into its state file, field for field.
using Json = nlohmann::ordered_json;

// One message between two electors of the same kind.
struct Envelope {
  std::string from;  // The sender's node id.
  std::string to;    // The addressee's node id.
  std::string type;  // The elector's name for the message, e.g. "request-vote".
  // The elector's payload: a JSON object whose keys are none of "type",
  // "from" and "to" (the wire format puts all of them in one object).
  Json fields = Json::object();

  friend bool operator==(const Envelope&, const Envelope&) = default;
};

// One line of the elector contract v1 (DESIGN.md §2) that a node prints.
struct ContractEvent {
  enum class Kind { kRole, kVote, kLease };
  enum class Role { kFollower, kCandidate, kLeader };

  Kind kind = Kind::kRole;
  Role role = Role::kFollower;        // kRole only.
  std::optional<std::uint64_t> term;  // Absent for electors without terms.
  // kRole: the leader this node believes in, empty when unknown (printed for
  // followers only; a leader may name itself). kVote: the candidate voted for.
  std::string node;
  std::uint64_t token = 0;     // kLease: the fencing token.
  std::uint64_t lease_ms = 0;  // kLease: how long the claim lasts.

  static ContractEvent RoleChange(Role role, std::optional<std::uint64_t> term,
                                  std::string leader) {
    return {Kind::kRole, role, term, std::move(leader)};
  }
  static ContractEvent Vote(std::optional<std::uint64_t> term, std::string candidate) {
    return {Kind::kVote, Role::kFollower, term, std::move(candidate)};
  }
  static ContractEvent Lease(std::optional<std::uint64_t> term, std::uint64_t token,
                             std::uint64_t lease_ms) {
    return {Kind::kLease, Role::kLeader, term, "", token, lease_ms};
  }

  friend bool operator==(const ContractEvent&, const ContractEvent&) = default;
};

// The output of one or more Tick()/Step() calls; see the file comment for the
// order in which the caller must apply it.
struct ElectorReady {
  std::optional<Json> state;  // The whole durable state, set when it changed.
  std::vector<ContractEvent> events;
  std::vector<Envelope> messages;  // Addressed to peers only.

  bool empty() const { return !state && events.empty() && messages.empty(); }
};

// Everything an elector is built from, the same for every kind of elector.
struct ElectorSetup {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  // Seeds the elector's own RNG; the runtime makes it differ between nodes.
  std::uint64_t seed = 0;
  int tick_ms = 10;  // The real length of one Tick(), to turn durations into ticks.
  std::string bug;   // "" for none, else the name of one of the elector's bugs.
  // The elector's own options by name without "--" (e.g. "election-min-ms"):
  // every option the elector declares is present; a flag is 0 or 1.
  std::map<std::string, std::int64_t, std::less<>> options;

  // Returns the value of option `name`, which the elector must have declared.
  std::int64_t option(std::string_view name) const {
    const auto it = options.find(name);
    assert(it != options.end());  // A typo in an elector, never a user's mistake.
    return it->second;
  }
};

// Ticks needed to cover `ms` when one tick lasts `tick_ms` (rounded up, at least one).
inline int TicksFor(std::int64_t ms, int tick_ms) {
  return static_cast<int>(std::max<std::int64_t>(1, (ms + tick_ms - 1) / tick_ms));
}

// A randomized timeout, drawn uniformly from [min_ticks, max_ticks] (min <= max).
inline int DrawTicks(std::mt19937_64& rng, int min_ticks, int max_ticks) {
  const int span = max_ticks - min_ticks + 1;
  return min_ticks + static_cast<int>(rng() % static_cast<unsigned>(span));
}

// Adds the role event `event` to `ready` unless it repeats `last`, the role
// event reported before (a role line is printed only when something changed).
inline void ReportRoleIfChanged(ContractEvent event, std::optional<ContractEvent>& last,
                                ElectorReady& ready) {
  if (last && *last == event) return;
  last = event;
  ready.events.push_back(std::move(event));
}

// For an elector's check: "" when option `lower` (a name without "--") is at
// most option `upper`, else the usage error saying so.
inline std::string CheckNotAbove(const ElectorSetup& setup, std::string_view lower,
                                 std::string_view upper) {
  if (setup.option(lower) <= setup.option(upper)) return "";
  return "--" + std::string(lower) + " must not exceed --" + std::string(upper);
}

// The same for option `shorter`, which must be below option `longer`.
inline std::string CheckShorter(const ElectorSetup& setup, std::string_view shorter,
                                std::string_view longer) {
  if (setup.option(shorter) < setup.option(longer)) return "";
  return "--" + std::string(shorter) + " must be shorter than --" + std::string(longer);
}

class Elector {
 public:
  Elector() = default;
  Elector(const Elector&) = delete;
  Elector& operator=(const Elector&) = delete;
  virtual ~Elector() = default;

  // Advances logical time by one tick.
  virtual void Tick() = 0;

  // Processes one message addressed to this node (the caller has checked
  // message.to). Messages from a node that is not a peer are ignored. Returns
  // false, changing nothing, when the message is not one this elector knows
  // (unknown type, a field missing or of the wrong type); the runtime counts
  // it as undecodable.
  virtual bool Step(const Envelope& message) = 0;

  // Returns everything accumulated since the last call and starts a new batch.
  // The first batch carries the role event of the initial state.
  virtual ElectorReady TakeReady() = 0;

  // True when TakeReady() would return a non-empty batch.
  virtual bool HasReady() const = 0;
};

}  // namespace schism::nodes
