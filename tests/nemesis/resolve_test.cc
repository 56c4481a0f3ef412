#include "nemesis/resolve.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace schism::nemesis {
namespace {

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

ClusterView View(std::optional<std::string> leader = std::nullopt,
                 std::vector<std::string> alive = kNodes) {
  return ClusterView{kNodes, std::move(leader), std::move(alive)};
}

Op Partition(GrudgeKind kind) {
  Op op;
  op.kind = OpKind::kPartition;
  op.grudge = kind;
  return op;
}

Op Kill(KillTarget target) {
  Op op;
  op.kind = OpKind::kKill;
  op.target = target;
  op.restart_after_s = 0.1;
  return op;
}

TEST(NemesisResolve, IsolateLeaderCutsOffTheLeader) {
  std::mt19937_64 rng(1);
  const auto r = Resolve(Partition(GrudgeKind::kIsolateLeader), View("n3"), rng);
  EXPECT_EQ(r.isolated, "n3");
  EXPECT_EQ(r.Describe(), nlohmann::json::parse(R"({
      "f":"partition","kind":"isolate-leader","isolated":"n3",
      "grudge":{"n1":["n3"],"n2":["n3"],"n3":["n1","n2","n4","n5"],"n4":["n3"],"n5":["n3"]},
      "components":[["n1","n2","n4","n5"],["n3"]]})"));
}

TEST(NemesisResolve, IsolateLeaderWithoutALeaderFallsBackToARandomNode) {
  std::mt19937_64 rng(1);
  const auto r = Resolve(Partition(GrudgeKind::kIsolateLeader), View(), rng);
  EXPECT_FALSE(r.isolated.empty());
  EXPECT_EQ(r.Describe()["fallback"], "no leader");
}

TEST(NemesisResolve, BridgeRecordsTheGrudgeWithoutComponents) {
  std::mt19937_64 rng(1);
  const auto d = Resolve(Partition(GrudgeKind::kBridge), View(), rng).Describe();
  EXPECT_EQ(d["kind"], "bridge");
  EXPECT_EQ(d["grudge"].size(), 5u);
  EXPECT_FALSE(d.contains("components"));
}

TEST(NemesisResolve, ExplicitComponentsMustNameClusterNodes) {
  std::mt19937_64 rng(1);
  Op op = Partition(GrudgeKind::kComponents);
  op.components = {{"n1", "n2"}, {"n3", "n4", "n5"}};
  EXPECT_EQ(Resolve(op, View(), rng).Describe()["components"],
            nlohmann::json::parse(R"([["n1","n2"],["n3","n4","n5"]])"));
  op.components = {{"n1"}, {"n9"}};
  EXPECT_THROW(Resolve(op, View(), rng), std::invalid_argument);
}

TEST(NemesisResolve, SameSeedSameTargets) {
  std::mt19937_64 a(9);
  std::mt19937_64 b(9);
  EXPECT_EQ(Resolve(Partition(GrudgeKind::kMajoritiesRing), View(), a).grudge,
            Resolve(Partition(GrudgeKind::kMajoritiesRing), View(), b).grudge);
}

TEST(NemesisResolve, KillLeaderKillsTheLeader) {
  std::mt19937_64 rng(1);
  EXPECT_EQ(Resolve(Kill(KillTarget::kLeader), View("n2"), rng).Describe(),
            nlohmann::json::parse(
                R"({"f":"kill","target":"leader","node":"n2","signal":9,"restart_after":0.1})"));
}

TEST(NemesisResolve, KillOfADeadLeaderPicksALiveNode) {
  std::mt19937_64 rng(1);
  const auto r = Resolve(Kill(KillTarget::kLeader), View("n2", {"n4", "n5"}), rng);
  EXPECT_TRUE(r.node == "n4" || r.node == "n5") << r.node;
  EXPECT_EQ(r.fallback, "no leader");
}

TEST(NemesisResolve, KillRandomPicksOnlyLiveNodes) {
  std::mt19937_64 rng(1);
  for (int i = 0; i < 20; ++i) {
    EXPECT_EQ(Resolve(Kill(KillTarget::kRandom), View(std::nullopt, {"n5"}), rng).node, "n5");
  }
  EXPECT_EQ(Resolve(Kill(KillTarget::kRandom), View(std::nullopt, {}), rng).skipped,
            "no live node");
}

TEST(NemesisResolve, KillVoterWaitsForTheVote) {
  std::mt19937_64 rng(1);
  const auto pending = Resolve(Kill(KillTarget::kVoter), View(), rng);
  EXPECT_TRUE(pending.awaits_voter);
  EXPECT_TRUE(pending.node.empty());
  EXPECT_EQ(pending.Describe()["awaiting"], "vote");
  const auto done = WithVoter(pending, "n4");
  EXPECT_FALSE(done.awaits_voter);
  EXPECT_EQ(done.Describe()["node"], "n4");
  EXPECT_FALSE(done.Describe().contains("awaiting"));
  EXPECT_EQ(VoterTimedOut(pending).Describe()["skipped"], "no vote within voter_wait");
}

TEST(NemesisResolve, RestartStartsEveryDeadNode) {
  std::mt19937_64 rng(1);
  Op op;
  op.kind = OpKind::kRestart;
  EXPECT_EQ(Resolve(op, View(std::nullopt, {"n1", "n3", "n5"}), rng).Describe(),
            nlohmann::json::parse(R"({"f":"restart","nodes":["n2","n4"]})"));
  op.node = "n1";
  EXPECT_EQ(Resolve(op, View(std::nullopt, {"n1"}), rng).skipped, "n1 is already running");
}

TEST(NemesisResolve, HealDescribesItself) {
  std::mt19937_64 rng(1);
  Op op;
  op.kind = OpKind::kHeal;
  const auto r = Resolve(op, View(), rng);
  EXPECT_TRUE(r.grudge.empty());
  EXPECT_EQ(r.Describe(), nlohmann::json::parse(R"({"f":"heal"})"));
}

}  // namespace
}  // namespace schism::nemesis
