// Hand-written timelines, their errors, and replay of the harness's timeline.json.
#include <gtest/gtest.h>

#include <stdexcept>

#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::nemesis {
namespace {

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

std::string Error(std::string_view text, bool with_nodes = true) {
  try {
    if (with_nodes) {
      FromJson(nlohmann::json::parse(text), kNodes);
    } else {
      FromJson(nlohmann::json::parse(text));
    }
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(NemesisTimelineFile, SplitBrainExampleParses) {
  const auto ops = FromJson(nlohmann::json::parse(R"({"ops":[
      {"t":1.0,"f":"partition","grouping":"n1,n2|n3,n4,n5"},
      {"t":6.0,"f":"heal"}]})"),
                            kNodes);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, OpKind::kPartition);
  EXPECT_EQ(ops[0].grudge, GrudgeKind::kComponents);
  EXPECT_EQ(ops[0].components, (Components{{"n1", "n2"}, {"n3", "n4", "n5"}}));
  EXPECT_DOUBLE_EQ(ops[1].offset_s, 6.0);
  EXPECT_EQ(ops[1].kind, OpKind::kHeal);
  // The same entry written with explicit components, as a bare array.
  EXPECT_EQ(FromJson(nlohmann::json::parse(R"([
      {"t":1.0,"f":"partition","grudge":"components","components":[["n1","n2"],["n3","n4","n5"]]},
      {"t":6.0,"f":"heal"}])")),
            ops);
}

TEST(NemesisTimelineFile, EveryNewOpRoundTrips) {
  std::vector<Op> ops;
  const auto add = [&](Op op) {
    op.offset_s = static_cast<double>(ops.size());
    ops.push_back(std::move(op));
  };
  for (GrudgeKind kind : {GrudgeKind::kRandomHalves, GrudgeKind::kMinorityThird,
                          GrudgeKind::kOneWay, GrudgeKind::kExplicit}) {
    Op op;
    op.kind = OpKind::kPartition;
    op.grudge = kind;
    if (kind == GrudgeKind::kExplicit) op.drops.Drop("n1", "n3");
    add(op);
  }
  for (LossTarget target :
       {LossTarget::kPair, LossTarget::kInto, LossTarget::kAll, LossTarget::kPairs}) {
    Op op;
    op.kind = OpKind::kLoss;
    op.loss_target = target;
    op.loss_percent = 30;
    if (target == LossTarget::kInto) op.node = "n2";
    if (target == LossTarget::kPairs) op.loss_pairs = {{"n1", "n2"}, {"n2", "n1"}};
    add(op);
  }
  Op end;
  end.kind = OpKind::kLossEnd;
  add(end);
  Op pause;
  pause.kind = OpKind::kPause;
  pause.target = KillTarget::kNode;
  pause.node = "n4";
  pause.resume_after_s = 1.5;
  add(pause);
  Op resume;
  resume.kind = OpKind::kResume;
  add(resume);
  resume.node = "n4";
  add(resume);
  const std::string text = ToJson(ops).dump();
  EXPECT_EQ(FromJson(nlohmann::json::parse(text), kNodes), ops) << text;
  EXPECT_EQ(
      ToJson(ops[5]),
      nlohmann::json::parse(R"({"t":5.0,"f":"loss","target":"into","node":"n2","percent":30})"));
}

