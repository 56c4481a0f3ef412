// The clock mechanisms end to end: build/schism-node clock-probe started as a
// node would be, under libfaketime (FaketimeClocks) or in a time namespace
// (ChildSetup::time_offset_ns, needs root). Each test takes 2 s at most.
#include "harness/clock_probe.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "harness/netns.h"
#include "nemesis/clock.h"
#include "run_support.h"
#include "tests/requirements.h"

namespace schism::harness {
namespace {
namespace fs = std::filesystem;
using nemesis::ClockSetting;
using nemesis::FaketimeClocks;

const fs::path kSchismNode = fs::path(SCHISM_BINARY_DIR) / "schism-node";

double RealtimeOffsetMs(const ClockProbeSample& s) {
  return static_cast<double>(s.node_realtime_ns - s.controller_realtime_ns) / 1e6;
}

double MonotonicOffsetMs(const ClockProbeSample& s) {
  return static_cast<double>(s.node_monotonic_ns - s.controller_monotonic_ns) / 1e6;
}

// Skips the test when libfaketime is missing (fails it as root).
#define REQUIRE_LIBFAKETIME()                         \
  SCHISM_REQUIRE(!nemesis::FindLibfaketime().empty(), \
                 "libfaketime (scripts/setup installs it: apt-get install faketime libfaketime)")

ClockProbeCommand Faketimed(const FaketimeClocks& clocks) {
  return {kSchismNode, clocks.Environment("n1"), ChildSetup{}};
}

// Files libfaketime makes for itself in /dev/shm when it is not handed ours
// (and leaves behind when the process is killed).
std::set<std::string> LibfaketimeLeftovers() {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator("/dev/shm")) {
    std::string name = e.path().filename().string();
    if (name.find("faketime_") != std::string::npos) names.insert(name);
  }
  return names;
}

TEST(HarnessClockProbe, SchismNodeIsALibfaketimeTarget) {
  nemesis::ClockSupport support = nemesis::CheckClockSupport(kSchismNode);
  EXPECT_TRUE(support.faketime) << support.reason;
}

TEST(HarnessClockProbe, UnfakedProbeMatchesTheController) {
  ClockSelfTestResult r =
      RunClockSelfTest({kSchismNode, {}, ChildSetup{}}, nemesis::ExpectedClocks{});
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, 0, 100);
  EXPECT_NEAR(r.monotonic_offset_ms, 0, 100);
}

TEST(HarnessClockProbe, FaketimeBumpAhead) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  clocks.Set("n1", {5000, 1});
  ClockSelfTestResult r = RunClockSelfTest(Faketimed(clocks), clocks.Expected("n1"));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, 5000, 100) << r.message;
}

TEST(HarnessClockProbe, FaketimeBumpBehindWithMillisecondPrecision) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  clocks.Set("n1", {-3000, 1});
  ClockSelfTestResult r = RunClockSelfTest(Faketimed(clocks), clocks.Expected("n1"));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, -3000, 100) << r.message;

  clocks.Set("n1", {-3456.5, 1});
  ClockSelfTestOptions tight;
  tight.tolerance_ms = 20;
  r = RunClockSelfTest(Faketimed(clocks), clocks.Expected("n1"), tight);
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(HarnessClockProbe, FaketimeMonotonicCanBeLeftAlone) {
  REQUIRE_LIBFAKETIME();
  nemesis::FaketimeOptions options;
  options.fake_monotonic = false;  // as a JVM needs
  FaketimeClocks clocks({"n1"}, options);
  clocks.Set("n1", {5000, 1});
  ClockSelfTestResult r = RunClockSelfTest(Faketimed(clocks), clocks.Expected("n1"));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, 5000, 100);
  EXPECT_NEAR(r.monotonic_offset_ms, 0, 100);
}

TEST(HarnessClockProbe, RunningProbeSeesARewriteWithinAFewHundredMs) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  std::int64_t set_at_ns = 0;
  int seen = 0;
  std::vector<ClockProbeSample> samples =
      RunClockProbe(Faketimed(clocks), 12, std::chrono::milliseconds(100), std::chrono::seconds(5),
                    [&](const ClockProbeSample& s) {
                      if (++seen == 3) {
                        clocks.Set("n1", {2000, 1});
                        set_at_ns = s.controller_monotonic_ns;
                      }
                    });
  ASSERT_NE(set_at_ns, 0);
  std::int64_t effective_at_ns = 0;
  for (const ClockProbeSample& s : samples) {
    if (s.controller_monotonic_ns <= set_at_ns) {
      EXPECT_NEAR(RealtimeOffsetMs(s), 0, 100);
    } else {
      EXPECT_NEAR(RealtimeOffsetMs(s), 2000, 100);
      if (effective_at_ns == 0) effective_at_ns = s.controller_monotonic_ns;
    }
  }
  ASSERT_NE(effective_at_ns, 0);
  EXPECT_LT(effective_at_ns - set_at_ns, 300'000'000) << "ns until the new offset was seen";
}

