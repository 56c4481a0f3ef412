// JudgeClockSamples: the verdict and message of the clock self-test, from
// made-up samples.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "harness/clock_probe.h"

namespace schism::harness {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::int64_t kRealtime0 = 1'800'000'000'000 * kMs;  // some date in 2027
constexpr std::int64_t kMonotonic0 = 9'000'000 * kMs;

// `n` samples `every_ms` apart of a node whose realtime is `real_offset_ms`
// ahead and runs `rate` times as fast, and whose monotonic is `mono_offset_ms`
// ahead at the normal pace.
std::vector<ClockProbeSample> Samples(int n, int every_ms, double real_offset_ms, double rate,
                                      double mono_offset_ms) {
  std::vector<ClockProbeSample> samples;
  for (int i = 0; i < n; ++i) {
    std::int64_t elapsed = static_cast<std::int64_t>(i) * every_ms * kMs;
    ClockProbeSample s;
    s.controller_realtime_ns = kRealtime0 + elapsed;
    s.controller_monotonic_ns = kMonotonic0 + elapsed;
    s.node_realtime_ns = kRealtime0 + static_cast<std::int64_t>(real_offset_ms * kMs) +
                         static_cast<std::int64_t>(static_cast<double>(elapsed) * rate);
    s.node_monotonic_ns = kMonotonic0 + elapsed + static_cast<std::int64_t>(mono_offset_ms * kMs);
    samples.push_back(s);
  }
  return samples;
}

nemesis::ExpectedClocks Faketime(double offset_ms, double rate = 1) {
  nemesis::ExpectedClocks e;
  e.mechanism = "faketime";
  e.realtime = {offset_ms, rate, kRealtime0};
  return e;
}

TEST(HarnessClockJudge, MatchingOffsetPasses) {
  ClockSelfTestResult r = JudgeClockSamples(Samples(1, 0, 5030, 1, 0), Faketime(5000));
  EXPECT_TRUE(r.ok) << r.message;
  EXPECT_NEAR(r.realtime_offset_ms, 5030, 1e-6);
  EXPECT_NEAR(r.monotonic_offset_ms, 0, 1e-6);
  EXPECT_FALSE(r.realtime_rate.has_value());  // one sample: no rate
  EXPECT_EQ(r.message,
            "clock self-test (faketime): realtime offset +5000 ms asked, +5030 ms measured; "
            "monotonic offset +0 ms asked, +0 ms measured");
}

TEST(HarnessClockJudge, MissingOffsetFailsWithAUsableMessage) {
  ClockSelfTestResult r = JudgeClockSamples(Samples(1, 0, 0, 1, 0), Faketime(5000));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message,
            "clock self-test (faketime): realtime offset +5000 ms asked, +0 ms measured; "
            "monotonic offset +0 ms asked, +0 ms measured (tolerance ±100 ms, rate ±15 %)");
}

TEST(HarnessClockJudge, FailingMonotonicComesFirst) {
  nemesis::ExpectedClocks e;
  e.mechanism = "time namespace";
  e.monotonic = {100'000, 1, 0};
  ClockSelfTestResult r = JudgeClockSamples(Samples(1, 0, 0, 1, 0), e);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message.rfind("clock self-test (time namespace): monotonic offset +100000 ms asked, "
                            "+0 ms measured; realtime offset +0 ms asked",
                            0),
            0u)
      << r.message;
}

TEST(HarnessClockJudge, RateIsCheckedOverALongEnoughSpan) {
  // Offsets follow the expected line, and the rate is measured over 1 s.
  ClockSelfTestResult fast = JudgeClockSamples(Samples(11, 100, 0, 2, 0), Faketime(0, 2));
  EXPECT_TRUE(fast.ok) << fast.message;
  ASSERT_TRUE(fast.realtime_rate.has_value());
  EXPECT_NEAR(*fast.realtime_rate, 2, 1e-6);
  EXPECT_NE(fast.message.find("rate x2.00 asked, x2.00 measured"), std::string::npos)
      << fast.message;

  // A node running at x1 when x2 was asked drifts off the line as well.
  ClockSelfTestResult slow = JudgeClockSamples(Samples(11, 100, 0, 1, 0), Faketime(0, 2));
  EXPECT_FALSE(slow.ok);
  EXPECT_NE(slow.message.find("rate x2.00 asked, x1.00 measured"), std::string::npos)
      << slow.message;

  // Within the offset tolerance, but 20 % too fast over 1 s.
  ClockSelfTestOptions loose;
  loose.tolerance_ms = 1000;
  ClockSelfTestResult off = JudgeClockSamples(Samples(11, 100, 0, 1.2, 0), Faketime(0), loose);
  EXPECT_FALSE(off.ok) << off.message;

  // Too short a span: rate not measured.
  ClockSelfTestResult shortspan = JudgeClockSamples(Samples(3, 50, 0, 1, 0), Faketime(0));
  EXPECT_TRUE(shortspan.ok);
  EXPECT_FALSE(shortspan.realtime_rate.has_value());
}