TEST(NemesisTimelineFile, ErrorsNameTheEntryAndTheProblem) {
  EXPECT_EQ(Error(R"([{"t":1,"f":"heal"},{"t":2,"f":"explode"}])"),
            "timeline[1]: unknown op \"explode\"");
  EXPECT_EQ(Error(R"({"ops":[{"t":1,"f":"heal"},{"t":2,"f":"loss","percent":150}]})"),
            "timeline[1]: loss 150% is outside 0..100");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","percent":-5}])"),
            "timeline[0]: loss -5% is outside 0..100");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","percent":2.5}])"),
            "timeline[0]: \"percent\" must be a whole number");
  EXPECT_EQ(Error(R"([{"t":-0.5,"f":"heal"}])"), "timeline[0]: \"t\" must not be negative");
  EXPECT_EQ(Error(R"([{"t":3,"f":"heal"},{"t":2,"f":"heal"}])"),
            "timeline[1]: offset 2.0 is before the previous op's 3.0");
  EXPECT_EQ(Error(R"([{"t":0,"f":"heal"},{"t":1,"f":"heal"},
                      {"t":2,"f":"partition","grouping":"n1,n2|n3,n4,n9"}])"),
            "timeline[2]: unknown node \"n9\" in grouping");
  EXPECT_EQ(Error(R"([{"t":1,"f":"partition","grouping":"n1,n2|n3,n4"}])"),
            "timeline[0]: node \"n5\" is missing from grouping");
  EXPECT_EQ(Error(R"([{"t":1,"f":"partition","grouping":"n1,n2||n3"}])", false),
            "timeline[0]: grouping \"n1,n2||n3\": empty group");
  EXPECT_EQ(
      Error(R"([{"t":1,"f":"partition","grudge":"components","components":[["n1"],["n7"]]}])"),
      "timeline[0]: unknown node \"n7\" in components");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"node","node":"n6"}])"),
            "timeline[0]: unknown node \"n6\"");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","target":"pairs","pairs":[["n1","n8"]],"percent":5}])"),
            "timeline[0]: unknown node \"n8\" in pairs");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","target":"pairs","pairs":[["n1","n1"]],"percent":5}])"),
            "timeline[0]: pair [\"n1\", \"n1\"] in pairs names one node twice");
  EXPECT_EQ(Error(R"([{"t":1,"f":"pause","target":"voter"}])"),
            "timeline[0]: only a kill can target \"voter\" (it waits for a vote)");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","target":"some","percent":5}])"),
            "timeline[0]: unknown loss target \"some\"");
  EXPECT_EQ(Error(R"({"seed":1})"),
            "timeline: must be a JSON array of ops, or an object whose \"ops\" is one");
  // Without the node list, names are checked later, by Resolve.
  EXPECT_EQ(Error(R"([{"t":1,"f":"partition","grouping":"n1|n9"}])", false), "no error");
}

TEST(NemesisTimelineFile, UnknownFieldsAreErrorsThatSuggestTheField) {
  // Once read as restart_after 0, and as a partition missing its "grudge".
  EXPECT_EQ(
      Error(R"([{"t":1,"f":"kill","target":"random","restart_afer":1}])"),
      "timeline[0]: unknown field \"restart_afer\" for kill; did you mean \"restart_after\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"heal"},{"t":1,"f":"partition","groupign":"n1,n2|n3,n4,n5"}])"),
            "timeline[1]: unknown field \"groupign\" for partition; did you mean \"grouping\"?");
  // Reported before the field it was meant to be is missed.
  EXPECT_EQ(Error(R"([{"tt":1,"f":"kill","target":"leader"}])"),
            "timeline[0]: unknown field \"tt\" for kill; did you mean \"t\"?");
  EXPECT_EQ(Error(R"([{"t":1,"fn":"heal"}])"),
            "timeline[0]: unknown field \"fn\"; did you mean \"f\"?");
  // A field of another op is unknown here; the suggestion is this op's nearest field.
  EXPECT_EQ(
      Error(R"([{"t":1,"f":"pause","target":"leader","restart_after":1}])"),
      "timeline[0]: unknown field \"restart_after\" for pause; did you mean \"resume_after\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"heal","node":"n1"}])"),
            "timeline[0]: unknown field \"node\" for heal");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"leader","comment":"why"}])"),
            "timeline[0]: unknown field \"comment\" for kill");
  // Every field of every op is known to its op.
  EXPECT_EQ(
      Error(
          R"([{"t":1,"f":"flap","grudge":"explicit","drops":[["n1","n2"]],"hold":2,"every":[0.2,0.4]},
                      {"t":2,"f":"loss","target":"into","node":"n2","percent":30},
                      {"t":3,"f":"delay","target":"pairs","pairs":[["n1","n2"]],"delay_ms":5,"jitter_ms":1},
                      {"t":4,"f":"clock","target":"node","node":"n3","mode":"strobe","offset_ms":0,
                       "offset2_ms":500,"period":0.5},
                      {"t":5,"f":"clock","target":"all","mode":"rate","rate":2},
                      {"t":6,"f":"term","target":"minority","grace":1,"restart_after":1},
                      {"t":7,"f":"bandwidth","target":"leader","rate_kbit":256},
                      {"t":8,"f":"bandwidth-end","node":"n1"},{"t":8,"f":"clock-end","node":"n3"},
                      {"t":9,"f":"kill","target":"voter","signal":15,"restart_after":0.1,"voter_wait":2},
                      {"t":9,"f":"pause","target":"node","node":"n4","resume_after":1,"how":"freeze"},
                      {"t":10,"f":"resume","node":"n4"},{"t":10,"f":"restart","node":"n1"}])"),
      "no error");
}

