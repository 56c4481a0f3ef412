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
//    {"t":4.5,"f":"kill","target":"voter","signal":9,"restart_after":0.04,"voter_wait":2,
//     "rival":true},
//    {"t":6.2,"f":"heal"},
//    {"t":8.0,"f":"partition","grudge":"components","components":[["n1","n2"],["n3"]]},
//    {"t":9.0,"f":"partition","grouping":"n1,n2|n3"},             (input only: components)
//    {"t":10.0,"f":"partition","grudge":"explicit","drops":[["n1","n2"]]},
//    {"t":12.0,"f":"loss","target":"into","node":"n2","percent":30},
//    {"t":14.0,"f":"loss-end"},
//    {"t":15.0,"f":"pause","target":"leader","resume_after":1.5,"how":"freeze"},
//    {"t":17.0,"f":"flap","grudge":"halves","hold":4,"every":[0.2,1.0]},
//    {"t":22.0,"f":"term","target":"minority","grace":2,"restart_after":1},
//    {"t":25.0,"f":"delay","target":"all","delay_ms":50,"jitter_ms":20},
//    {"t":28.0,"f":"delay-end"},
//    {"t":29.0,"f":"bandwidth","target":"node","node":"n1","rate_kbit":256},
//    {"t":31.0,"f":"bandwidth-end"},
//    {"t":32.0,"f":"clock","target":"leader","mode":"bump","offset_ms":-1500},
//    {"t":33.0,"f":"clock","target":"node","node":"n2","mode":"strobe","offset_ms":0,
//     "offset2_ms":800,"period":0.25},
//    {"t":34.0,"f":"clock","target":"all","mode":"rate","rate":2},
//    {"t":36.0,"f":"clock-end"},
//    {"t":37.0,"f":"duplicate","target":"pair","percent":20},
//    {"t":40.0,"f":"duplicate-end"},
//    {"t":48.0,"f":"heal"},{"t":48.0,"f":"loss-end"},{"t":48.0,"f":"resume"},
//    {"t":48.0,"f":"restart"}]
// FromJson also accepts {"ops":[...]} around the list. Each op belongs to one
// fault kind (fault_kind.h, one file each under faults/), which reads,
// writes, draws, resolves and rebuilds it; docs/nemesis.md describes every
// op and field.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nemesis/grudge.h"

namespace schism::nemesis {

// New kinds are appended, so existing values keep their numbers.
enum class OpKind {
  kPartition,  // Apply a grudge (replaces the one in force).
  kHeal,       // Drop no packet any more (loss rules stay).
  kKill,       // Kill a node's process with `signal`.
  kRestart,    // Start killed nodes again.
  kLoss,       // Drop `loss_percent` % of the packets of some directed pairs at random.
  kLossEnd,    // Clear every loss rule.
  kPause,      // SIGSTOP a node's process; SIGCONT it after `resume_after_s`.
  kResume,     // SIGCONT paused nodes (`node`, or every paused node).
  kFlap,       // Partition (`grudge`) and heal at random short intervals for `hold_s`.
  kTerm,       // SIGTERM a node's process; SIGKILL it after `grace_s` if still alive.
  kDelay,      // Hold the packets of some directed pairs for `delay_ms` ± `jitter_ms`.
  kDelayEnd,   // Clear every delay.
  kBandwidth,  // Limit a node's veth, both directions, to `rate_kbit`.
  kBandwidthEnd,  // Lift bandwidth limits (`node`, or every node).
  kClock,      // Skew a node's clock: bump, strobe or rate (`clock_mode`).
  kClockEnd,   // Restore clocks (`node`, or every node).
  kDuplicate,  // Deliver `loss_percent` % of the packets of some directed pairs twice.
  kDuplicateEnd,  // Clear every duplication.
};

// The shape of a partition; the concrete grudge is drawn by Resolve().
enum class GrudgeKind {
  kHalves,          // Two random halves (Halves).
  kOne,             // One random node cut off (IsolateOne).
  kIsolateLeader,   // The current leader cut off (a random node if none is known).
  kMajoritiesRing,  // MajoritiesRing: not transitive.
  kBridge,          // Bridge: not transitive.
  kComponents,      // The explicit `components` of the op (a user's grouping, a replay).
  kRandomHalves,    // A random minority of 1 .. floor(N/2) nodes cut off (RandomHalves).
  kMinorityThird,   // A random max(1, floor(N/3)) nodes cut off (MinorityThird).
  kOneWay,          // A random minority is not heard by the rest (RandomOneWay).
  kExplicit,        // The explicit directed `drops` of the op (a replay of any grudge).
};

// Which directed pairs a kLoss, kDelay or kDuplicate op hits; resolved by Resolve().
enum class LossTarget {
  kPair,   // One random directed pair.
  kInto,   // Every pair into one node: the op's `node`, or a random node when empty.
  kAll,    // Every directed pair of the cluster.
  kPairs,  // The op's explicit `loss_pairs`.
};

// Whom a kill (or a pause) hits; resolved by Resolve().
enum class KillTarget {
  kRandom,  // A random live node.
  kLeader,  // The current leader (a random live node if none is known).
  kVoter,   // The next node that grants a vote to another node after the op starts (kill only).
  kNode,    // The op's explicit `node`.
  kMinority,  // max(1, floor((N-1)/2)) random live nodes.
  kMajority,  // floor(N/2)+1 random live nodes (fewer when fewer live).
  kAll,       // Every live node.
  // The next node that another node grants a vote to after the op starts (kill
  // only): a candidate or leader-elect, killed mid-election.
  kCandidate,
};

// True for the targets a kill waits for a vote to name: the voter or the
// candidate it voted for.
inline bool AwaitsVote(KillTarget target) {
  return target == KillTarget::kVoter || target == KillTarget::kCandidate;
}

// How a kClock op changes a node's clock.
enum class ClockMode {
  kBump,    // Jump by `clock_offset_ms` (either sign).
  kStrobe,  // Flip between `clock_offset_ms` and `clock_offset2_ms` every `clock_period_s`.
  kRate,    // Run at `clock_rate` times real speed from now on.
};

struct Op {
  double offset_s = 0.0;  // Seconds from run start.
  OpKind kind = OpKind::kHeal;

