// The judges of nemesis/proof.h: pure, so every bound is tested here.
#include <gtest/gtest.h>

#include "nemesis/bandwidth.h"
#include "nemesis/proof.h"

namespace schism::nemesis {
namespace {

PartitionMeasure Cut(std::uint64_t dropped, std::uint64_t forwarded) {
  PartitionMeasure m;
  m.start_s = 12.34;
  m.asked = {{"n1", "n2"}, {"n2", "n1"}};
  m.installed = m.asked;
  m.dropped = dropped;
  m.forwarded = forwarded;
  return m;
}

TEST(NemesisProof, APartitionThatDroppedBetweenCutPairsIsProven) {
  const Proof p = JudgePartition(Cut(7, 20));
  EXPECT_TRUE(p.proven);
  EXPECT_EQ(p.how, "the kernel held its 2 cut pairs and dropped 7 packet(s) between them");
  EXPECT_EQ(p.ToJson()["by"], p.how);
  EXPECT_EQ(p.ToJson()["dropped"], 7);
}

TEST(NemesisProof, IdleCutPairsAreProvenOnlyWhenOtherPairsTalked) {
  const Proof talked = JudgePartition(Cut(0, 15));
  EXPECT_TRUE(talked.proven);
  EXPECT_EQ(talked.how,
            "the kernel held its 2 cut pairs; the cut pairs sent nothing while it held, but 15 "
            "frame(s) passed between the other pairs");
  const Proof silent = JudgePartition(Cut(0, 0));
  EXPECT_FALSE(silent.proven);
  EXPECT_EQ(silent.how,
            "partition at 12.3 s dropped no packet between cut pairs, and no frame crossed the "
            "bridge while it held: does this elector talk over the network?");
  EXPECT_EQ(silent.ToJson()["why"], silent.how);
  EXPECT_EQ(silent.ToJson()["proven"], false);
}

TEST(NemesisProof, ASilentPartitionIsProvenByTheHarnesssOwnFrameOnlyWhenItWasDropped) {
  PartitionMeasure m = Cut(0, 0);
  m.probe = DirectedPair{"n1", "n2"};
  m.probe_dropped = true;
  const Proof dropped = JudgePartition(m);
  EXPECT_TRUE(dropped.proven);
  EXPECT_EQ(dropped.how,
            "the kernel held its 2 cut pairs; no frame crossed the bridge while it held, so the "
            "harness sent a frame n1->n2 itself, and the kernel dropped it");
  EXPECT_EQ(dropped.ToJson()["probe"], "n1->n2");
  m.probe_dropped = false;
  const Proof passed = JudgePartition(m);
  EXPECT_FALSE(passed.proven);
  EXPECT_EQ(passed.how,
            "partition at 12.3 s dropped no packet between cut pairs, and no frame crossed the "
            "bridge while it held; a frame the harness sent n1->n2 itself was not dropped either");
  m.probe.reset();
  m.probe_error = "probe frame: cannot make a raw ICMP socket: Operation not permitted";
  const Proof unsent = JudgePartition(m);
  EXPECT_FALSE(unsent.proven);
  EXPECT_EQ(unsent.how,
            "partition at 12.3 s dropped no packet between cut pairs, and no frame crossed the "
            "bridge while it held; the harness could not send a frame across it: probe frame: "
            "cannot make a raw ICMP socket: Operation not permitted");
}

TEST(NemesisProof, APartitionTheKernelDidNotHoldIsNotProven) {
  PartitionMeasure m = Cut(9, 30);
  m.installed = {{"n1", "n2"}, {"n3", "n1"}};
  const Proof p = JudgePartition(m);
  EXPECT_FALSE(p.proven);
  EXPECT_EQ(p.how,
            "partition at 12.3 s: the kernel's set did not hold the grudge; missing n2->n1; "
            "extra n3->n1");
}

TEST(NemesisProof, LossWithinFourSigmaIsProvenAndOutsideIsNot) {
  // 1000 packets at 30 %: 300 expected, sigma = sqrt(210) ~ 14.5, bound ~ 59.
  EXPECT_TRUE(JudgeRandomShare({{30, 1000, 300}}, "dropped", 0).proven);
  EXPECT_TRUE(JudgeRandomShare({{30, 1000, 355}}, "dropped", 0).proven);
  const Proof off = JudgeRandomShare({{30, 1000, 380}}, "dropped", 0);
  EXPECT_FALSE(off.proven);
  EXPECT_EQ(off.how,
            "dropped 380 of 1000 packets (expected 300 ± 59): outside the bound, so the rules did "
            "not do what was asked");
  // 100 % must drop all but one at most; 0 % none but one.
  EXPECT_TRUE(JudgeRandomShare({{100, 50, 50}, {0, 40, 0}}, "dropped", 0).proven);
  EXPECT_FALSE(JudgeRandomShare({{100, 50, 45}}, "dropped", 0).proven);
}

TEST(NemesisProof, LossOnIdlePairsIsProvenOnlyWhileOthersTalk) {
  const Proof silent = JudgeRandomShare({{30, 0, 0}}, "dropped", 0);
  EXPECT_FALSE(silent.proven);
  EXPECT_EQ(silent.how,
            "its pairs carried no packet, and no frame crossed the bridge while it held: does "
            "this elector talk over the network?");
  const Proof idle = JudgeRandomShare({{30, 0, 0}}, "dropped", 12);
  EXPECT_TRUE(idle.proven);
  EXPECT_EQ(idle.how,
            "its pairs carried no packet while it held, but 12 frame(s) crossed the bridge "
            "between other pairs");
}

TEST(NemesisProof, DelayMeanWithinTwentyPercentPlusFiveMs) {
  EXPECT_TRUE(JudgeDelay({{10, 52.0}, {30, 49.0}}, 50.0, 0.0, 0).proven);
  const Proof slow = JudgeDelay({{40, 66.0}}, 50.0, 0.0, 0);  // tolerance 15 ms
  EXPECT_FALSE(slow.proven);
  EXPECT_EQ(slow.how,
            "held 40 packets for 66.0 ms on average (asked 50.0 ± 15.0 ms): outside the bound");
  EXPECT_FALSE(JudgeDelay({{0, 0.0}}, 50.0, 0.0, 0).proven);
  EXPECT_TRUE(JudgeDelay({{0, 0.0}}, 50.0, 0.0, 3).proven);
}

// Found by CI: 2 packets at 100 ± 50 ms averaged 66.7 ms, outside a bound
// that ignored the jitter. The mean of n uniform holds strays by
// jitter / sqrt(3n) on its own; 4 sigma of it widens the bound.
TEST(NemesisProof, DelayBoundWidensWithTheJitterAndShrinksWithThePackets) {
  // 25 ms + 4 * 50 / sqrt(6) = 25 + 81.6 ms.
  const Proof few = JudgeDelay({{2, 66.7}}, 100.0, 50.0, 0);
  EXPECT_TRUE(few.proven) << few.how;
  EXPECT_EQ(few.how, "held 2 packets for 66.7 ms on average (asked 100.0 ± 106.6 ms)");
  // 600 packets: 25 + 4 * 50 / 42.4 = 29.7 ms, so 66.7 ms is off.
  EXPECT_FALSE(JudgeDelay({{600, 66.7}}, 100.0, 50.0, 0).proven);
  EXPECT_TRUE(JudgeDelay({{600, 72.0}}, 100.0, 50.0, 0).proven);
}

TEST(NemesisProof, BandwidthMustPassSomethingAndNoMoreThanTheRate) {
  // 256 kbit/s for 2 s: 64,000 bytes a direction, plus 2 %, a 4096-byte burst and a frame.
  BandwidthMeasure m{2.0, 256, 4096, 100'000, 2, 0};
  const Proof ok = JudgeBandwidth(m);
  EXPECT_TRUE(ok.proven) << ok.how;
  EXPECT_EQ(ok.how, "100000 bytes passed in 2.0 s (at most 141780 allowed at 256 kbit/s)");
  m.sent_bytes = 150'000;
  EXPECT_FALSE(JudgeBandwidth(m).proven);
  m.sent_bytes = 0;
  EXPECT_FALSE(JudgeBandwidth(m).proven);
  m.forwarded = 40;  // the node was idle, the others talked
  EXPECT_TRUE(JudgeBandwidth(m).proven);
}

TEST(NemesisProof, TbfSentBytesReadsTheRootBucketOfTcsJson) {
  EXPECT_EQ(TbfSentBytes(R"([{"kind":"tbf","handle":"80df:","root":true,"bytes":4242,)"
                         R"("packets":3,"drops":0}])"),
            4242u);
  EXPECT_EQ(TbfSentBytes(R"([{"kind":"noqueue","root":true,"bytes":10}])"), std::nullopt);
  EXPECT_EQ(TbfSentBytes("not json"), std::nullopt);
  EXPECT_EQ(TbfBurstBytes(256), 4096u);
  EXPECT_EQ(TbfBurstBytes(10'000'000), 12'500'000u);  // 10 ms at 10 Gbit/s
}

}  // namespace
}  // namespace schism::nemesis
