// TermRing: per-term state over the term window, as a std::map would keep it.
#include "checkers/term_ring.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

namespace schism::checkers {
namespace {

struct Count {
  int n = 0;
  void clear() { n = 0; }
};

TEST(TermRing, ForgetsTheTermsThatLeftTheWindowInTermOrder) {
  TermRing<Count> ring;
  ring[5].n = 1;
  ring[3].n = 2;
  ring[1000].n = 3;
  EXPECT_EQ(ring.size(), 3u);
  std::vector<std::pair<std::uint64_t, int>> gone;
  ring.Forget(5 + kTermWindow, [&](std::uint64_t t, Count& c) { gone.push_back({t, c.n}); });
  EXPECT_EQ(gone, (std::vector<std::pair<std::uint64_t, int>>{{3, 2}}));
  ASSERT_NE(ring.Find(5), nullptr);
  EXPECT_EQ(ring.Find(5)->n, 1);
  EXPECT_EQ(ring.Find(3), nullptr);
  bool made = true;
  EXPECT_EQ(ring.Get(1000, made).n, 3);
  EXPECT_FALSE(made);
}

TEST(TermRing, AJumpOfManyTermsForgetsEverythingOlderInOrder) {
  TermRing<Count> ring;
  for (std::uint64_t t = 10; t < 20; ++t) ring[t].n = static_cast<int>(t);
  std::vector<std::uint64_t> gone;
  ring.Forget(1'000'000'000'000ULL, [&](std::uint64_t t, Count&) { gone.push_back(t); });
  EXPECT_EQ(gone.size(), 10u);
  EXPECT_TRUE(std::is_sorted(gone.begin(), gone.end()));
  EXPECT_EQ(ring.size(), 0u);
  EXPECT_EQ(ring[1'000'000'000'000ULL].n, 0);  // A slot made again starts empty.
}

TEST(TermRing, AgreesWithAMapUnderTheWindowRule) {
  std::mt19937_64 random(7);
  TermRing<Count> ring;
  std::map<std::uint64_t, int> map;
  std::uint64_t newest = 0;
  std::vector<std::uint64_t> ring_gone, map_gone;
  for (int step = 0; step < 200000; ++step) {
    const std::uint64_t r = random() % 100;
    std::uint64_t term = newest + (r < 60 ? 0 : r < 90 ? 1 : r < 97 ? 50 : 3000);
    if (r < 30 && newest > 700) term = newest - random() % 700;
    if (OutOfWindow(term, newest)) continue;
    if (term > newest) {
      newest = term;
      ring.Forget(newest, [&](std::uint64_t t, Count& c) {
        ring_gone.push_back(t * 1000 + static_cast<std::uint64_t>(c.n));
      });
      while (!map.empty() && OutOfWindow(map.begin()->first, newest)) {
        map_gone.push_back(map.begin()->first * 1000 +
                           static_cast<std::uint64_t>(map.begin()->second));
        map.erase(map.begin());
      }
    }
    ++ring[term].n;
    ++map[term];
    ASSERT_EQ(ring.size(), map.size());
  }
  EXPECT_EQ(ring_gone, map_gone);
  std::vector<std::pair<std::uint64_t, int>> held;
  ring.ForEach([&](std::uint64_t t, Count& c) { held.push_back({t, c.n}); });
  EXPECT_EQ(held, (std::vector<std::pair<std::uint64_t, int>>(map.begin(), map.end())));
  ring.Clear();
  EXPECT_EQ(ring.size(), 0u);
}

TEST(TermRing, ATermOutsideTheWindowOfOneHeldIsRefused) {
  TermRing<Count> ring;
  ring[1];
  EXPECT_THROW(ring[1 + TermRing<Count>::kSlots], std::logic_error);
}

}  // namespace
}  // namespace schism::checkers
