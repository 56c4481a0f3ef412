// TokenLog: the fencing checker's memory of every token issued.
#include "checkers/token_log.h"

#include <gtest/gtest.h>

namespace schism::checkers {
namespace {

using Owner = TokenLog::Owner;

void ExpectOwner(const TokenLog& log, std::uint64_t token, const Owner& want) {
  const std::optional<Owner> got = log.Find(token);
  ASSERT_TRUE(got.has_value()) << "token " << token;
  EXPECT_EQ(got->holder, want.holder) << "token " << token;
  EXPECT_EQ(got->token, want.token);
  EXPECT_EQ(got->index, want.index) << "token " << token;
}

TEST(TokenLog, FindsEveryIncreasingTokenAcrossBlocksAndNothingElse) {
  TokenLog log;
  // 1,000 increasing tokens with gaps (4 blocks of 256), holders taking
  // turns, and "i" going back now and then (a lease line written late).
  std::vector<Owner> added;
  for (std::uint64_t k = 0; k < 1000; ++k) {
    const Owner owner{static_cast<NodeTable::Id>(k % 5), 10 + 3 * k + (k % 3),
                      k % 10 == 9 ? 50 * k - 3 : 50 * k};
    log.Add(owner);
    added.push_back(owner);
  }
  for (const Owner& owner : added) ExpectOwner(log, owner.token, owner);
  EXPECT_FALSE(log.Find(0).has_value());
  EXPECT_FALSE(log.Find(11).has_value());  // between the first two
  EXPECT_FALSE(log.Find(added.back().token + 1).has_value());
}

TEST(TokenLog, ATokenBelowTheHighestIsKeptApartAndFound) {
  TokenLog log;
  log.Add({0, 100, 1});
  log.Add({1, 200, 2});
  log.Add({2, 150, 3});  // below the highest: a violation the checker flags
  log.Add({0, 300, 4});
  ExpectOwner(log, 150, {2, 150, 3});
  ExpectOwner(log, 200, {1, 200, 2});
  ExpectOwner(log, 300, {0, 300, 4});
  EXPECT_FALSE(log.Find(250).has_value());
}

TEST(TokenLog, LargeGapsAndIndexesSurviveTheEncoding) {
  TokenLog log;
  const std::uint64_t big = std::uint64_t{1} << 62;
  log.Add({3, 1, 0});
  log.Add({4, big, big});
  log.Add({3, big + 1, 5});  // "i" far back
  ExpectOwner(log, big, {4, big, big});
  ExpectOwner(log, big + 1, {3, big + 1, 5});
}

}  // namespace
}  // namespace schism::checkers
