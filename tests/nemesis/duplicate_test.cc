// duplicate and duplicate-end: their timeline fields, resolution, replay and
// place in generated schedules (nemesis/faults/duplicate.cc).
#include <gtest/gtest.h>

#include <stdexcept>

#include "nemesis/resolve.h"
#include "nemesis/schedule.h"
#include "tests/nemesis/timeline_error.h"

namespace schism::nemesis {
namespace {
using nlohmann::json;

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

std::string Error(std::string_view text) { return testing::TimelineError(text, kNodes); }

Op Duplicate(LossTarget target, int percent) {
  Op op;
  op.kind = OpKind::kDuplicate;
  op.loss_target = target;
  op.loss_percent = percent;
  return op;
}

TEST(NemesisDuplicate, ReadsLikeLossAndDefaultsToEveryPacketOfEveryPair) {
  const auto ops = FromJson(json::parse(R"([{"t":1,"f":"duplicate"},
      {"t":2,"f":"duplicate","target":"into","node":"n2","percent":30},
      {"t":3,"f":"duplicate-end"}])"),
                            kNodes);
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].loss_target, LossTarget::kAll);
  EXPECT_EQ(ops[0].loss_percent, 100);
  EXPECT_EQ(ToJson(ops[1]),
            json::parse(R"({"t":2.0,"f":"duplicate","target":"into","node":"n2","percent":30})"));
  EXPECT_EQ(ops[2].kind, OpKind::kDuplicateEnd);
  EXPECT_EQ(FromJson(json::parse(ToJson(ops).dump()), kNodes), ops);
}

TEST(NemesisDuplicate, BadEntriesNameTheProblem) {
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate","percent":0}])"),
            "timeline[0]: duplicate 0% is outside 1..100");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate","percent":101}])"),
            "timeline[0]: duplicate 101% is outside 1..100");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate","percent":2.5}])"),
            "timeline[0]: \"percent\" must be a whole number");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate","percnt":20}])"),
            "timeline[0]: unknown field \"percnt\" for duplicate; did you mean \"percent\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate","target":"ino"}])"),
            "timeline[0]: unknown duplicate target \"ino\"; did you mean \"into\"?");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicate-end","node":"n1"}])"),
            "timeline[0]: unknown field \"node\" for duplicate-end");
  EXPECT_EQ(Error(R"([{"t":1,"f":"duplicat"}])"),
            "timeline[0]: unknown op \"duplicat\"; did you mean \"duplicate\"?");
}

TEST(NemesisDuplicate, ResolvesToDirectedPairsWithThePercent) {
  std::mt19937_64 rng(3);
  const ClusterView view{kNodes, std::string("n3"), kNodes, {}};
  Op into = Duplicate(LossTarget::kInto, 40);
  into.node = "n2";
  const ResolvedOp r = Resolve(into, view, rng);
  EXPECT_EQ(
      r.loss,
      (LossMap{{{"n1", "n2"}, 40}, {{"n3", "n2"}, 40}, {{"n4", "n2"}, 40}, {{"n5", "n2"}, 40}}));
  EXPECT_EQ(r.Describe(), json::parse(R"({
      "f":"duplicate","target":"into","node":"n2","percent":40,
      "pairs":[["n1","n2"],["n3","n2"],["n4","n2"],["n5","n2"]]})"));
  EXPECT_EQ(Resolve(Duplicate(LossTarget::kAll, 100), view, rng).loss.size(), 20u);
  EXPECT_THROW(Resolve(Duplicate(LossTarget::kAll, 0), view, rng), std::invalid_argument);
  Op end;
  end.kind = OpKind::kDuplicateEnd;
  EXPECT_EQ(Resolve(end, view, rng).Describe(), json::parse(R"({"f":"duplicate-end"})"));
}

TEST(NemesisDuplicate, AppliedEntriesReplayTheirPairs) {
  std::mt19937_64 rng(5);
  const ClusterView view{kNodes, std::nullopt, kNodes, {}};
  const Op pair = Duplicate(LossTarget::kPair, 20);
  Op end;
  end.kind = OpKind::kDuplicateEnd;
  const ResolvedOp applied = Resolve(pair, view, rng);
  const json timeline = {
      {"seed", 5},
      {"ops",
       {{{"t", 1.5}, {"op", ToJson(pair)}, {"applied", applied.Describe()}},
        {{"t", 4.0}, {"op", ToJson(end)}, {"applied", Resolve(end, view, rng).Describe()}}}}};
  const std::vector<Op> ops = FromAppliedTimeline(timeline, kNodes);
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].loss_target, LossTarget::kPairs);
  EXPECT_EQ(ops[0].loss_percent, 20);
  EXPECT_DOUBLE_EQ(ops[0].offset_s, 1.5);
  std::mt19937_64 other(99);
  EXPECT_EQ(Resolve(ops[0], view, other).loss, applied.loss);
  EXPECT_EQ(ops[1].kind, OpKind::kDuplicateEnd);
}

TEST(NemesisDuplicate, OnlyTheEndEndsAFault) {
  EXPECT_TRUE(EndsFaults(OpKind::kDuplicateEnd));
  EXPECT_FALSE(EndsFaults(OpKind::kDuplicate));
  EXPECT_EQ(ToString(OpKind::kDuplicate), "duplicate");
  EXPECT_EQ(ToString(OpKind::kDuplicateEnd), "duplicate-end");
}

TEST(NemesisDuplicate, GeneratedLikeLossAndEndedBeforeTheQuietPeriod) {
  int duplicates = 0;
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    ScheduleOptions options;
    options.nemeses = {"duplicate"};
    options.seed = seed;
    const auto ops = Generate(options);
    const double end = options.duration_s - QuietPeriod(options);
    bool on = false;
    for (const Op& op : ops) {
      EXPECT_LE(op.offset_s, end);
      if (op.kind == OpKind::kDuplicate) {
        EXPECT_FALSE(on) << "two duplicates without a duplicate-end, seed " << seed;
        on = true;
        ++duplicates;
        EXPECT_GE(op.loss_percent, 10);
        EXPECT_LE(op.loss_percent, 100);
      } else if (op.kind == OpKind::kDuplicateEnd) {
        on = false;
      } else {
        EXPECT_TRUE(op.kind == OpKind::kHeal || op.kind == OpKind::kRestart) << ToJson(op);
      }
    }
    EXPECT_FALSE(on);
    // The tail: heal, duplicate-end, restart, all where the quiet period starts.
    ASSERT_GE(ops.size(), 3u);
    EXPECT_EQ(ops[ops.size() - 2].kind, OpKind::kDuplicateEnd);
    EXPECT_DOUBLE_EQ(ops[ops.size() - 2].offset_s, end);
  }
  EXPECT_GE(duplicates, 60);
}

TEST(NemesisDuplicate, AtWeightZeroItAddsOnlyItsEndToTheTail) {
  ScheduleOptions options;
  options.nemeses = {"partition", "loss", "delay"};
  options.seed = 4;
  const auto without = Generate(options);
  options.nemeses.push_back("duplicate");
  options.weights = {{"duplicate", 0.0}};
  auto with = Generate(options);
  std::erase_if(with, [](const Op& op) { return op.kind == OpKind::kDuplicateEnd; });
  EXPECT_EQ(with, without);
}

}  // namespace
}  // namespace schism::nemesis