TEST(NemesisTimelineFile, UnknownNamesSuggestTheNearestChoice) {
  EXPECT_EQ(Error(R"([{"t":1,"f":"partiton","grouping":"n1,n2|n3,n4,n5"}])"),
            "timeline[0]: unknown op \"partiton\"; did you mean \"partition\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"partition","grudge":"bridg"}])"),
            "timeline[0]: unknown grudge \"bridg\"; did you mean \"bridge\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"leadr"}])"),
            "timeline[0]: unknown kill target \"leadr\"; did you mean \"leader\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"votr"}])"),
            "timeline[0]: unknown kill target \"votr\"; did you mean \"voter\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"leader","rival":true}])"),
            "timeline[0]: only a voter or candidate kill can wait for a rival");
  EXPECT_EQ(Error(R"([{"t":1,"f":"kill","target":"voter","rival":1}])"),
            "timeline[0]: rival must be true or false");
  EXPECT_EQ(Error(R"([{"t":1,"f":"pause","target":"candidate"}])"),
            "timeline[0]: only a kill can target \"candidate\" (it waits for a vote)");
  // Only a kill may target a voter, so nothing is near for a pause.
  EXPECT_EQ(Error(R"([{"t":1,"f":"pause","target":"votr"}])"),
            "timeline[0]: unknown pause target \"votr\"");
  EXPECT_EQ(Error(R"([{"t":1,"f":"loss","target":"ino","percent":5}])"),
            "timeline[0]: unknown loss target \"ino\"; did you mean \"into\"?");
  EXPECT_EQ(
      Error(R"([{"t":1,"f":"clock","target":"leader","mode":"strob","offset2_ms":5,"period":1}])"),
      "timeline[0]: unknown clock mode \"strob\" (bump, strobe or rate); did you mean \"strobe\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"pause","target":"leader","how":"Freeze"}])"),
            "timeline[0]: \"how\" must be \"stop\" or \"freeze\"; did you mean \"freeze\"?");
}

TEST(NemesisTimelineFile, UnknownNodesFromAnUncheckedTimelineFailInResolve) {
  const auto ops =
      FromJson(nlohmann::json::parse(R"([{"t":1,"f":"partition","grouping":"n1|n9"}])"));
  std::mt19937_64 rng(1);
  EXPECT_THROW(Resolve(ops[0], ClusterView{kNodes, std::nullopt, kNodes, {}}, rng),
               std::invalid_argument);
}

// What the controller writes: {"t":applied,"op":ToJson(op),"applied":Describe()}.
nlohmann::json Applied(double t, const ResolvedOp& r) {
  return {{"t", t}, {"op", ToJson(r.op)}, {"applied", r.Describe()}};
}

