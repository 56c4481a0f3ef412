// The second half of the fault catalogue as pure data: flap, term, delay,
// bandwidth, clock, group targets and freeze; their JSON, resolution, replay
// and place in generated schedules.
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <stdexcept>

#include "nemesis/resolve.h"
#include "nemesis/schedule.h"
#include "tests/nemesis/timeline_error.h"

namespace schism::nemesis {
namespace {
using nlohmann::json;

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

std::string Error(std::string_view text) { return testing::TimelineError(text, kNodes); }

const char* kEveryNewOp = R"([
  {"t":1,"f":"pause","target":"leader","resume_after":1.5,"how":"freeze"},
  {"t":2,"f":"flap","grudge":"halves","hold":4,"every":[0.2,1.0]},
  {"t":3,"f":"flap","grouping":"n1,n2|n3,n4,n5","hold":2},
  {"t":4,"f":"term","target":"minority","grace":2,"restart_after":1},
  {"t":5,"f":"kill","target":"majority","signal":9,"restart_after":0.5},
  {"t":6,"f":"pause","target":"all","resume_after":0.5},
  {"t":7,"f":"delay","target":"all","delay_ms":50,"jitter_ms":20},
  {"t":8,"f":"delay","target":"pairs","pairs":[["n1","n2"]],"delay_ms":10},
  {"t":9,"f":"delay-end"},
  {"t":10,"f":"bandwidth","target":"node","node":"n1","rate_kbit":256},
  {"t":11,"f":"bandwidth-end","node":"n1"},
  {"t":12,"f":"clock","target":"leader","mode":"bump","offset_ms":-1500},
  {"t":13,"f":"clock","target":"node","node":"n2","mode":"strobe","offset_ms":0,"offset2_ms":800,"period":0.25},
  {"t":14,"f":"clock","target":"one","mode":"rate","rate":2},
  {"t":15,"f":"clock-end"}
])";

TEST(NemesisNewOps, ParseAndRoundTrip) {
  const std::vector<Op> ops = FromJson(json::parse(kEveryNewOp), kNodes);
  ASSERT_EQ(ops.size(), 15u);
  EXPECT_TRUE(ops[0].freeze);
  EXPECT_EQ(ops[1].kind, OpKind::kFlap);
  EXPECT_EQ(ops[1].hold_s, 4.0);
  EXPECT_EQ(ops[2].grudge, GrudgeKind::kComponents);
  EXPECT_EQ(ops[2].flap_max_s, 1.0);  // the default
  EXPECT_EQ(ops[3].target, KillTarget::kMinority);
  EXPECT_EQ(ops[3].grace_s, 2.0);
  EXPECT_EQ(ops[6].jitter_ms, 20.0);
  EXPECT_EQ(ops[9].rate_kbit, 256);
  EXPECT_EQ(ops[11].clock_offset_ms, -1500.0);
  EXPECT_EQ(ops[12].clock_mode, ClockMode::kStrobe);
  EXPECT_EQ(ops[13].target, KillTarget::kRandom);  // "one" reads as random
  EXPECT_EQ(ops[13].clock_rate, 2.0);
  EXPECT_EQ(FromJson(json::parse(ToJson(ops).dump()), kNodes), ops);
}

TEST(NemesisNewOps, BadEntriesNameTheProblem) {
  EXPECT_EQ(Error(R"([{"t":1,"f":"flap","grudge":"halves"}])"), "timeline[0]: missing \"hold\"");
  EXPECT_EQ(Error(R"([{"t":1,"f":"flap","grudge":"halves","hold":2,"every":[1,0.5]}])"),
            "timeline[0]: \"every\" must be [min, max] with 0.05 <= min <= max");
  EXPECT_EQ(Error(R"([{"t":1,"f":"delay","delay_ms":10,"jitter_ms":20}])"),
            "timeline[0]: jitter_ms 20.0 is more than delay_ms 10.0 (a packet cannot be held "
            "less than 0 ms)");
  EXPECT_EQ(Error(R"([{"t":1,"f":"delay","delay_ms":-5}])"),
            "timeline[0]: \"delay_ms\" must not be negative");
  EXPECT_EQ(Error(R"([{"t":1,"f":"bandwidth","target":"all","rate_kbit":0}])"),
            "timeline[0]: rate_kbit 0 is outside 8..10000000");
  EXPECT_EQ(Error(R"([{"t":1,"f":"clock","target":"all","mode":"warp"}])"),
            "timeline[0]: unknown clock mode \"warp\" (bump, strobe or rate)");
  EXPECT_EQ(Error(R"([{"t":1,"f":"clock","target":"all","mode":"rate","rate":0}])"),
            "timeline[0]: \"rate\" must be greater than 0");
  EXPECT_EQ(Error(R"([{"t":1,"f":"clock","target":"node","node":"n7","mode":"bump","offset_ms":5}])"),
            "timeline[0]: unknown node \"n7\"");
  EXPECT_EQ(Error(R"([{"t":1,"f":"term","target":"voter"}])"),
            "timeline[0]: only a kill can target \"voter\" (it waits for a vote)");
  EXPECT_EQ(Error(R"([{"t":1,"f":"pause","target":"all","how":"nap"}])"),
            "timeline[0]: \"how\" must be \"stop\" or \"freeze\"");
}

