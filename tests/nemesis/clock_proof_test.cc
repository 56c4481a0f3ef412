// nemesis::JudgeClock: the proof of one clock op from what a probe in the
// node's clock environment read, within and outside its bounds.
#include <gtest/gtest.h>

#include <string>

#include "nemesis/proof.h"

namespace schism::nemesis {
namespace {

// A libfaketime monotonic clock counts from the realtime epoch: ~1.8e12 ms ahead.
constexpr double kEpochMs = 1.8e12;

// A bump of `asked_ms` on n2 that read `read_ms`, monotonic faked as asked.
ClockMeasure Bump(double asked_ms, double read_ms) {
  ClockMeasure m;
  m.node = "n2";
  m.mode = "bump";
  m.op_value = asked_ms;
  m.asked_offset_ms = asked_ms;
  m.read_offset_ms = read_ms;
  m.monotonic = true;
  m.asked_monotonic_offset_ms = kEpochMs + asked_ms;
  m.read_monotonic_offset_ms = kEpochMs + read_ms;
  m.spread_ms = 0.01;
  return m;
}

ClockMeasure Rate(double asked, double read, double span_ms = 50) {
  ClockMeasure m = Bump(0, 0);
  m.mode = "rate";
  m.op_value = asked;
  m.asked_rate = asked;
  m.read_rate = read;
  m.rate_span_ms = span_ms;
  return m;
}

TEST(NemesisClockProof, OffsetWithinToleranceIsProven) {
  Proof p = JudgeClock(Bump(1500, 1500.4));
  EXPECT_TRUE(p.proven) << p.how;
  EXPECT_EQ(p.how,
            "a probe in n2's clock environment read +1.500 s after a bump of +1.500 s "
            "(asked +1.500 s ± 2.0 ms, monotonic too)");
  EXPECT_DOUBLE_EQ(p.measured["asked_offset_ms"].get<double>(), 1500);
  EXPECT_DOUBLE_EQ(p.measured["read_offset_ms"].get<double>(), 1500.4);
  EXPECT_DOUBLE_EQ(p.measured["tolerance_ms"].get<double>(), kClockOffsetToleranceMs + 0.01);
  nlohmann::json j = p.ToJson();
  EXPECT_EQ(j["proven"], true);
  EXPECT_TRUE(j.contains("by"));
}

TEST(NemesisClockProof, ToleranceIsTwoMsPlusTheProbesSpread) {
  EXPECT_TRUE(JudgeClock(Bump(-3000, -3002.0)).proven);
  EXPECT_FALSE(JudgeClock(Bump(-3000, -3002.1)).proven);
  ClockMeasure loose = Bump(-3000, -3002.5);
  loose.spread_ms = 0.6;  // a preempted probe: its reading is known less well
  EXPECT_TRUE(JudgeClock(loose).proven);
}

TEST(NemesisClockProof, TrueClockMeansLibfaketimeMissedTheFile) {
  // libfaketime loaded (monotonic from the epoch) but the offset not applied.
  ClockMeasure m = Bump(1500, 3);
  m.read_monotonic_offset_ms = kEpochMs + 3;
  Proof p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how,
            "n2's clock read +0.003 s after a bump of +1.500 s, not +1.500 s ± 2.0 ms: "
            "libfaketime did not change the clock of a probe in n2's clock environment (does it "
            "read the node's FAKETIME_TIMESTAMP_FILE?)");
}

TEST(NemesisClockProof, TrueMonotonicMeansLibfaketimeWasNotLoaded) {
  ClockMeasure m = Bump(1500, 0.2);
  m.read_monotonic_offset_ms = 0.1;
  Proof p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_NE(p.how.find("libfaketime was not loaded"), std::string::npos) << p.how;
  // Even when the op asked for no change at all (a strobe starting at 0).
  ClockMeasure zero = Bump(0, 0.1);
  zero.mode = "strobe";
  zero.read_monotonic_offset_ms = 0.1;
  p = JudgeClock(zero);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how.rfind("n2's clock read +0.000 s after a strobe starting at +0.000 s and its "
                        "monotonic clock was the true one",
                        0),
            0u)
      << p.how;
}

TEST(NemesisClockProof, WrongOffsetSaysTheSettingWasNotApplied) {
  Proof p = JudgeClock(Bump(1500, 700));
  EXPECT_FALSE(p.proven);
  EXPECT_NE(p.how.find("not +1.500 s ± 2.0 ms: libfaketime did not apply the setting"),
            std::string::npos)
      << p.how;
}

TEST(NemesisClockProof, MonotonicOffAloneIsNotProven) {
  ClockMeasure m = Bump(1500, 1500);
  m.read_monotonic_offset_ms += 40;
  Proof p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how.rfind("n2's monotonic clock was 40.0 ms off", 0), 0u) << p.how;
  m.monotonic = false;  // FAKETIME_DONT_FAKE_MONOTONIC: not judged
  EXPECT_TRUE(JudgeClock(m).proven);
}

TEST(NemesisClockProof, RateWithinToleranceIsProven) {
  Proof p = JudgeClock(Rate(2, 2.004));
  EXPECT_TRUE(p.proven) << p.how;
  // 0.5 % + 2 * 0.01 ms / 50 ms
  EXPECT_NEAR(p.measured["rate_tolerance"].get<double>(), 0.0054, 1e-9);
  EXPECT_NE(p.how.find("and ran x2.004 (asked x2.000 ± 0.5 %)"), std::string::npos) << p.how;
  EXPECT_TRUE(JudgeClock(Rate(0.5, 0.502)).proven);
}

TEST(NemesisClockProof, RateOutsideToleranceIsNotProven) {
  Proof p = JudgeClock(Rate(2, 1.0));
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how,
            "n2's clock ran x1.000 (asked x2.000 ± 0.5 %) after a rate of x2.000: libfaketime did "
            "not apply the rate the harness wrote");
  EXPECT_FALSE(JudgeClock(Rate(2, 2.02)).proven);
  EXPECT_FALSE(JudgeClock(Rate(0.5, 0.49)).proven);
}

TEST(NemesisClockProof, ARateOpMustBeTimed) {
  ClockMeasure m = Rate(2, 2);
  m.read_rate.reset();
  Proof p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_NE(p.how.find("was not timed"), std::string::npos) << p.how;
  m.changed_after_ms = 20;  // overtaken by a newer clock op
  p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how,
            "n2's clock was set again 20 ms after a rate of x2.000, before the probe's second "
            "reading, so its rate was not timed (leave 0.1 s between clock ops on one node)");
}

TEST(NemesisClockProof, AProbeThatFailedProvesNothing) {
  ClockMeasure m = Bump(1500, 0);
  m.error = "clock probe did not finish within 1000 ms";
  Proof p = JudgeClock(m);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how,
            "n2's clock after a bump of +1.500 s could not be checked: clock probe did not finish "
            "within 1000 ms");
  EXPECT_FALSE(p.measured.contains("read_offset_ms"));
}

TEST(NemesisClockProof, ATinyNegativeReadingShowsAsZero) {
  ClockMeasure m = Bump(0, -0.0004);
  m.mode = "strobe";
  EXPECT_EQ(JudgeClock(m).how.find("-0.000"), std::string::npos) << JudgeClock(m).how;
}

}  // namespace
}  // namespace schism::nemesis
