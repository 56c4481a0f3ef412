// ReplayConfig: what a replay runs, from a recorded run dir or a hand-written
// timeline (no cluster is started here).
#include "harness/replay.h"

#include <gtest/gtest.h>

#include <fstream>

#include "harness/errors.h"
#include "run_support.h"

namespace schism::harness {
namespace {
using nlohmann::json;
using schism::testing::TempDir;

void Write(const std::filesystem::path& path, const json& content) {
  std::ofstream(path) << content.dump();
}

json RecordedRunConfig() {
  return {{"test", "raft"},           {"elector", "raft"},      {"node_cmd", json::array()},
          {"nodes", 3},               {"time_s", 20.0},         {"seed", 42},
          {"nemesis", {"partition"}}, {"nemesis_interval_s", 2.0}, {"quiet_s", 5.0},
          {"liveness_deadline_s", 4.0}, {"split_brain_fails", true}, {"port", 7100},
          {"node_cmd_template", ""},  {"elector_args", {"--bug", "double-vote"}}, {"replay_of", ""}};
}

json RecordedTimeline() {
  return {{"seed", 42},
          {"ops",
           {{{"t", 2.5},
             {"op", {{"f", "partition"}, {"grudge", "halves"}, {"t", 2.5}}},
             {"applied", {{"f", "partition"}, {"kind", "halves"}, {"components", {{"n1"}, {"n2", "n3"}}}}}},
            {{"t", 4.0},
             {"op", {{"f", "kill"}, {"target", "leader"}, {"t", 4.0}}},
             {"applied", {{"f", "kill"}, {"node", "n3"}, {"signal", 9}, {"target", "leader"}}}},
            {{"t", 6.0}, {"op", {{"f", "heal"}, {"t", 6.0}}}, {"applied", {{"f", "heal"}}}}}}};
}

TEST(Replay, RecordedRunDirGivesItsConfigAndResolvedOps) {
  TempDir tmp;
  Write(tmp.path() / "config.json", RecordedRunConfig());
  Write(tmp.path() / "timeline.json", RecordedTimeline());
  RunConfig c = ReplayConfig(tmp.path(), ReplayOverrides{});
  EXPECT_EQ(c.nodes, 3u);
  EXPECT_EQ(c.time_s, 20.0);
  EXPECT_EQ(c.seed, 42u);
  EXPECT_EQ(c.port, 7100);
  EXPECT_EQ(c.elector_args, (std::vector<std::string>{"--bug", "double-vote"}));
  EXPECT_EQ(c.replay_of, std::filesystem::canonical(tmp.path() / "timeline.json").string());
  ASSERT_TRUE(c.timeline);
  ASSERT_EQ(c.timeline->size(), 3u);
  EXPECT_EQ((*c.timeline)[0].grudge, nemesis::GrudgeKind::kComponents);
  EXPECT_EQ((*c.timeline)[0].components, (nemesis::Components{{"n1"}, {"n2", "n3"}}));
  EXPECT_EQ((*c.timeline)[1].target, nemesis::KillTarget::kNode);
  EXPECT_EQ((*c.timeline)[1].node, "n3");
}

TEST(Replay, ARunThatDiedReplaysTheOpsItHadApplied) {
  TempDir tmp;
  Write(tmp.path() / "config.json", RecordedRunConfig());
  std::ofstream spool(tmp.path() / "timeline.partial.jsonl");
  const json ops = RecordedTimeline()["ops"];
  spool << ops[0].dump() << "\n" << ops[1].dump() << "\n" << R"({"t": 6.0, "op": {"f")";  // cut mid-line
  spool.close();
  RunConfig c = ReplayConfig(tmp.path(), ReplayOverrides{});
  EXPECT_EQ(c.replay_of, std::filesystem::canonical(tmp.path() / "timeline.partial.jsonl").string());
  EXPECT_EQ(c.seed, 42u);
  ASSERT_TRUE(c.timeline);
  ASSERT_EQ(c.timeline->size(), 2u);
  EXPECT_EQ((*c.timeline)[1].node, "n3");
}

TEST(Replay, ASpoolWithABadLineBeforeItsEndIsNamed) {
  TempDir tmp;
  Write(tmp.path() / "config.json", RecordedRunConfig());
  std::ofstream spool(tmp.path() / "timeline.partial.jsonl");
  spool << "{oops\n" << RecordedTimeline()["ops"][0].dump() << "\n";
  spool.close();
  try {
    ReplayConfig(tmp.path(), ReplayOverrides{});
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), (tmp.path() / "timeline.partial.jsonl").string() + ":1: not JSON");
  }
}

