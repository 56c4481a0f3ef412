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
  std::map<DirectedPair, std::uint64_t> dropped;  // per cut pair, at the end
  std::uint64_t forwarded = 0;          // frames the bridge forwarded while it held
};

// Proven when the kernel held exactly the asked pairs and the cut either
// dropped a packet or the nodes demonstrably talked over the bridge (frames
// passed on uncut pairs) while it held. An empty grudge is proven by the
// read-back alone.
Proof JudgePartition(const PartitionMeasure& m);

// Packets of one directed pair under loss or duplication: how many its rule
// saw, how many it acted on (dropped or duplicated), at `percent`.
struct PairCount {
  int percent = 0;
  std::uint64_t seen = 0;
  std::uint64_t hit = 0;
};

// Proven when the total acted on lies within four standard deviations (plus
// one packet) of what the percents ask for, and either some packet was seen
// or the pairs were idle while `forwarded` frames crossed the bridge between
// other pairs (the elector talks, just not there). `what` names the action:
// "dropped" or "duplicated".
Proof JudgeRandomShare(const std::vector<PairCount>& pairs, const std::string& what,
                       std::uint64_t forwarded);

// One directed pair's delayed packets.
struct DelayCount {
  std::uint64_t packets = 0;
  double mean_ms = 0;
};

// Proven when the held packets' mean delay is within 20 % + 5 ms of
// `delay_ms`, or none was held while `forwarded` frames crossed the bridge
// between other pairs.
Proof JudgeDelay(const std::vector<DelayCount>& pairs, double delay_ms, std::uint64_t forwarded);

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

}  // namespace schism::nemesis