ClusterView View(std::vector<std::string> alive = kNodes) {
  return ClusterView{kNodes, std::string("n3"), std::move(alive), {}};
}

Op WithTarget(OpKind kind, KillTarget target) {
  Op op;
  op.kind = kind;
  op.target = target;
  return op;
}

TEST(NemesisNewOps, GroupTargetsAreSizedAgainstTheCluster) {
  std::mt19937_64 rng(3);
  const auto minority = Resolve(WithTarget(OpKind::kKill, KillTarget::kMinority), View(), rng);
  EXPECT_EQ(minority.victims.size(), 2u);
  EXPECT_TRUE(minority.node.empty());
  const auto majority = Resolve(WithTarget(OpKind::kTerm, KillTarget::kMajority), View(), rng);
  EXPECT_EQ(majority.victims.size(), 3u);
  EXPECT_EQ(majority.Targets(), majority.victims);
  const auto all = Resolve(WithTarget(OpKind::kPause, KillTarget::kAll), View({"n2", "n4"}), rng);
  EXPECT_EQ(all.victims, (std::vector<std::string>{"n2", "n4"}));
  EXPECT_EQ(all.Describe()["victims"], json::parse(R"(["n2","n4"])"));
  // Only live nodes are killed: a majority of 5 when two are live is those two.
  const auto few = Resolve(WithTarget(OpKind::kKill, KillTarget::kMajority), View({"n1", "n5"}), rng);
  EXPECT_EQ(few.victims, (std::vector<std::string>{"n1", "n5"}));
  // Victims come in cluster order.
  for (int seed = 0; seed < 20; ++seed) {
    std::mt19937_64 r(seed);
    auto v = Resolve(WithTarget(OpKind::kKill, KillTarget::kMajority), View(), r).victims;
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
  }
}

TEST(NemesisNewOps, ClockAndBandwidthHitAnyNodeAndTermNeverWaitsForAVoter) {
  std::mt19937_64 rng(5);
  Op clock = WithTarget(OpKind::kClock, KillTarget::kLeader);
  clock.clock_offset_ms = 700;
  const auto c = Resolve(clock, View({}), rng);  // no live node: a clock still changes
  EXPECT_EQ(c.node, "n3");
  EXPECT_EQ(c.Describe(), json::parse(
      R"({"f":"clock","target":"leader","node":"n3","mode":"bump","offset_ms":700.0})"));
  Op bw = WithTarget(OpKind::kBandwidth, KillTarget::kNode);
  bw.node = "n4";
  bw.rate_kbit = 64;
  EXPECT_EQ(Resolve(bw, View(), rng).Describe(),
            json::parse(R"({"f":"bandwidth","target":"node","node":"n4","rate_kbit":64})"));
  EXPECT_FALSE(Resolve(WithTarget(OpKind::kTerm, KillTarget::kVoter), View(), rng).skipped.empty());
}

TEST(NemesisNewOps, DelayPairsResolveLikeLoss) {
  std::mt19937_64 rng(7);
  Op delay;
  delay.kind = OpKind::kDelay;
  delay.loss_target = LossTarget::kInto;
  delay.node = "n2";
  delay.delay_ms = 40;
  delay.jitter_ms = 5;
  const auto r = Resolve(delay, View(), rng);
  ASSERT_EQ(r.pairs.size(), 4u);
  for (const auto& [from, to] : r.pairs) EXPECT_EQ(to, "n2");
  EXPECT_EQ(r.Describe()["delay_ms"], 40.0);
  EXPECT_EQ(r.Describe()["pairs"].size(), 4u);
}