TEST(NemesisReplay, AppliedTimelineReplaysTheResolvedTargets) {
  std::mt19937_64 rng(4);
  ClusterView view{kNodes, "n2", kNodes, {}};
  Op bridge;
  bridge.kind = OpKind::kPartition;
  bridge.grudge = GrudgeKind::kBridge;
  Op halves = bridge;
  halves.grudge = GrudgeKind::kRandomHalves;
  Op heal;
  heal.kind = OpKind::kHeal;
  Op kill;
  kill.kind = OpKind::kKill;
  kill.target = KillTarget::kLeader;
  kill.restart_after_s = 0.2;
  Op voter = kill;
  voter.target = KillTarget::kVoter;
  voter.voter_wait_s = 2;
  Op loss;
  loss.kind = OpKind::kLoss;
  loss.loss_target = LossTarget::kInto;
  loss.loss_percent = 40;
  Op pause;
  pause.kind = OpKind::kPause;
  pause.target = KillTarget::kRandom;
  pause.resume_after_s = 1;
  Op restart;
  restart.kind = OpKind::kRestart;

  const ResolvedOp r_bridge = Resolve(bridge, view, rng);
  const ResolvedOp r_halves = Resolve(halves, view, rng);
  const ResolvedOp r_kill = Resolve(kill, view, rng);
  const ResolvedOp r_voter = Resolve(voter, view, rng);
  const ResolvedOp r_loss = Resolve(loss, view, rng);
  const ResolvedOp r_pause = Resolve(pause, view, rng);
  const ResolvedOp r_restart =
      Resolve(restart, ClusterView{kNodes, std::nullopt, {"n1", "n3", "n5"}, {}}, rng);
  const nlohmann::json file = {
      {"seed", 4},
      {"ops",
       {Applied(1.1, r_bridge), Applied(2.2, Resolve(heal, view, rng)), Applied(3.3, r_halves),
        Applied(4.0, r_voter),  // Armed: awaiting a vote.
        Applied(4.4, r_kill), Applied(4.2, WithVoter(r_voter, "n4")),
        Applied(6.0, VoterTimedOut(r_voter)), Applied(7.0, r_loss), Applied(8.0, r_pause),
        Applied(9.0, r_restart)}}};

  const std::vector<Op> ops = FromAppliedTimeline(nlohmann::json::parse(file.dump()));
  ASSERT_EQ(ops.size(), 9u);
  // Sorted by the applied time: the voter kill fired at 4.2, before the leader kill.
  std::vector<double> offsets;
  for (const auto& op : ops) offsets.push_back(op.offset_s);
  EXPECT_EQ(offsets, (std::vector<double>{1.1, 2.2, 3.3, 4.2, 4.4, 7.0, 8.0, 9.0, 9.0}));

  // Replaying each op against any cluster state gives the recorded targets.
  std::mt19937_64 other(999);
  const ClusterView later{kNodes, "n5", kNodes, {}};
  EXPECT_EQ(ops[0].grudge, GrudgeKind::kExplicit);  // A bridge is not a clean partition.
  EXPECT_EQ(Resolve(ops[0], later, other).grudge, r_bridge.grudge);
  EXPECT_EQ(ops[2].grudge, GrudgeKind::kComponents);
  EXPECT_EQ(Resolve(ops[2], later, other).grudge, r_halves.grudge);
  EXPECT_EQ(ops[3].target, KillTarget::kNode);
  EXPECT_EQ(ops[3].node, "n4");
  EXPECT_EQ(ops[3].voter_wait_s, 0.0);
  EXPECT_EQ(Resolve(ops[4], later, other).node, "n2");  // The leader when it was applied.
  EXPECT_DOUBLE_EQ(ops[4].restart_after_s, 0.2);
  EXPECT_EQ(Resolve(ops[5], later, other).loss, r_loss.loss);
  EXPECT_EQ(ops[6].node, r_pause.node);
  EXPECT_EQ(ops[7].node, "n2");
  EXPECT_EQ(ops[8].node, "n4");
}

TEST(NemesisReplay, MalformedEntriesNameTheirIndex) {
  const auto error = [](std::string_view text) -> std::string {
    try {
      FromAppliedTimeline(nlohmann::json::parse(text));
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error(R"({"ops":[{"t":1,"op":{"t":0,"f":"heal"},"applied":{"f":"heal"}},{"t":2}]})"),
            "timeline[1]: needs \"op\" and \"applied\" objects");
  EXPECT_EQ(error(R"([{"t":1,"op":{"t":0,"f":"kill","target":"leader"},"applied":{"f":"kill"}}])"),
            "timeline[0]: \"applied\" lacks its \"node\"");
  EXPECT_EQ(error(R"([{"t":1,"op":{"t":0,"f":"boom"},"applied":{}}])"),
            "timeline[0]: op: unknown op \"boom\"");
  EXPECT_EQ(
      error(R"([{"t":1,"op":{"t":0,"f":"heal"},"applied":{"f":"heal"}},
                      {"t":2,"op":{"t":0,"f":"kill","target":"leader","restart_afer":1},
                       "applied":{"f":"kill","node":"n2"}}])"),
      "timeline[1]: op: unknown field \"restart_afer\" for kill; did you mean \"restart_after\"?");
  EXPECT_EQ(error(R"([{"t":1,"op":{"t":0,"f":"pause","target":"leader","resume_after":1,"grace":2},
                       "applied":{"f":"pause","node":"n2"}}])"),
            "timeline[0]: op: unknown field \"grace\" for pause");
}

}  // namespace
}  // namespace schism::nemesis
