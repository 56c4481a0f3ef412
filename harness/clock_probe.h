#pragma once
// The clock self-test. Before the harness relies on a clock fault of a node,
// it starts `schism-node clock-probe` exactly as it would start that node
// (the node's extra environment, e.g. FaketimeClocks::Environment, and its
// ChildSetup: network namespace, time-namespace offset) and compares the
// probe's clocks with its own. When the elector's binary is unsupported
// (nemesis::CheckClockSupport) or the self-test fails, the run marks its clock
// part `unknown` and reports ClockSelfTestResult::message.
//
//   ClockSelfTestResult result = RunClockSelfTest(
//       {schism_node, clocks.Environment("n1"), setup_of_n1}, clocks.Expected("n1"));
//   if (!result.ok) ... the clock part is unknown, because result.message
//
// The probe only proves that schism-node's clocks move as asked; the elector
// is judged by its binary. Both read the clock through libc's clock_gettime.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/spawn.h"
#include "nemesis/clock.h"

namespace schism::harness {

// One line of the probe, stamped with the controller's clocks when it arrived.
struct ClockProbeSample {
  std::int64_t node_realtime_ns = 0;
  std::int64_t node_monotonic_ns = 0;
  std::int64_t controller_realtime_ns = 0;
  std::int64_t controller_monotonic_ns = 0;
};

// How the probe is started: as a node would be.
struct ClockProbeCommand {
  std::filesystem::path schism_node;  // the schism-node executable
  // Added to the controller's environment, as NodeProcess does for a node.
  std::vector<std::pair<std::string, std::string>> env;
  // As the node's: netns_fd, time_offset_ns. Leave cgroup_procs_fd at -1
  // unless the probe should share the node's cgroup (a frozen one stalls it).
  ChildSetup setup;
};

// Starts `schism-node clock-probe --count N --watch MS` under `command`
// (through NodeProcess, the very wrapper of a node), collects its N lines and
// waits for it to exit. `on_sample`, when set, is called with each sample as
// it arrives (a test may change the clock there). Throws std::runtime_error
// with the probe's stderr when it cannot be started, exits before N lines or
// with a nonzero code, prints a line that is not a probe line, or runs past
// `timeout` (it is killed and reaped first).
std::vector<ClockProbeSample> RunClockProbe(
    const ClockProbeCommand& command, int count, std::chrono::milliseconds every,
    std::chrono::milliseconds timeout = std::chrono::seconds(5),
    const std::function<void(const ClockProbeSample&)>& on_sample = {});

struct ClockSelfTestOptions {
  int samples = 1;                       // lines asked from the probe
  std::chrono::milliseconds every{100};  // between them
  double tolerance_ms = 100;             // allowed |measured - expected| offset, per sample
  double rate_tolerance = 0.15;          // allowed relative rate error
  // The rate is checked only when the samples span at least this long.
  std::chrono::milliseconds min_rate_span{200};
  std::chrono::milliseconds timeout{5000};
};

struct ClockSelfTestResult {
  bool ok = false;
  // Measured at the first sample (0 when there was none).
  double realtime_offset_ms = 0;
  double monotonic_offset_ms = 0;
  // Measured over the samples, when they span min_rate_span.
  std::optional<double> realtime_rate;
  std::optional<double> monotonic_rate;
  // One line for a report: "clock self-test (faketime): realtime offset
  // +5000 ms asked, +0 ms measured; ...", or why the probe did not run.
  std::string message;
};

// Judges `samples` against `expected`: every sample's realtime and monotonic
// offsets within tolerance_ms of what `expected` gives at that sample's
// controller time, and both rates within rate_tolerance when measurable.
// No samples is a failure. Pure.
ClockSelfTestResult JudgeClockSamples(const std::vector<ClockProbeSample>& samples,
                                      const nemesis::ExpectedClocks& expected,
                                      const ClockSelfTestOptions& options = {});

// RunClockProbe, then JudgeClockSamples. Never throws for a probe that fails:
// the result is then not ok and its message says why.
ClockSelfTestResult RunClockSelfTest(const ClockProbeCommand& command,
                                     const nemesis::ExpectedClocks& expected,
                                     const ClockSelfTestOptions& options = {});

}  // namespace schism::harness