TEST(HarnessClockJudge, NoSamplesIsAFailure) {
  ClockSelfTestResult r = JudgeClockSamples({}, Faketime(0));
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.message, "clock self-test (faketime): the probe reported no clock reading");
}

// MeasureClockOp: readings of a probe with raw (true) clocks of its own.
// `n` readings `every_ms` apart of a node `offset_ms` ahead running `rate`
// times as fast, its monotonic clock libfaketime's (from the realtime epoch).
std::vector<ClockProbeSample> RawSamples(int n, int every_ms, double offset_ms, double rate) {
  std::vector<ClockProbeSample> samples = Samples(n, every_ms, offset_ms, rate, 0);
  for (ClockProbeSample& s : samples) {
    s.raw_realtime_ns = s.controller_realtime_ns;
    s.raw_monotonic_ns = s.controller_monotonic_ns;
    s.raw_spread_ns = 20'000;
    // The pipe's delay shows only in the controller's stamps, which are not used.
    s.controller_realtime_ns += 30 * kMs;
    s.controller_monotonic_ns += 30 * kMs;
    s.node_monotonic_ns =
        kRealtime0 + static_cast<std::int64_t>(offset_ms * kMs) +
        static_cast<std::int64_t>(static_cast<double>(s.raw_monotonic_ns - kMonotonic0) * rate);
  }
  return samples;
}

nemesis::ExpectedClocks FaketimeMonotonic(double offset_ms, double rate = 1) {
  nemesis::ExpectedClocks e = Faketime(offset_ms, rate);
  e.monotonic = {static_cast<double>(kRealtime0 - kMonotonic0) / kMs + offset_ms, rate,
                 kMonotonic0};
  return e;
}

TEST(HarnessClockJudge, MeasureClockOpReadsOffsetsAgainstTheProbesRawClocks) {
  nemesis::ClockMeasure m = MeasureClockOp(RawSamples(1, 0, 1500, 1), FaketimeMonotonic(1500));
  EXPECT_TRUE(m.error.empty()) << m.error;
  EXPECT_NEAR(m.read_offset_ms, 1500, 1e-6);
  EXPECT_NEAR(m.asked_offset_ms, 1500, 1e-6);
  EXPECT_TRUE(m.monotonic);
  EXPECT_NEAR(m.read_monotonic_offset_ms, m.asked_monotonic_offset_ms, 1e-3);
  EXPECT_NEAR(m.spread_ms, 0.02, 1e-9);
  EXPECT_FALSE(m.read_rate.has_value());
  m.node = "n1";
  m.mode = "bump";
  m.op_value = 1500;
  EXPECT_TRUE(nemesis::JudgeClock(m).proven) << nemesis::JudgeClock(m).how;
}

TEST(HarnessClockJudge, MeasureClockOpTimesTheRate) {
  nemesis::ClockMeasure m = MeasureClockOp(RawSamples(2, 50, 0, 2), FaketimeMonotonic(0, 2));
  ASSERT_TRUE(m.read_rate.has_value());
  EXPECT_NEAR(*m.read_rate, 2, 1e-9);
  EXPECT_NEAR(m.rate_span_ms, 50, 1e-9);
  EXPECT_DOUBLE_EQ(m.asked_rate, 2);
  // Read at x1 when x2 was asked.
  nemesis::ClockMeasure slow = MeasureClockOp(RawSamples(2, 50, 0, 1), FaketimeMonotonic(0, 2));
  slow.node = "n3";
  slow.mode = "rate";
  slow.op_value = 2;
  EXPECT_FALSE(nemesis::JudgeClock(slow).proven);
}

TEST(HarnessClockJudge, MeasureClockOpLeavesOutReadingsOfALaterSetting) {
  std::vector<ClockProbeSample> samples = RawSamples(2, 50, 0, 2);
  // Written again 10 ms after the first reading: only that one is the op's.
  nemesis::ClockMeasure m =
      MeasureClockOp(samples, FaketimeMonotonic(0, 2), samples[0].raw_monotonic_ns + 10 * kMs);
  EXPECT_TRUE(m.error.empty());
  EXPECT_FALSE(m.read_rate.has_value());
  // Written again before any reading.
  m = MeasureClockOp(samples, FaketimeMonotonic(0, 2), samples[0].raw_monotonic_ns);
  EXPECT_NE(m.error.find("changed again"), std::string::npos) << m.error;
}

TEST(HarnessClockJudge, MeasureClockOpNeedsRawClocks) {
  nemesis::ClockMeasure m = MeasureClockOp(Samples(1, 0, 1500, 1, 0), Faketime(1500));
  EXPECT_NE(m.error.find("no raw clock reading"), std::string::npos) << m.error;
  EXPECT_FALSE(MeasureClockOp({}, Faketime(0)).error.empty());
}

}  // namespace
}  // namespace schism::harness
