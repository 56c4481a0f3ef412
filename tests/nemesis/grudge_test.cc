#include "nemesis/grudge.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <stdexcept>

namespace schism::nemesis {
namespace {

std::vector<std::string> Nodes(std::size_t n) {
  std::vector<std::string> nodes;
  for (std::size_t i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
  return nodes;
}

// The nodes `node` hears, itself included.
std::set<std::string> Hears(const Grudge& g, const std::vector<std::string>& nodes,
                            const std::string& node) {
  std::set<std::string> out;
  for (const auto& other : nodes) {
    if (!g.Drops(other, node)) out.insert(other);
  }
  return out;
}

TEST(NemesisGrudge, CompleteCutsEveryCrossPairBothWays) {
  const Grudge g = Complete({{"n1", "n2"}, {"n3", "n4", "n5"}});
  EXPECT_EQ(g.drops.size(), 2u * 2 * 3);
  EXPECT_TRUE(g.Drops("n1", "n3"));
  EXPECT_TRUE(g.Drops("n3", "n1"));
  EXPECT_FALSE(g.Drops("n1", "n2"));
  EXPECT_FALSE(g.Drops("n4", "n5"));
}

TEST(NemesisGrudge, HalvesSplitsFloorHalfFromTheRest) {
  for (std::size_t n : {2u, 3u, 5u, 6u, 7u}) {
    std::mt19937_64 rng(n);
    const auto nodes = Nodes(n);
    const auto components = CleanComponents(Halves(nodes, rng), nodes);
    ASSERT_TRUE(components.has_value()) << n;
    ASSERT_EQ(components->size(), 2u) << n;
    const std::size_t a = (*components)[0].size();
    const std::size_t b = (*components)[1].size();
    EXPECT_EQ(std::min(a, b), n / 2) << n;
    EXPECT_EQ(a + b, n) << n;
  }
}

TEST(NemesisGrudge, HalvesOfOneNodeIsEmpty) {
  std::mt19937_64 rng(1);
  EXPECT_TRUE(Halves(Nodes(1), rng).empty());
}

TEST(NemesisGrudge, SameSeedSameGrudge) {
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  EXPECT_EQ(Bridge(Nodes(7), a), Bridge(Nodes(7), b));
  EXPECT_EQ(MajoritiesRing(Nodes(7), a), MajoritiesRing(Nodes(7), b));
}

TEST(NemesisGrudge, IsolateOneCutsOneNodeOff) {
  const auto nodes = Nodes(4);
  const auto components = CleanComponents(IsolateOne(nodes, "n2"), nodes);
  ASSERT_TRUE(components.has_value());
  EXPECT_EQ(*components, (Components{{"n1", "n3", "n4"}, {"n2"}}));
}

TEST(NemesisGrudge, MajoritiesRingOfFiveHearsExactlyTwoRingNeighbours) {
  const auto nodes = Nodes(5);
  std::mt19937_64 rng(7);
  const Grudge g = MajoritiesRing(nodes, rng);
  std::set<std::set<std::string>> majorities;
  for (const auto& node : nodes) {
    const auto hears = Hears(g, nodes, node);
    EXPECT_EQ(hears.size(), 3u) << node;
    EXPECT_TRUE(hears.count(node)) << node;
    majorities.insert(hears);
    // For odd N the ring is symmetric: a neighbour hears me back.
    for (const auto& other : hears) EXPECT_FALSE(g.Drops(node, other)) << node << other;
  }
  EXPECT_EQ(majorities.size(), 5u);
  EXPECT_FALSE(CleanComponents(g, nodes).has_value());
}

TEST(NemesisGrudge, MajoritiesRingEveryNodeHearsADistinctMajority) {
  for (std::size_t n = 3; n <= 11; ++n) {
    const auto nodes = Nodes(n);
    std::mt19937_64 rng(n * 31);
    const Grudge g = MajoritiesRing(nodes, rng);
    std::set<std::set<std::string>> majorities;
    for (const auto& node : nodes) {
      const auto hears = Hears(g, nodes, node);
      EXPECT_EQ(hears.size(), n / 2 + 1) << "N=" << n << " " << node;
      EXPECT_TRUE(hears.count(node));
      majorities.insert(hears);
    }
    EXPECT_EQ(majorities.size(), n) << "N=" << n;
  }
}

TEST(NemesisGrudge, BridgeTalksToBothHalvesWhichCannotTalk) {
  const auto nodes = Nodes(5);
  std::mt19937_64 rng(3);
  const Grudge g = Bridge(nodes, rng);
  std::vector<std::string> bridges;
  for (const auto& node : nodes) {
    if (Hears(g, nodes, node).size() == nodes.size()) bridges.push_back(node);
  }
  ASSERT_EQ(bridges.size(), 1u);
  const std::string bridge = bridges[0];
  for (const auto& node : nodes) EXPECT_FALSE(g.Drops(bridge, node) || g.Drops(node, bridge));
  // Without the bridge, the other four split 2 + 2, each side plus the bridge a majority.
  std::set<std::set<std::string>> sides;
  for (const auto& node : nodes) {
    if (node == bridge) continue;
    auto hears = Hears(g, nodes, node);
    EXPECT_EQ(hears.size(), 3u) << node;
    EXPECT_TRUE(hears.count(bridge));
    hears.erase(bridge);
    sides.insert(hears);
  }
  EXPECT_EQ(sides.size(), 2u);
  EXPECT_FALSE(CleanComponents(g, nodes).has_value());
}

TEST(NemesisGrudge, OneWayIsNotACleanPartition) {
  const auto nodes = Nodes(3);
  const Grudge g = OneWay({"n1"}, {"n2", "n3"});
  EXPECT_TRUE(g.Drops("n1", "n2"));
  EXPECT_FALSE(g.Drops("n2", "n1"));
  EXPECT_FALSE(CleanComponents(g, nodes).has_value());
}

TEST(NemesisGrudge, ToJsonListsWhomEachNodeDoesNotHearAndComponents) {
  const auto nodes = Nodes(3);
  const nlohmann::json expected = nlohmann::json::parse(R"({
      "grudge": {"n1": ["n3"], "n2": ["n3"], "n3": ["n1", "n2"]},
      "components": [["n1", "n2"], ["n3"]]})");
  EXPECT_EQ(ToJson(Complete({{"n3"}, {"n2", "n1"}}), nodes), expected);
}

TEST(NemesisGrudge, ToJsonOfAHealedNetworkIsOneComponent) {
  EXPECT_EQ(ToJson(Grudge{}, Nodes(2)),
            nlohmann::json::parse(R"({"grudge":{"n1":[],"n2":[]},"components":[["n1","n2"]]})"));
}

TEST(NemesisGrudge, ToJsonOmitsComponentsWhenNotTransitive) {
  std::mt19937_64 rng(1);
  const auto json = ToJson(Bridge(Nodes(5), rng), Nodes(5));
  EXPECT_TRUE(json.contains("grudge"));
  EXPECT_FALSE(json.contains("components"));
}

TEST(NemesisGrudge, ParseGroupingReadsGroupsAndIgnoresBlanks) {
  EXPECT_EQ(ParseGrouping(" n1, n2 | n3,n4,n5", Nodes(5)),
            (Components{{"n1", "n2"}, {"n3", "n4", "n5"}}));
}

std::string ParseError(std::string_view text) {
  try {
    ParseGrouping(text, Nodes(3));
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(NemesisGrudge, ParseGroupingNamesTheProblemOnOneLine) {
  EXPECT_EQ(ParseError("n1,n9|n2,n3"), "grouping \"n1,n9|n2,n3\": unknown node n9");
  EXPECT_EQ(ParseError("n1,n2|n2,n3"), "grouping \"n1,n2|n2,n3\": node n2 is listed twice");
  EXPECT_EQ(ParseError("n1|n2"), "grouping \"n1|n2\": node n3 is missing");
  EXPECT_EQ(ParseError("n1,n2,n3|"), "grouping \"n1,n2,n3|\": empty group");
  EXPECT_EQ(ParseError("n1,,n2|n3"), "grouping \"n1,,n2|n3\": empty node name");
}

TEST(NemesisGrudge, RandomHalvesCutsAMinorityOfEverySize) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3", "n4", "n5", "n6", "n7"};
  std::mt19937_64 rng(1);
  std::set<std::size_t> sizes;
  for (int i = 0; i < 200; ++i) {
    const auto components = CleanComponents(RandomHalves(nodes, rng), nodes);
    ASSERT_TRUE(components);
    ASSERT_EQ(components->size(), 2u);
    sizes.insert(std::min((*components)[0].size(), (*components)[1].size()));
  }
  EXPECT_EQ(sizes, (std::set<std::size_t>{1, 2, 3}));
  EXPECT_TRUE(RandomHalves({"n1"}, rng).empty());
}

TEST(NemesisGrudge, MinorityThirdCutsOffAThird) {
  std::mt19937_64 rng(2);
  for (std::size_t n : {2u, 3u, 5u, 6u, 9u}) {
    std::vector<std::string> nodes;
    for (std::size_t i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
    const auto components = CleanComponents(MinorityThird(nodes, rng), nodes);
    ASSERT_TRUE(components);
    ASSERT_EQ(components->size(), 2u) << n;
    const std::size_t minority = std::min((*components)[0].size(), (*components)[1].size());
    EXPECT_EQ(minority, std::max<std::size_t>(1, n / 3)) << n;
  }
}

TEST(NemesisGrudge, RandomOneWayIsNotHeardButHears) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3", "n4", "n5"};
  std::mt19937_64 rng(3);
  for (int i = 0; i < 50; ++i) {
    const Grudge g = RandomOneWay(nodes, rng);
    ASSERT_FALSE(g.empty());
    std::set<std::string> unheard;
    for (const auto& [src, dst] : g.drops) {
      unheard.insert(src);
      EXPECT_FALSE(g.Drops(dst, src)) << "one-way cut is two-way for " << src << "," << dst;
    }
    EXPECT_GE(unheard.size(), 1u);
    EXPECT_LE(unheard.size(), 2u);
    EXPECT_EQ(g.drops.size(), unheard.size() * (nodes.size() - unheard.size()));
    EXPECT_FALSE(CleanComponents(g, nodes));
  }
}

TEST(NemesisGrudge, GrudgeJsonRoundTrips) {
  std::mt19937_64 rng(4);
  const std::vector<std::string> nodes = {"n1", "n2", "n3", "n4", "n5"};
  const Grudge ring = MajoritiesRing(nodes, rng);
  EXPECT_EQ(GrudgeFromJson(ToJson(ring, nodes)["grudge"]), ring);
  EXPECT_THROW(GrudgeFromJson(nlohmann::json::parse(R"({"n1":"n2"})")), std::invalid_argument);
}

TEST(NemesisGrudge, SplitGroupingNeedsNoCluster) {
  EXPECT_EQ(SplitGrouping(" n1, n2 | n9 "), (Components{{"n1", "n2"}, {"n9"}}));
  EXPECT_THROW(SplitGrouping("n1|n1"), std::invalid_argument);
}

TEST(NemesisGrudge, LossShapes) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  EXPECT_EQ(LossInto(nodes, "n2", 30), (LossMap{{{"n1", "n2"}, 30}, {{"n3", "n2"}, 30}}));
  EXPECT_EQ(LossAll(nodes, 5).size(), 6u);
  EXPECT_THROW(LossAll(nodes, 101), std::invalid_argument);
  EXPECT_NO_THROW(CheckLossPercent(0));
  EXPECT_NO_THROW(CheckLossPercent(100));
}

}  // namespace
}  // namespace schism::nemesis