TEST(NemesisNewOps, AppliedTimelineReplaysVictimsAndPairsAndSkipsTheFlapItself) {
  std::mt19937_64 rng(9);
  ClusterView view = View();
  json timeline = {{"seed", 1}, {"ops", json::array()}};
  auto record = [&](const Op& op, double t) {
    timeline["ops"].push_back(
        {{"t", t}, {"op", ToJson(op)}, {"applied", Resolve(op, view, rng).Describe()}});
  };
  Op term = WithTarget(OpKind::kTerm, KillTarget::kMinority);
  record(term, 1.0);
  Op flap;
  flap.kind = OpKind::kFlap;
  flap.grudge = GrudgeKind::kHalves;
  flap.hold_s = 2;
  record(flap, 2.0);
  Op delay;
  delay.kind = OpKind::kDelay;
  delay.loss_target = LossTarget::kPair;
  delay.delay_ms = 30;
  record(delay, 3.0);
  Op clock = WithTarget(OpKind::kClock, KillTarget::kAll);
  clock.clock_mode = ClockMode::kRate;
  clock.clock_rate = 0.5;
  record(clock, 4.0);

  const auto ops = FromAppliedTimeline(timeline, kNodes);
  // term: two victims; the flap: nothing; delay: one explicit pair; clock: five nodes.
  ASSERT_EQ(ops.size(), 2u + 0u + 1u + 5u);
  EXPECT_EQ(ops[0].kind, OpKind::kTerm);
  EXPECT_EQ(ops[0].target, KillTarget::kNode);
  EXPECT_NE(ops[0].node, ops[1].node);
  EXPECT_EQ(ops[2].kind, OpKind::kDelay);
  EXPECT_EQ(ops[2].loss_target, LossTarget::kPairs);
  EXPECT_EQ(ops[2].loss_pairs.size(), 1u);
  EXPECT_EQ(ops[2].delay_ms, 30.0);
  for (std::size_t i = 3; i < ops.size(); ++i) {
    EXPECT_EQ(ops[i].kind, OpKind::kClock);
    EXPECT_EQ(ops[i].node, kNodes[i - 3]);
    EXPECT_EQ(ops[i].clock_rate, 0.5);
  }
}

TEST(NemesisNewOps, GeneratedSchedulesUseEveryNemesisAndEndRestored) {
  std::map<OpKind, int> seen;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    ScheduleOptions options;
    options.duration_s = 60;
    options.nemeses = {"partition", "kill", "loss", "pause", "delay",
                       "clock",     "flap", "term", "bandwidth"};
    options.seed = seed;
    const auto ops = Generate(options);
    const double end = options.duration_s - QuietPeriod(options);
    for (const auto& op : ops) {
      ++seen[op.kind];
      EXPECT_LE(op.offset_s, end);
      if (op.kind == OpKind::kFlap) {
        EXPECT_LE(op.offset_s + op.hold_s, end + 1e-9);
      }
    }
    // The tail restores everything at the start of the quiet period.
    std::set<OpKind> tail;
    for (const auto& op : ops) {
      if (op.offset_s == end) tail.insert(op.kind);
    }
    for (OpKind k : {OpKind::kHeal, OpKind::kLossEnd, OpKind::kDelayEnd, OpKind::kBandwidthEnd,
                     OpKind::kClockEnd, OpKind::kResume, OpKind::kRestart}) {
      EXPECT_TRUE(tail.count(k)) << "seed " << seed << ": no " << ToString(k) << " at the end";
    }
    EXPECT_EQ(FromJson(json::parse(ToJson(ops).dump())), ops);
  }
  for (OpKind k : {OpKind::kPartition, OpKind::kKill, OpKind::kLoss, OpKind::kPause,
                   OpKind::kDelay, OpKind::kClock, OpKind::kFlap, OpKind::kTerm,
                   OpKind::kBandwidth}) {
    EXPECT_GT(seen[k], 5) << ToString(k);
  }
}

TEST(NemesisNewOps, WeightsSteerTheDrawAndOrderDoesNotMatter) {
  ScheduleOptions options;
  options.duration_s = 120;
  options.nemeses = {"partition", "delay"};
  options.seed = 11;
  ScheduleOptions reversed = options;
  reversed.nemeses = {"delay", "partition"};
  EXPECT_EQ(Generate(options), Generate(reversed));
  options.weights = {{"partition", 0.0}};
  for (const auto& op : Generate(options)) {
    EXPECT_NE(op.kind, OpKind::kPartition);
  }
  options.weights = {{"partition", 0.0}, {"delay", 0.0}};
  EXPECT_THROW(Generate(options), std::invalid_argument);
}

}  // namespace
}  // namespace schism::nemesis