  // kPartition only.
  GrudgeKind grudge = GrudgeKind::kHalves;
  Components components;  // For GrudgeKind::kComponents.
  Grudge drops;           // For GrudgeKind::kExplicit.

  // kKill only.
  KillTarget target = KillTarget::kRandom;
  int signal = 9;
  // The killed node is restarted this long after it died; 0 means it stays
  // dead until a restart op.
  double restart_after_s = 0.0;
  // For KillTarget::kVoter and kCandidate: give up (and record a skipped kill) when no vote
  // is granted within this many seconds.
  double voter_wait_s = 0.0;
  // For KillTarget::kVoter and kCandidate: only a vote granted in a term in which another
  // node (neither the voter nor its candidate) stands too, a contested
  // election, whose rival may ask the voter again once it is back.
  bool rival = false;

  // kKill, kTerm, kPause, kBandwidth or kClock with KillTarget::kNode,
  // kRestart, kResume, kBandwidthEnd or kClockEnd of one node (empty: every
  // such node), kLoss, kDelay or kDuplicate with LossTarget::kInto.
  std::string node;

  // kLoss, kDelay and kDuplicate: which pairs (kLoss and kDuplicate: what share).
  LossTarget loss_target = LossTarget::kPair;
  int loss_percent = 0;  // 0 .. 100 (kDuplicate: 1 .. 100).
  std::vector<std::pair<std::string, std::string>> loss_pairs;  // For LossTarget::kPairs.

  // kPause (with `target` and `node` as for kKill): the node gets SIGCONT
  // this long after SIGSTOP; 0 means it stays paused until a resume op.
  double resume_after_s = 0.0;
  // kPause: freeze the node's cgroup (it cannot tell) instead of SIGSTOP.
  bool freeze = false;

  // kFlap: flap for this long, each partition or heal phase lasting
  // uniformly between flap_min_s and flap_max_s; it ends healed.
  double hold_s = 0.0;
  double flap_min_s = 0.2;
  double flap_max_s = 1.0;

  // kTerm: seconds between SIGTERM and SIGKILL (restart_after_s as for kKill).
  double grace_s = 2.0;

  // kDelay: every packet of the chosen pairs is held delay_ms ± jitter_ms.
  double delay_ms = 0.0;
  double jitter_ms = 0.0;

  // kBandwidth: the node's rate in kbit/s, each direction.
  int rate_kbit = 0;

  // kClock.
  ClockMode clock_mode = ClockMode::kBump;
  double clock_offset_ms = 0.0;   // kBump, kStrobe (first offset).
  double clock_offset2_ms = 0.0;  // kStrobe (second offset).
  double clock_period_s = 0.5;    // kStrobe.
  double clock_rate = 1.0;        // kRate.

  friend bool operator==(const Op&, const Op&) = default;
};

struct ScheduleOptions {
  double duration_s = 60.0;  // Length of the whole run.
  double interval_s = 3.0;   // Typical gap between a fault and its heal, and between faults.
  // Final healed period with no op inside; default max(5, 20% of duration),
  // capped at the duration.
  std::optional<double> quiet_s;
  // Subset of kNemesisNames.
  std::vector<std::string> nemeses;
  // Relative share of cycles per nemesis, overriding the defaults (see
  // docs/nemesis.md). Giving any weight switches partition+kill schedules to
  // the weighted draw.
  std::map<std::string, double> weights;
  std::size_t node_count = 5;
  std::uint64_t seed = 0;
};

// Every nemesis name Generate knows, for --nemesis: the Name() of each fault
// kind of AllFaultKinds() (fault_kind.h), in that order, as a range of
// std::string_view (begin(), end(), size()).
class NemesisNameList {
 public:
  using const_iterator = std::vector<std::string_view>::const_iterator;
  const_iterator begin() const;
  const_iterator end() const;
  std::size_t size() const;

