// harness/shrink: ddmin over a failing run's faults.

#include "harness/shrink.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <vector>

namespace schism::harness {
namespace {

using ::testing::ElementsAre;

// A failure that needs both faults 2 and 5 of 8 (a partition and the kill
// that follows it, say): ddmin finds exactly those two.
TEST(MinimalFailing, FindsTheTwoFaultsAFailureNeeds) {
  int asked = 0;
  auto fails = [&](const std::vector<std::size_t>& kept) {
    ++asked;
    const std::set<std::size_t> set(kept.begin(), kept.end());
    return set.count(2) > 0 && set.count(5) > 0;
  };
  EXPECT_THAT(MinimalFailing(8, fails, [] { return false; }), ElementsAre(2, 5));
  EXPECT_LE(asked, 30);
}

TEST(MinimalFailing, OneFaultAloneIsFoundByHalving) {
  auto fails = [](const std::vector<std::size_t>& kept) {
    return std::find(kept.begin(), kept.end(), 6) != kept.end();
  };
  EXPECT_THAT(MinimalFailing(9, fails, [] { return false; }), ElementsAre(6));
}

// A failure that needs every fault cannot be shrunk.
TEST(MinimalFailing, AFailureThatNeedsEveryFaultKeepsThemAll) {
  auto fails = [](const std::vector<std::size_t>& kept) { return kept.size() == 4; };
  EXPECT_THAT(MinimalFailing(4, fails, [] { return false; }), ElementsAre(0, 1, 2, 3));
}

// Out of budget, the smallest failing set so far is the answer.
TEST(MinimalFailing, StopsWhenTheBudgetRunsOut) {
  int asked = 0;
  auto fails = [&](const std::vector<std::size_t>& kept) {
    ++asked;
    return std::find(kept.begin(), kept.end(), 0) != kept.end();
  };
  const auto result = MinimalFailing(8, fails, [&] { return asked >= 1; });
  EXPECT_THAT(result, ElementsAre(0, 1, 2, 3));  // the first half failed, then time was up
}

TEST(Shrink, OnlyOpsThatStartAFaultAreDropped) {
  EXPECT_FALSE(EndsAFault(nemesis::OpKind::kPartition));
  EXPECT_FALSE(EndsAFault(nemesis::OpKind::kKill));
  EXPECT_FALSE(EndsAFault(nemesis::OpKind::kClock));
  EXPECT_TRUE(EndsAFault(nemesis::OpKind::kHeal));
  EXPECT_TRUE(EndsAFault(nemesis::OpKind::kRestart));
  EXPECT_TRUE(EndsAFault(nemesis::OpKind::kClockEnd));
}

nemesis::Op At(double t, nemesis::OpKind kind, const std::string& node = "") {
  nemesis::Op op;
  op.offset_s = t;
  op.kind = kind;
  op.node = node;
  return op;
}

TEST(Shrink, AWindowIsHalvedAtTheOpThatEndsIt) {
  using nemesis::OpKind;
  std::vector<nemesis::Op> ops = {At(1, OpKind::kPartition), At(2, OpKind::kClock, "n2"),
                                  At(3, OpKind::kClockEnd, "n1"), At(4, OpKind::kClockEnd, "n2"),
                                  At(5, OpKind::kHeal)};
  EXPECT_EQ(EndOf(ops, 0), 4u);
  EXPECT_EQ(EndOf(ops, 1), 3u) << "n1's clock-end does not end n2's clock";
  const auto halved = HalveWindow(ops, 0);
  ASSERT_TRUE(halved);
  ASSERT_EQ(halved->size(), 5u);
  // The heal moved from 5 s to 3 s: after n1's clock-end at 3 s, before n2's at 4 s.
  EXPECT_EQ((*halved)[3].kind, OpKind::kHeal);
  EXPECT_DOUBLE_EQ((*halved)[3].offset_s, 3.0);
  EXPECT_EQ((*halved)[4].kind, OpKind::kClockEnd);
  EXPECT_EQ((*halved)[0].kind, OpKind::kPartition);
  // 0.3 s is as short as it gets; a fault nothing ends is left alone.
  std::vector<nemesis::Op> short_one = {At(1, OpKind::kPartition), At(1.3, OpKind::kHeal)};
  EXPECT_FALSE(HalveWindow(short_one, 0));
  EXPECT_FALSE(HalveWindow({At(1, OpKind::kPartition)}, 0));
}

TEST(Shrink, AKillThatRestartsItselfHasItsOwnWindowHalved) {
  nemesis::Op kill = At(1, nemesis::OpKind::kKill, "n3");
  kill.restart_after_s = 2;
  const auto halved = HalveWindow({kill}, 0);
  ASSERT_TRUE(halved);
  EXPECT_DOUBLE_EQ((*halved)[0].restart_after_s, 1.0);
}

TEST(Shrink, APartitionCutsOneNodeFewerOff) {
  nemesis::Op cut = At(1, nemesis::OpKind::kPartition);
  cut.grudge = nemesis::GrudgeKind::kComponents;
  cut.components = {{"n1", "n2"}, {"n3", "n4", "n5"}};
  const auto smaller = SmallerGroups({cut}, 0);
  ASSERT_TRUE(smaller);
  EXPECT_EQ((*smaller)[0].components,
            (nemesis::Components{{"n1"}, {"n3", "n4", "n5", "n2"}}));
  EXPECT_FALSE(SmallerGroups(*smaller, 0)) << "only single nodes are cut off now";
  EXPECT_FALSE(SmallerGroups({At(1, nemesis::OpKind::kKill)}, 0));
}

}  // namespace
}  // namespace schism::harness
