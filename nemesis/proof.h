#pragma once
// Proof that a fault took effect, judged from what the kernel measured.
//
// A mechanism applies a fault, reads back what the OS did (counters, cgroup
// state, a clock probe) and hands the numbers to a judge here. The judges are
// pure, so their bounds are unit-tested without root. The harness records
// each Proof as the fault's "verified" event in the history:
//
//   {"type":"nemesis","f":"loss","phase":"verified","of":41,"proven":true,
//    "by":"dropped 61 of 200 packets (asked 30%: 60 ± 26)",...measured}
//   {"type":"nemesis","f":"partition","phase":"verified","of":12,"proven":false,
//    "why":"partition at 12.3 s dropped no packet between cut pairs ..."}
//
// and the faults-applied checker counts them: a fault that is not proven
// makes the run unknown.

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace schism::nemesis {

struct Proof {
  bool proven = false;
  // Proven: what showed it, e.g. "cgroup empty after 3 ms". Not proven: why
  // not, in words a user can act on.
  std::string how;
  // The numbers the judge saw, recorded with the verdict.
  nlohmann::json measured = nlohmann::json::object();

  // The fields of the verified event: {"proven":..,"by"|"why":..} + measured.
  nlohmann::json ToJson() const;
};

using DirectedPair = std::pair<std::string, std::string>;

// What a partition's kernel counters showed between its install and its end.
struct PartitionMeasure {
  double start_s = 0;                   // when it was installed (run time)
  std::set<DirectedPair> asked;         // the grudge's directed pairs
  std::set<DirectedPair> installed;     // the pairs the kernel's set held at install
  std::uint64_t dropped = 0;            // packets dropped between cut pairs while it held
  std::uint64_t forwarded = 0;          // frames the bridge forwarded while it held
  // When the nodes sent nothing across the bridge while it held, the harness
  // sends one frame of its own across a cut pair before the heal:
  std::optional<DirectedPair> probe;    // that pair
  bool probe_dropped = false;           // whether the pair's counter counted it
  std::string probe_error;              // why it could not be sent
};

// Proven when the kernel held exactly the asked pairs and the cut either
// dropped a packet, or the nodes demonstrably talked over the bridge (frames
// passed on uncut pairs) while it held, or, the nodes being silent, it
// dropped the harness's probe frame. An empty grudge is proven by the
// read-back alone.
Proof JudgePartition(const PartitionMeasure& m);

// Packets of the pairs at one percent of a loss or duplication: how many
// their rule saw, and how many it acted on (dropped or duplicated).
struct ShareCount {
  int percent = 0;
  std::uint64_t seen = 0;
  std::uint64_t hit = 0;
  std::size_t pairs = 0;  // the pairs at this percent

  friend bool operator==(const ShareCount&, const ShareCount&) = default;
};
// One per percent in force, by ascending percent.
using ShareCounts = std::vector<ShareCount>;

// Proven when the total acted on lies within four standard deviations (plus
// one packet) of what the percents ask for, and either some packet was seen
// or the pairs were idle while `forwarded` frames crossed the bridge between
// other pairs (the elector talks, just not there). `what` names the action:
// "dropped" or "duplicated".
Proof JudgeRandomShare(const ShareCounts& shares, const std::string& what, std::uint64_t forwarded);

// One directed pair's delayed packets.
struct DelayCount {
  std::uint64_t packets = 0;
  double mean_ms = 0;
};

// Proven when the held packets' mean delay is within 20 % + 5 ms of
// `delay_ms`, widened by 4 standard deviations of the mean of that many
// holds drawn uniformly within ± `jitter_ms`, or none was held while
// `forwarded` frames crossed the bridge between other pairs.
Proof JudgeDelay(const std::vector<DelayCount>& pairs, double delay_ms, double jitter_ms,
                 std::uint64_t forwarded);

// Bytes one token bucket let through while a limit held.
struct BandwidthMeasure {
  double held_s = 0;          // how long the limit held
  std::uint64_t rate_kbit = 0;
  std::uint64_t burst_bytes = 0;
  std::uint64_t sent_bytes = 0;  // both directions together
  std::uint64_t directions = 2;  // buckets summed in sent_bytes
  std::uint64_t forwarded = 0;   // frames the bridge forwarded while it held
};

// Proven when no more than the rate allows passed: per bucket rate * held +
// burst (+ 2 % and one 1514-byte frame for timer slack), and either something
// passed or the node was idle while other frames crossed the bridge.
Proof JudgeBandwidth(const BandwidthMeasure& m);

// The bounds of a clock proof. libfaketime computes a node's clock exactly
// from its file and the shared anchor (nemesis/clock.h), and the probe reads
// the true clocks by system call around its own reading, so what remains is
// the probe's own uncertainty (spread_ms, added) and the file's microseconds.
// Nodes re-read their file at every time call (FAKETIME_NO_CACHE=1), so no
// cache delay needs room.
inline constexpr double kClockOffsetToleranceMs = 2.0;
inline constexpr double kClockRateTolerance = 0.005;  // relative

// What a probe started in a node's own environment (its libfaketime
// variables, its network namespace) read just after a clock op was applied.
struct ClockMeasure {
  std::string node;
  std::string mode;     // "bump", "strobe" or "rate"
  double op_value = 0;  // the op's offset_ms (a bump's jump, a strobe's first offset) or rate
  // CLOCK_REALTIME, against the true clock at the probe's reading: what the
  // node's setting gives then, and what the probe read.
  double asked_offset_ms = 0;
  double read_offset_ms = 0;
  // CLOCK_MONOTONIC, when the mechanism fakes it (libfaketime counts it from
  // the realtime epoch, so a probe libfaketime missed is off by decades).
  bool monotonic = false;
  double asked_monotonic_offset_ms = 0;
  double read_monotonic_offset_ms = 0;
  double asked_rate = 1;
  std::optional<double> read_rate;  // over two readings rate_span_ms apart (true time)
  double rate_span_ms = 0;
  double spread_ms = 0;  // the widest gap between the probe's true readings around a reading
  // When the node's clock was set again (a newer clock op, a strobe's flip,
  // clock-end), this long after the op; readings after it are not the op's.
  std::optional<double> changed_after_ms;
  // Why the probe gave nothing to judge (it failed to start, timed out, the
  // clock was changed again before it read it); empty when it read.
  std::string error;
};

// Proven when the probe read, on both clocks, the offset the setting gives
// within kClockOffsetToleranceMs + spread_ms, and (a rate op must be timed)
// the rate within kClockRateTolerance + 2 * spread_ms / rate_span_ms of it.
// Not proven names the node, what was asked and read, and the likely cause
// (libfaketime not loaded, or not reading this node's file).
Proof JudgeClock(const ClockMeasure& m);

}  // namespace schism::nemesis