 private:
  static const std::vector<std::string_view>& Names();
};
inline constexpr NemesisNameList kNemesisNames{};

// Returns the quiet period that `options` asks for (resolving the default).
double QuietPeriod(const ScheduleOptions& options);

// Returns the schedule for `options`, ordered by offset (ties keep their
// order). The same options give the same list on every platform. The first
// fault comes 1-2 s after the start, once a first leader has been elected,
// and never waits for a voter; each cycle is drawn by one enabled fault kind
// (FaultKind::DrawCycle in fault_kind.h), faults and their ends alternate
// every few seconds, a kill may fall inside a partition, and at duration -
// quiet the list ends with the end op of every enabled kind in TailStage
// order: a full heal and a restart of every dead node always, and loss-end,
// delay-end, bandwidth-end, clock-end, a resume of every paused node, ...
// when their nemesis is on; no op (and no automatic restart or resume)
// falls inside the quiet period. With only
// "partition" and/or "kill" and no weights the generator makes the draws it
// made before the other nemeses existed (pinned by schedule_pin_test.cc;
// only a kill's target may now be a minority, majority or every node).
// Returns an empty list when `nemeses` is empty. Throws std::invalid_argument
// for a non-positive duration or interval, a quiet period outside [0,
// duration], no nodes, an unknown nemesis name, or a weight that is negative
// or names a nemesis that is not on.
std::vector<Op> Generate(const ScheduleOptions& options);

// Names used in JSON. An op's name is the one its fault kind gives it
// (OpSpec in fault_kind.h: "partition", "heal", "loss", "loss-end", ...; "?"
// for a value no kind owns). The others: "halves"/"one"/"isolate-leader"/
// "majorities-ring"/"bridge"/"components"/"random-halves"/"minority-third"/
// "one-way"/"explicit"; "random" (read "one" too)/"leader"/"voter"/"candidate"/"node"/
// "minority"/"majority"/"all"; "pair"/"into"/"all"/"pairs"; and
// "bump"/"strobe"/"rate".
std::string_view ToString(OpKind kind);

// True for the ops that only end faults, the EndOp() of some fault kind
// (heal, restart, resume, loss-end, ...): a timeline may place them inside
// the quiet period, where no fault may start.
bool EndsFaults(OpKind kind);
std::string_view ToString(GrudgeKind kind);
std::string_view ToString(KillTarget target);
std::string_view ToString(LossTarget target);
std::string_view ToString(ClockMode mode);

// Returns true for grudge kinds that are never a clean partition.
bool IsNonTransitive(GrudgeKind kind);

// The timeline as saved in timeline.json (see the top of this file).
nlohmann::json ToJson(const Op& op);
nlohmann::json ToJson(const std::vector<Op>& ops);

// Parses a timeline written by ToJson or by hand: a JSON array of ops, or an
// object whose "ops" is that array. A partition may give "grouping":
// "n1,n2|n3" instead of "grudge" and "components". Throws
// std::invalid_argument with a one-line message naming the entry index (e.g.
// "timeline[3]: unknown op \"explode\"") for an unknown op, grudge or
// target, a field the op does not read ("timeline[0]: unknown field
// \"restart_afer\" for kill; did you mean \"restart_after\"?", reported
// before any missing field), a missing or mistyped field, a negative offset, offsets that
// decrease, a loss percent outside 0..100 ("timeline[1]: loss 150% is
// outside 0..100"), or a malformed grouping. Node names are not checked here
// (Resolve rejects unknown ones); use the overload below to check them early.
std::vector<Op> FromJson(const nlohmann::json& timeline);

// As FromJson, and also checks every node the timeline names against the
// cluster `nodes`: e.g. "timeline[2]: unknown node \"n9\" in grouping". A
// "grouping" must then list every node exactly once.
std::vector<Op> FromJson(const nlohmann::json& timeline, const std::vector<std::string>& nodes);

// Rebuilds, from the harness's own timeline.json ({"seed":S,"ops":[{"t":T,
// "op":<ToJson(op)>,"applied":<ResolvedOp::Describe()>}, ...]}, or its bare
// "ops" array), ops that replay the *resolved* targets exactly at the applied
// offsets T: a partition becomes `components` (or `explicit` drops when it
// was not a clean partition), a kill or pause targets its victim by name, a
// loss lists its pairs, a restart or resume names each node. Entries that
// were skipped or were still awaiting a voter are left out. Throws
// std::invalid_argument naming the entry index for a malformed entry; each
// "op" is checked as FromJson checks an op, unknown fields included
// ("timeline[2]: op: unknown field ...").
std::vector<Op> FromAppliedTimeline(const nlohmann::json& timeline);

// As FromAppliedTimeline, and also checks every node the rebuilt ops name
// against the cluster `nodes`, naming the entry: "timeline[4]: unknown node ...".
std::vector<Op> FromAppliedTimeline(const nlohmann::json& timeline,
                                    const std::vector<std::string>& nodes);

}  // namespace schism::nemesis