TEST(HarnessClockProbe, FaketimeRateTwiceAsFast) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  ClockSetting fast = clocks.SetRate("n1", 2);
  ClockSelfTestOptions options;
  options.samples = 11;
  options.every = std::chrono::milliseconds(100);
  ClockSelfTestResult r = RunClockSelfTest(Faketimed(clocks), clocks.Expected("n1"), options);
  EXPECT_TRUE(r.ok) << r.message;
  ASSERT_TRUE(r.realtime_rate.has_value()) << r.message;
  EXPECT_NEAR(*r.realtime_rate, 2, 0.3) << r.message;
  ASSERT_TRUE(r.monotonic_rate.has_value());
  EXPECT_NEAR(*r.monotonic_rate, 2, 0.3) << r.message;
  EXPECT_EQ(fast.rate, 2);
}

TEST(HarnessClockProbe, FaketimeRateChangesAreContinuous) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  int seen = 0;
  std::vector<ClockProbeSample> samples =
      RunClockProbe(Faketimed(clocks), 12, std::chrono::milliseconds(100), std::chrono::seconds(5),
                    [&](const ClockProbeSample&) {
                      ++seen;
                      if (seen == 4) clocks.SetRate("n1", 2);
                      if (seen == 8) clocks.SetRate("n1", 0.5);
                    });
  // Between two samples the node's clock advances by 0.5 to 2 times the
  // controller's: a jump would show as a step far outside that.
  for (std::size_t i = 1; i < samples.size(); ++i) {
    double node_ms =
        static_cast<double>(samples[i].node_realtime_ns - samples[i - 1].node_realtime_ns) / 1e6;
    double controller_ms = static_cast<double>(samples[i].controller_realtime_ns -
                                               samples[i - 1].controller_realtime_ns) /
                           1e6;
    EXPECT_GT(node_ms, 0.5 * controller_ms - 30) << "sample " << i;
    EXPECT_LT(node_ms, 2 * controller_ms + 30) << "sample " << i;
  }
  // And the clock ends where the model says.
  ClockSelfTestResult r = JudgeClockSamples({samples.back()}, clocks.Expected("n1"));
  EXPECT_TRUE(r.ok) << r.message;
}

TEST(HarnessClockProbe, KilledFaketimedProcessLeavesNothingInDevShm) {
  REQUIRE_LIBFAKETIME();
  std::set<std::string> before = LibfaketimeLeftovers();
  {
    FaketimeClocks clocks({"n1"});
    clocks.PrepareStart("n1");
    // Killed (SIGKILL) at the timeout, in the middle of its run.
    EXPECT_THROW(RunClockProbe(Faketimed(clocks), 100, std::chrono::milliseconds(50),
                               std::chrono::milliseconds(300)),
                 std::runtime_error);
  }
  for (const std::string& name : LibfaketimeLeftovers()) {
    EXPECT_TRUE(before.count(name)) << "/dev/shm/" << name << " left behind";
  }
}

TEST(HarnessClockProbe, SelfTestFailureSaysWhatWasAskedAndMeasured) {
  REQUIRE_LIBFAKETIME();
  FaketimeClocks clocks({"n1"});
  clocks.Set("n1", {5000, 1});
  // The environment is forgotten: the probe runs on the true clock.
  ClockSelfTestResult r = RunClockSelfTest({kSchismNode, {}, ChildSetup{}}, clocks.Expected("n1"));
  EXPECT_FALSE(r.ok);
  EXPECT_NEAR(r.realtime_offset_ms, 0, 100);
  // "... +5000 ms asked, +0 ms measured" (or -1: the line arrives a little after it was read).
  EXPECT_EQ(r.message.rfind("clock self-test (faketime): realtime offset +5000 ms asked, ", 0), 0u)
      << r.message;
  EXPECT_NE(r.message.find("(tolerance ±100 ms"), std::string::npos) << r.message;
}

TEST(HarnessClockProbe, SelfTestOfAProbeThatCannotRun) {
  ClockSelfTestResult r =
      RunClockSelfTest({"/nonexistent/schism-node", {}, ChildSetup{}}, nemesis::ExpectedClocks{});
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.message.find("cannot start node clock-probe"), std::string::npos) << r.message;
}

TEST(HarnessClockProbe, TimeNamespaceOffsetsMonotonicOnly) {
  SCHISM_REQUIRE_ROOT();  // a time namespace
  ChildSetup setup;
  setup.time_offset_ns = 100'000'000'000;  // +100 s
  ClockSelfTestResult r = RunClockSelfTest({kSchismNode, {}, setup},
                                           nemesis::TimeNamespaceClocks(setup.time_offset_ns));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.monotonic_offset_ms, 100'000, 100) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, 0, 100) << r.message;
}

TEST(HarnessClockProbe, TimeNamespaceNegativeOffsetAndANetns) {
  SCHISM_REQUIRE_ROOT();
  Netns netns = Netns::Create();
  ChildSetup setup;
  setup.netns_fd = netns.fd();
  setup.time_offset_ns = -1'500'000'000;  // -1.5 s
  std::vector<ClockProbeSample> samples =
      RunClockProbe({kSchismNode, {}, setup}, 1, std::chrono::milliseconds(0));
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_NEAR(MonotonicOffsetMs(samples[0]), -1500, 100);
  EXPECT_NEAR(RealtimeOffsetMs(samples[0]), 0, 100);
}

}  // namespace
}  // namespace schism::harness
