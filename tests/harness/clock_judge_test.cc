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

}  // namespace
}  // namespace schism::harness
