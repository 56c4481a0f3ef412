#pragma once
// The nemesis schedule: a seeded, pure list of faults with their offsets.
//
// Generate() decides *what kind* of fault happens *when*; it never looks at
// the cluster. Which node a "leader" or "random" fault hits is decided at
// apply time by Resolve() (resolve.h), and the history records the resolved
// op. The list itself is saved as timeline.json, so a run can be replayed.
//
// Timeline JSON (one object per op, offsets in seconds from run start):
//   [{"t":3.1,"f":"partition","grudge":"bridge"},
//    {"t":4.0,"f":"kill","target":"voter","signal":9,"restart_after":0.08,"voter_wait":4.5},
//    {"t":6.2,"f":"heal"},
//    {"t":8.0,"f":"partition","grudge":"components","components":[["n1","n2"],["n3"]]},
//    {"t":48.0,"f":"heal"},{"t":48.0,"f":"restart"}]

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nemesis/grudge.h"

namespace schism::nemesis {

enum class OpKind { kPartition, kHeal, kKill, kRestart };

// The shape of a partition; the concrete grudge is drawn by Resolve().
enum class GrudgeKind {
  kHalves,          // Two random halves (Halves).
  kOne,             // One random node cut off (IsolateOne).
  kIsolateLeader,   // The current leader cut off (a random node if none is known).
  kMajoritiesRing,  // MajoritiesRing: not transitive.
  kBridge,          // Bridge: not transitive.
  kComponents,      // The explicit `components` of the op (a user's grouping, a replay).
};

// Whom a kill hits; resolved by Resolve().
enum class KillTarget {
  kRandom,  // A random live node.
  kLeader,  // The current leader (a random live node if none is known).
  kVoter,   // The next node that grants a vote to another node after the op starts.
  kNode,    // The op's explicit `node`.
};

struct Op {
  double offset_s = 0.0;  // Seconds from run start.
  OpKind kind = OpKind::kHeal;

  // kPartition only.
  GrudgeKind grudge = GrudgeKind::kHalves;
  Components components;  // For GrudgeKind::kComponents.

  // kKill only.
  KillTarget target = KillTarget::kRandom;
  int signal = 9;
  // The killed node is restarted this long after it died; 0 means it stays
  // dead until a restart op.
  double restart_after_s = 0.0;
  // For KillTarget::kVoter: give up (and record a skipped kill) when no vote
  // is granted within this many seconds.
  double voter_wait_s = 0.0;

  // kKill with KillTarget::kNode, or kRestart of one node; a kRestart with an
  // empty node restarts every dead node.
  std::string node;

  friend bool operator==(const Op&, const Op&) = default;
};

struct ScheduleOptions {
  double duration_s = 60.0;  // Length of the whole run.
  double interval_s = 3.0;   // Typical gap between a fault and its heal, and between faults.
  // Final healed period with no op inside; default max(5, 20% of duration),
  // capped at the duration.
  std::optional<double> quiet_s;
  std::vector<std::string> nemeses;  // Subset of "partition", "kill".
  std::size_t node_count = 5;
  std::uint64_t seed = 0;
};

// Returns the quiet period that `options` asks for (resolving the default).
double QuietPeriod(const ScheduleOptions& options);

// Returns the schedule for `options`, ordered by offset (ties keep their
// order). The same options give the same list on every platform. Faults
// start after a first interval, faults and heals alternate every few
// seconds, a kill may fall inside a partition, and at duration - quiet the
// list ends with a full heal and a restart of every dead node; no op (and no
// automatic restart of a kill) falls inside the quiet period. Returns an
// empty list when `nemeses` is empty. Throws std::invalid_argument for a
// non-positive duration or interval, a quiet period outside [0, duration],
// no nodes, or an unknown nemesis name.
std::vector<Op> Generate(const ScheduleOptions& options);

// Names used in JSON: "partition"/"heal"/"kill"/"restart", "halves"/"one"/
// "isolate-leader"/"majorities-ring"/"bridge"/"components", and
// "random"/"leader"/"voter"/"node".
std::string_view ToString(OpKind kind);
std::string_view ToString(GrudgeKind kind);
std::string_view ToString(KillTarget target);

// Returns true for grudge kinds that are never a clean partition.
bool IsNonTransitive(GrudgeKind kind);

// The timeline as saved in timeline.json (see the top of this file).
nlohmann::json ToJson(const Op& op);
nlohmann::json ToJson(const std::vector<Op>& ops);

// Parses a timeline written by ToJson. Throws std::invalid_argument with a
// one-line message naming the entry index (e.g. "timeline[3]: unknown op
// \"explode\"") for an unknown op, grudge or target, a missing or mistyped
// field, a negative offset, or offsets that decrease.
std::vector<Op> FromJson(const nlohmann::json& timeline);

}  // namespace schism::nemesis
