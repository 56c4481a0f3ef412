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

}  // namespace
}  // namespace schism::harness