TEST(Replay, OverridesWinAndUnknownNodesAreNamed) {
  TempDir tmp;
  Write(tmp.path() / "config.json", RecordedRunConfig());
  Write(tmp.path() / "timeline.json", RecordedTimeline());
  ReplayOverrides o;
  o.time_s = 40;
  o.seed = 7;
  RunConfig c = ReplayConfig(tmp.path() / "timeline.json", o);
  EXPECT_EQ(c.time_s, 40.0);
  EXPECT_EQ(c.seed, 7u);
  o.nodes = 2;
  try {
    ReplayConfig(tmp.path(), o);
    FAIL() << "a recorded timeline naming n3 must not replay on 2 nodes";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("timeline[0]: unknown node \"n3\""), std::string::npos)
        << e.what();
  }
}

TEST(Replay, AnElectorFlagReplacesTheRecordedElectorWhole) {
  TempDir tmp;
  Write(tmp.path() / "config.json", RecordedRunConfig());
  Write(tmp.path() / "timeline.json", RecordedTimeline());
  ReplayOverrides fixed;
  fixed.bug = "none";  // the same timeline against the fixed build
  EXPECT_TRUE(ReplayConfig(tmp.path(), fixed).elector_args.empty());
  ReplayOverrides other;
  other.bug = "forget-vote";
  EXPECT_EQ(ReplayConfig(tmp.path(), other).elector_args,
            (std::vector<std::string>{"--bug", "forget-vote"}));
  ReplayOverrides mine;
  mine.node_cmd = "/opt/elector --id {node}";
  RunConfig c = ReplayConfig(tmp.path(), mine);
  EXPECT_EQ(c.node_cmd, "/opt/elector --id {node}");
  EXPECT_EQ(c.elector, "custom");
  EXPECT_TRUE(c.elector_args.empty()) << "the built-in's --bug does not apply to another elector";
  mine.bug = "none";
  EXPECT_THROW(ReplayConfig(tmp.path(), mine), UsageError);
}

TEST(Replay, AProfileRunReplaysTheSameServerWatchedTheSameWay) {
  TempDir tmp;
  json config = RecordedRunConfig();
  config["elector"] = "etcd";
  config["elector_args"] = json::array();
  config["profile"] = "etcd";
  config["probe_cmd"] = "";
  config["probe_every_ms"] = 100;
  config["probe_timeout_ms"] = 700;
  config["partition_grace_s"] = 3.5;
  Write(tmp.path() / "config.json", config);
  Write(tmp.path() / "timeline.json", RecordedTimeline());
  RunConfig c = ReplayConfig(tmp.path(), ReplayOverrides{});
  EXPECT_EQ(c.profile, "etcd");
  EXPECT_EQ(c.probe_every_ms, 100);
  EXPECT_EQ(c.probe_timeout_ms, 700);
  EXPECT_EQ(c.partition_grace_s, 3.5);
  ReplayOverrides raft;
  raft.elector = "raft";  // the same faults against the built-in Raft
  RunConfig other = ReplayConfig(tmp.path(), raft);
  EXPECT_EQ(other.profile, "");
  EXPECT_EQ(other.elector, "raft");
}

