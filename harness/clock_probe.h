#pragma once
// The clock probe: `schism-node clock-probe` started exactly as the harness
// would start a node (the node's extra environment, e.g. FaketimeClocks::
// Environment, and its ChildSetup: network namespace, time-namespace offset),
// whose clocks are compared with the true ones. Two uses:
//
//  * the self-test, once before a run, chooses the mechanism: when the
//    elector's binary is unsupported (nemesis::CheckClockSupport) or the
//    self-test fails, the run records clock ops as unsupported and reports
//    ClockSelfTestResult::message. It proves the mechanism works on this
//    host, not that any clock op of the run took effect;
//  * the proof of each clock op: AsyncClockProbe runs the probe in the
//    node's environment on the run's io_context just after the op rewrote
//    the node's file, and MeasureClockOp + nemesis::JudgeClock judge it.
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
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "harness/node_process.h"
#include "harness/spawn.h"
#include "nemesis/clock.h"
#include "nemesis/proof.h"

namespace schism::harness {

// One line of the probe, stamped with the controller's clocks when it arrived.
struct ClockProbeSample {
  std::int64_t node_realtime_ns = 0;  // through libc, as an elector reads it
  std::int64_t node_monotonic_ns = 0;
  std::int64_t controller_realtime_ns = 0;
  std::int64_t controller_monotonic_ns = 0;
  // The kernel's clocks as the probe read them by system call (past
  // libfaketime) around its libc readings: midway, and the gap between the
  // two. All 0 from a probe that does not print them.
  std::int64_t raw_realtime_ns = 0;
  std::int64_t raw_monotonic_ns = 0;
  std::int64_t raw_spread_ns = 0;
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

// The probe run on a caller's io_context, so that a run never waits for it:
// it collects the probe's `count` lines, `every` ms apart, and calls `done`
// once, from the io_context, when the probe has exited (or was killed with
// SIGKILL at `timeout` and has exited). The process is the caller's own child
// (PR_SET_PDEATHSIG, a process group of its own), signalled only through its
// own pid. Destroying the object inside `done`, or any time after, is fine.
// While the probe still runs, destroy it only when the io_context will not
// run again (as a NodeProcess: its pending reads refer to it); the destructor
// then kills and reaps the probe, and `done` is not called. Not copyable.
class AsyncClockProbe {
 public:
  struct Result {
    std::vector<ClockProbeSample> samples;
    // Empty when it printed its `count` lines and exited 0; else why not,
    // with the tail of its stderr.
    std::string error;
    double spawn_ms = 0;  // how long Start held the caller (fork and exec)
    double took_ms = 0;   // from Start to its exit
  };
  using Done = std::function<void(Result)>;
  using OnSample = std::function<void(const ClockProbeSample&)>;

  // Throws std::invalid_argument for a count or interval out of range, and
  // std::system_error when its stderr file cannot be made.
  AsyncClockProbe(boost::asio::io_context& io, const ClockProbeCommand& command, int count,
                  std::chrono::milliseconds every, std::chrono::milliseconds timeout, Done done,
                  OnSample on_sample = {});
  ~AsyncClockProbe();
  AsyncClockProbe(const AsyncClockProbe&) = delete;
  AsyncClockProbe& operator=(const AsyncClockProbe&) = delete;

  // Starts the probe. Throws std::runtime_error naming the executable when
  // it cannot be started (`done` is never called then).
  void Start();

 private:
  class Log;
  void OnLine(const std::string& line);
  void OnExit(int code);

  boost::asio::io_context& io_;
  int count_;
  std::chrono::milliseconds timeout_;
  Done done_;
  OnSample on_sample_;
  std::unique_ptr<Log> log_;
  std::unique_ptr<NodeProcess> process_;
  boost::asio::steady_timer timer_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);  // handlers hold it weakly
  std::chrono::steady_clock::time_point started_;
  Result result_;
  std::string bad_line_;
  bool timed_out_ = false;
};

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

// What the probe run just after a clock op read, for nemesis::JudgeClock:
// each clock's offset from the true clock at the probe's raw readings
// against what `expected` (the node's setting) gives there, the reading
// farthest from it speaking for all, and the realtime rate between the first
// and last reading. Readings whose raw monotonic time (plus their spread) is
// at or after `changed_at_ns` (when the node's clock was written again, e.g.
// a strobe's flip; 0 for never) belong to a later setting and are left out.
// CLOCK_MONOTONIC is judged when `expected` fakes it (libfaketime's counts
// from the realtime epoch). Sets `error` when no reading is left, or none
// has raw clocks. Fills neither node, mode nor op_value. Pure.
nemesis::ClockMeasure MeasureClockOp(const std::vector<ClockProbeSample>& samples,
                                     const nemesis::ExpectedClocks& expected,
                                     std::int64_t changed_at_ns = 0);

}  // namespace schism::harness
