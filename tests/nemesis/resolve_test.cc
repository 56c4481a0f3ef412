#include "nemesis/resolve.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace schism::nemesis {
namespace {

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

ClusterView View(std::optional<std::string> leader = std::nullopt,
                 std::vector<std::string> alive = kNodes) {
  return ClusterView{kNodes, std::move(leader), std::move(alive), {}};
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

TEST(NemesisResolve, NewPartitionShapes) {
  std::mt19937_64 rng(2);
  const auto third = Resolve(Partition(GrudgeKind::kMinorityThird), View(), rng);
  const auto third_components = CleanComponents(third.grudge, kNodes);
  ASSERT_TRUE(third_components);
  EXPECT_EQ(third.Describe()["kind"], "minority-third");
  const auto one_way = Resolve(Partition(GrudgeKind::kOneWay), View(), rng).Describe();
  EXPECT_EQ(one_way["kind"], "one-way");
  EXPECT_FALSE(one_way.contains("components"));
  Op explicit_op = Partition(GrudgeKind::kExplicit);
  explicit_op.drops.Drop("n1", "n2");
  EXPECT_EQ(Resolve(explicit_op, View(), rng).grudge, explicit_op.drops);
  explicit_op.drops.Drop("n1", "n9");
  EXPECT_THROW(Resolve(explicit_op, View(), rng), std::invalid_argument);
}

Op Loss(LossTarget target, int percent) {
  Op op;
  op.kind = OpKind::kLoss;
  op.loss_target = target;
  op.loss_percent = percent;
  return op;
}

TEST(NemesisResolve, LossTargets) {
  std::mt19937_64 rng(3);
  for (int i = 0; i < 20; ++i) {
    const auto pair = Resolve(Loss(LossTarget::kPair, 30), View(), rng);
    ASSERT_EQ(pair.loss.size(), 1u);
    EXPECT_NE(pair.loss.begin()->first.first, pair.loss.begin()->first.second);
  }
  Op into = Loss(LossTarget::kInto, 20);
  into.node = "n2";
  EXPECT_EQ(Resolve(into, View(), rng).Describe(), nlohmann::json::parse(R"({
      "f":"loss","target":"into","node":"n2","percent":20,
      "pairs":[["n1","n2"],["n3","n2"],["n4","n2"],["n5","n2"]]})"));
  const auto random_into = Resolve(Loss(LossTarget::kInto, 20), View(), rng);
  EXPECT_EQ(random_into.loss.size(), 4u);
  EXPECT_FALSE(random_into.node.empty());
  EXPECT_EQ(Resolve(Loss(LossTarget::kAll, 10), View(), rng).loss.size(), 20u);
  Op pairs = Loss(LossTarget::kPairs, 50);
  pairs.loss_pairs = {{"n1", "n3"}};
  EXPECT_EQ(Resolve(pairs, View(), rng).loss, (LossMap{{{"n1", "n3"}, 50}}));
  try {
    Resolve(Loss(LossTarget::kAll, 150), View(), rng);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "loss 150% is outside 0..100");
  }
  Op end;
  end.kind = OpKind::kLossEnd;
  EXPECT_EQ(Resolve(end, View(), rng).Describe(), nlohmann::json::parse(R"({"f":"loss-end"})"));
}

TEST(NemesisResolve, PauseAndResume) {
  std::mt19937_64 rng(4);
  Op pause;
  pause.kind = OpKind::kPause;
  pause.target = KillTarget::kLeader;
  pause.resume_after_s = 1.5;
  EXPECT_EQ(
      Resolve(pause, View("n3"), rng).Describe(),
      nlohmann::json::parse(R"({"f":"pause","target":"leader","node":"n3","resume_after":1.5,"how":"stop"})"));
  // A paused leader is not paused twice: another running node stands in.
  ClusterView view{kNodes, "n3", kNodes, {"n3"}};
  const auto again = Resolve(pause, view, rng);
  EXPECT_NE(again.node, "n3");
  EXPECT_EQ(again.fallback, "no leader");
  pause.target = KillTarget::kNode;
  pause.node = "n3";
  EXPECT_EQ(Resolve(pause, view, rng).skipped, "n3 is already paused");
  pause.target = KillTarget::kRandom;
  EXPECT_EQ(Resolve(pause, ClusterView{kNodes, std::nullopt, {"n1"}, {"n1"}}, rng).skipped,
            "no running node to pause");

  Op resume;
  resume.kind = OpKind::kResume;
  EXPECT_EQ(
      Resolve(resume, ClusterView{kNodes, std::nullopt, kNodes, {"n4", "n2"}}, rng).Describe(),
      nlohmann::json::parse(R"({"f":"resume","nodes":["n2","n4"]})"));
  resume.node = "n1";
  EXPECT_EQ(Resolve(resume, view, rng).skipped, "n1 is not paused");
}

}  // namespace
}  // namespace schism::nemesis