// A recipe's timeline may cut off or kill its service's members (redis1): a
// replay knows them from the recorded profile, or from --service.
TEST(Replay, ARecipeRunReplaysWithItsServiceMembers) {
  TempDir tmp;
  json config = RecordedRunConfig();
  config["elector"] = "redis-lock";
  config["elector_args"] = json::array();
  config["profile"] = "redis-lock";
  config["service"] = "";
  json timeline = RecordedTimeline();
  timeline["ops"][1]["applied"]["node"] = "redis1";
  Write(tmp.path() / "config.json", config);
  Write(tmp.path() / "timeline.json", timeline);
  RunConfig c = ReplayConfig(tmp.path(), ReplayOverrides{});
  EXPECT_EQ(c.profile, "redis-lock");
  ASSERT_TRUE(c.timeline);
  EXPECT_EQ((*c.timeline)[1].node, "redis1");

  config["profile"] = "";  // the same timeline for a --node-cmd client of --service redis
  config["elector"] = "custom";
  config["node_cmd_template"] = "/opt/client --redis {service}";
  config["service"] = "redis";
  Write(tmp.path() / "config.json", config);
  EXPECT_EQ(ReplayConfig(tmp.path(), ReplayOverrides{}).service, "redis");
  config["service"] = "";
  Write(tmp.path() / "config.json", config);
  try {
    ReplayConfig(tmp.path(), ReplayOverrides{});
    FAIL() << "without a service, redis1 is no node";
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("unknown node \"redis1\""), std::string::npos) << e.what();
  }
  ReplayOverrides with_service;
  with_service.service = "redis";
  EXPECT_EQ(ReplayConfig(tmp.path(), with_service).service, "redis");
  ReplayOverrides bad;
  bad.service = "memcached";
  EXPECT_THROW(ReplayConfig(tmp.path(), bad), UsageError);
}

TEST(CheckTimelineFits, EveryOpThatEndsAFaultMayFallInTheQuietPeriod) {
  RunConfig config;
  config.time_s = 30;  // quiet from 24 s
  for (int k = 0; k <= static_cast<int>(nemesis::OpKind::kDuplicateEnd); ++k) {
    nemesis::Op op;
    op.kind = static_cast<nemesis::OpKind>(k);
    op.offset_s = 27;
    const std::string name(nemesis::ToString(op.kind));
    if (nemesis::EndsFaults(op.kind)) {
      EXPECT_NO_THROW(CheckTimelineFits({op}, config)) << name;
    } else {
      EXPECT_THROW(CheckTimelineFits({op}, config), UsageError) << name;
    }
  }
  for (const char* ender : {"heal", "restart", "resume", "loss-end", "delay-end", "bandwidth-end",
                            "clock-end", "duplicate-end"}) {
    nemesis::Op op;
    bool found = false;
    for (int k = 0; k <= static_cast<int>(nemesis::OpKind::kDuplicateEnd); ++k) {
      op.kind = static_cast<nemesis::OpKind>(k);
      if (nemesis::ToString(op.kind) == ender) found = true;
      if (found) break;
    }
    ASSERT_TRUE(found) << ender;
    EXPECT_TRUE(nemesis::EndsFaults(op.kind)) << ender;
  }
}

TEST(Replay, HandWrittenTimelineGetsARunLongEnough) {
  TempDir tmp;
  Write(tmp.path() / "t.json", json::parse(R"([{"t":1,"f":"partition","grouping":"n1,n2|n3,n4,n5"},
                                                {"t":40,"f":"heal"}])"));
  RunConfig c = ReplayConfig(tmp.path() / "t.json", ReplayOverrides{});
  EXPECT_EQ(c.nodes, 5u);
  EXPECT_EQ(c.time_s, RunLengthFor(*c.timeline));
  EXPECT_GE(c.time_s - QuietPeriod(c), 41.0);
  EXPECT_EQ(RunLengthFor({}), 30.0);
}

TEST(Replay, BadFilesAreUsageErrorsNamingTheFile) {
  TempDir tmp;
  std::ofstream(tmp.path() / "junk.json") << "{not json";
  EXPECT_THROW(ReplayConfig(tmp.path() / "junk.json", {}), UsageError);
  std::ofstream(tmp.path() / "huge.json") << "{\"seed\": 1e999}";
  EXPECT_THROW(ReplayConfig(tmp.path() / "huge.json", {}), UsageError);
  EXPECT_THROW(ReplayConfig(tmp.path() / "none.json", {}), UsageError);
  json config = RecordedRunConfig();
  config.erase("elector_args");
  Write(tmp.path() / "config.json", config);
  Write(tmp.path() / "timeline.json", RecordedTimeline());
  try {
    ReplayConfig(tmp.path(), {});
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("config.json: lacks \"elector_args\""), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace schism::harness
