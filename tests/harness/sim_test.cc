// `schism sim` (harness/sim/): the simulated world's network, processes and
// clocks; whole simulated runs, which must be reproducible byte for byte;
// and the command that writes failing runs to the store. No root, no waiting:
// everything runs in virtual time.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness/errors.h"
#include "harness/replay.h"
#include "harness/sim/sim_command.h"
#include "harness/sim/simulate.h"
#include "harness/sim/world.h"
#include "histories/reader.h"
#include "nemesis/schedule.h"
#include "tests/harness/run_support.h"

namespace schism::harness::sim {
namespace {

using ::testing::HasSubstr;
using checkers::Validity;

const std::vector<std::string> kAllFaults = {"partition", "kill",  "loss", "pause",     "delay",
                                             "clock",     "flap",  "term", "bandwidth", "duplicate"};

// A world of `n` raft nodes that remembers each node's contract events.
class WorldTest : public ::testing::Test {
 protected:
  void Make(std::size_t n) {
    WorldOptions options;
    options.elector = nodes::FindElector("raft");
    options.setup = nodes::DefaultSetup(*options.elector, n);
    for (std::size_t k = 1; k <= n; ++k) options.names.push_back("n" + std::to_string(k));
    options.seed = 3;
    world_ = std::make_unique<World>(options);
    world_->on_event = [this](std::size_t k, const nodes::ContractEvent& e) {
      events_.push_back({k, world_->Now(), e});
    };
    for (std::size_t k = 0; k < n; ++k) world_->Start(k);
  }
  // The node that last claimed leadership at or after `since`, if any, with its term.
  std::optional<std::pair<std::size_t, std::uint64_t>> LeaderSince(double since) const {
    std::optional<std::pair<std::size_t, std::uint64_t>> leader;
    for (const Seen& s : events_) {
      if (s.t >= since && s.event.kind == nodes::ContractEvent::Kind::kRole &&
          s.event.role == nodes::ContractEvent::Role::kLeader) {
        leader = {s.node, s.event.term.value_or(0)};
      }
    }
    return leader;
  }
  std::size_t EventsOf(std::size_t k, double from, double to) const {
    std::size_t count = 0;
    for (const Seen& s : events_) count += s.node == k && s.t >= from && s.t < to;
    return count;
  }

  struct Seen {
    std::size_t node;
    double t;
    nodes::ContractEvent event;
  };
  std::unique_ptr<World> world_;
  std::vector<Seen> events_;
};

TEST_F(WorldTest, ACutPairDropsWhatCrossesItAndCountsIt) {
  Make(3);
  world_->RunUntil(2);
  ASSERT_TRUE(LeaderSince(0)) << "no leader in 2 virtual seconds";
  const std::uint64_t forwarded = world_->ReadPartition().forwarded;
  EXPECT_GT(forwarded, 0u);
  nemesis::Grudge grudge;
  for (const char* other : {"n2", "n3"}) grudge.DropBoth("n1", other);
  world_->Partition(grudge);
  world_->RunUntil(3);
  const nemesis::PartitionCount count = world_->ReadPartition();
  EXPECT_EQ(count.pairs.size(), 4u);
  EXPECT_GT(count.dropped, 0u);
  EXPECT_TRUE(world_->ProbeCutPair("n1", "n2"));
  EXPECT_FALSE(world_->ProbeCutPair("n2", "n3"));
  world_->Heal();
  EXPECT_TRUE(world_->ReadPartition().pairs.empty());
}

TEST_F(WorldTest, APausedLeaderIsSilentThenHearsTheNewTermWhenContinued) {
  Make(3);
  world_->RunUntil(2);
  const auto first = LeaderSince(0);
  ASSERT_TRUE(first);
  world_->Signal(first->first, SIGSTOP);
  world_->RunUntil(4);
  EXPECT_EQ(EventsOf(first->first, 2, 4), 0u) << "a stopped node printed";
  const auto second = LeaderSince(2);
  ASSERT_TRUE(second) << "the others elected nobody while the leader was stopped";
  EXPECT_NE(second->first, first->first);
  EXPECT_GT(second->second, first->second);
  world_->Signal(first->first, SIGCONT);
  world_->RunUntil(4.2);
  // What waited in its socket buffer tells it of the new term at once.
  ASSERT_GT(EventsOf(first->first, 4, 4.2), 0u);
  const auto last = LeaderSince(0);
  EXPECT_EQ(last->first, second->first);
}

TEST_F(WorldTest, ClockFaultsMoveOnlyTheNodesOwnClock) {
  Make(3);
  world_->RunUntil(1);
  nemesis::Op bump;
  bump.kind = nemesis::OpKind::kClock;
  bump.clock_mode = nemesis::ClockMode::kBump;
  bump.clock_offset_ms = -1500;
  EXPECT_EQ(world_->Apply("n2", bump).offset_ms, -1500);
  nemesis::Op rate = bump;
  rate.clock_mode = nemesis::ClockMode::kRate;
  rate.clock_rate = 2;
  world_->Apply("n3", rate);
  world_->RunUntil(2);
  std::map<std::string, double> skew;
  for (const char* node : {"n1", "n2", "n3"}) {
    world_->Prove(node, bump, [&skew, node](const nemesis::Proof& p) {
      skew[node] = p.measured["skew_ms"].get<double>();
    });
  }
  world_->RunUntil(2);
  EXPECT_NEAR(skew["n1"], 0, 1e-6);
  EXPECT_NEAR(skew["n2"], -1500, 1e-6);
  EXPECT_NEAR(skew["n3"], 1000, 1e-6);  // a second at twice the speed
  world_->Restore("n3");
  world_->Prove("n3", bump, [&skew](const nemesis::Proof& p) {
    skew["n3"] = p.measured["skew_ms"].get<double>();
  });
  world_->RunUntil(2);
  EXPECT_NEAR(skew["n3"], 0, 1e-6);
}

TEST_F(WorldTest, AThrottledNodePassesNoMoreThanItsRate) {
  Make(3);
  world_->RunUntil(1);
  world_->SetBandwidth("n1", 16);
  world_->RunUntil(4);
  const std::uint64_t sent = world_->BandwidthSent("n1");
  EXPECT_GT(sent, 0u);
  // Two directions of 16 kbit/s for 3 s, and one message in flight on each.
  EXPECT_LE(sent, 2 * (16000 / 8 * 3 + 512));
}

RunConfig RaftConfig(std::uint64_t seed, std::vector<std::string> nemeses = kAllFaults) {
  RunConfig config;
  config.elector = "raft";
  config.test = "sim-raft";
  config.nodes = 5;
  config.time_s = 30;
  config.seed = seed;
  config.nemeses = std::move(nemeses);
  return config;
}

TEST(Simulate, TheSameSeedGivesTheSameHistoryByteForByte) {
  const SimRun a = Simulate(RaftConfig(7));
  const SimRun b = Simulate(RaftConfig(7));
  EXPECT_EQ(a.history, b.history);
  EXPECT_EQ(a.timeline.dump(), b.timeline.dump());
  EXPECT_GT(a.messages_sent, 1000u);
  EXPECT_NE(Simulate(RaftConfig(8)).history, a.history);
}

TEST(Simulate, TheHistoryHasTheShapeOfARealRun) {
  const SimRun run = Simulate(RaftConfig(2));
  std::istringstream in(run.history);
  histories::HistoryReader reader(in, "history.jsonl");
  std::vector<histories::Event> events;
  for (histories::Event e; reader.Next(e);) events.push_back(e);
  ASSERT_GT(events.size(), 10u);
  EXPECT_EQ(events.front().f, "start");
  EXPECT_EQ(events.front().detail["mechanisms"]["simulated"], true);
  EXPECT_EQ(events.front().detail["config"]["elector"], "raft");
  EXPECT_EQ(events.back().type, histories::EventType::kRun);
  EXPECT_EQ(events.back().f, "end");
  std::set<std::string> started, verified;
  for (const histories::Event& e : events) {
    if (e.type == histories::EventType::kProcess && e.f == "start") started.insert(e.node);
    if (e.type == histories::EventType::kNemesis && e.detail.value("phase", "") == "verified") {
      verified.insert(e.f);
    }
  }
  EXPECT_EQ(started, (std::set<std::string>{"n1", "n2", "n3", "n4", "n5"}));
  EXPECT_GE(verified.size(), 3u) << "too few fault kinds were proven";
  EXPECT_FALSE(run.timeline["ops"].empty());
}

TEST(Simulate, CorrectRaftIsValidUnderEveryFault) {
  // Measured: seeds 1..10,000 gave 0 invalid runs (docs/simulation.md).
  for (std::uint64_t seed = 1; seed <= 30; ++seed) {
    const SimJudgement j = Judge(Simulate(RaftConfig(seed)).history);
    EXPECT_EQ(j.overall, Validity::kValid) << "seed " << seed;
  }
}

TEST(Simulate, DoubleVoteIsCaughtAtTheFirstSeed) {
  RunConfig config = RaftConfig(1, {"partition", "kill"});
  config.elector_args = {"--bug", "double-vote"};
  const SimJudgement j = Judge(Simulate(config).history);
  EXPECT_EQ(j.overall, Validity::kInvalid);
  std::set<std::string> invalid;
  for (const checkers::Verdict& v : j.verdicts) {
    if (v.valid == Validity::kInvalid) invalid.insert(v.checker);
  }
  EXPECT_TRUE(invalid.count("vote-once")) << ::testing::PrintToString(invalid);
  EXPECT_TRUE(invalid.count("election-safety")) << ::testing::PrintToString(invalid);
}

TEST(SimCommand, WritesEachFailingRunWithTheCommandsThatReproduceIt) {
  testing::TempDir tmp;
  SimSettings s;
  s.config = RaftConfig(1, {"partition", "kill"});
  s.config.elector_args = {"--bug", "double-vote"};
  s.config.store = tmp.path() / "store";
  s.nemesis = "partition,kill";
  s.runs = 4;
  s.jobs = 2;
  s.keep = 1;
  std::ostringstream out;
  EXPECT_EQ(RunSims(s, out), 1);
  EXPECT_THAT(out.str(), HasSubstr("failing seed 1: "));
  EXPECT_THAT(out.str(), HasSubstr("schism sim --elector raft --bug double-vote --nodes 5 --time 30 "
                                   "--nemesis partition,kill --seed 1 --runs 1"));
  std::vector<std::filesystem::path> dirs;
  for (const auto& entry : std::filesystem::directory_iterator(tmp.path() / "store" / "sim-raft")) {
    dirs.push_back(entry.path());
  }
  ASSERT_EQ(dirs.size(), 1u) << "--keep 1 writes one run";
  const std::filesystem::path dir = dirs[0];
  for (const char* file : {"history.jsonl", "timeline.json", "config.json", "results.json",
                           "junit.xml", "report.html", "reproduce.txt"}) {
    EXPECT_TRUE(std::filesystem::exists(dir / file)) << file;
  }
  EXPECT_THAT(testing::ReadFile(dir / "reproduce.txt"), HasSubstr("schism replay " + dir.string()));
  // The written history is the simulation of its seed, and its timeline replays.
  RunConfig again = s.config;
  again.seed = 1;
  EXPECT_EQ(testing::ReadFile(dir / "history.jsonl"), Simulate(again).history);
  ReplayOverrides overrides;
  overrides.store = tmp.path() / "store";
  const RunConfig replay = ReplayConfig(dir, overrides);
  EXPECT_EQ(replay.elector, "raft");
  EXPECT_EQ(replay.elector_args, (std::vector<std::string>{"--bug", "double-vote"}));
  ASSERT_TRUE(replay.timeline);
  EXPECT_FALSE(replay.timeline->empty());
}

// The summary without its timing line (wall time, runs per minute).
std::string Verdicts(const std::string& summary) {
  std::istringstream in(summary);
  std::string kept;
  for (std::string line; std::getline(in, line);) {
    if (line.find(" thread(s): ") == std::string::npos) kept += line + "\n";
  }
  return kept;
}

TEST(SimCommand, ThreadsChangeNothingButTheSpeed) {
  testing::TempDir tmp;
  SimSettings s;
  s.config = RaftConfig(40);
  s.config.elector_args = {"--bug", "forget-vote"};
  s.config.store = tmp.path() / "store";
  s.runs = 24;
  s.keep = 0;
  std::ostringstream one, two;
  s.jobs = 1;
  const int code = RunSims(s, one);
  s.jobs = 2;
  EXPECT_EQ(RunSims(s, two), code);
  EXPECT_EQ(Verdicts(one.str()), Verdicts(two.str()));
  EXPECT_THAT(one.str(), HasSubstr(" messages between nodes in all\n"));
}

TEST(SimCommand, RefusesWhatOnlyARealRunCanDo) {
  SimSettings s;
  s.config = RaftConfig(1);
  s.config.profile = "etcd";
  std::ostringstream out;
  try {
    RunSims(s, out);
    ADD_FAILURE() << "a profile was simulated";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("built-in electors only"));
  }
  s.config.profile.clear();
  s.runs = 0;
  EXPECT_THROW(RunSims(s, out), UsageError);
  s.runs = 1;
  s.config.elector_args = {"--bug", "no-such-bug"};
  EXPECT_THROW(RunSims(s, out), UsageError);
}

// The command line, as a user meets it: one line per mistake, exit 64.
TEST(SimCli, EveryFaultKindAndBadFlags) {
  using namespace std::chrono_literals;
  testing::TempDir tmp;
  const std::string store = (tmp.path() / "store").string();
  testing::Outcome o = testing::RunSchism(
      tmp, {"sim", "--nemesis", "all", "--runs", "4", "--time", "20", "--store", store}, 60s);
  EXPECT_EQ(o.code, 0) << o.output;
  EXPECT_THAT(o.output, HasSubstr("nemesis all (partition,kill,loss,pause,delay,clock,flap,term,"
                                  "bandwidth,duplicate), seeds 1..4"));
  EXPECT_THAT(o.output, HasSubstr("sim: 4 valid, 0 invalid, 0 unknown"));
  struct Bad {
    std::vector<std::string> args;
    std::string says;
  };
  const Bad bad[] = {
      {{"sim", "--bug", "nope"}, "nope"},
      {{"sim", "--runs", "0"}, "--runs must be at least 1"},
      {{"sim", "--nemesis", "all,kill"}, "\"all\" means every fault"},
      {{"sim", "--elector", "paxos"}, "paxos"},
      {{"sim", "--profile", "etcd"}, "--profile"},
      {{"sim", "--time", "3"}, "--time must be longer than the quiet period"},
  };
  for (const Bad& b : bad) {
    std::vector<std::string> args = b.args;
    args.insert(args.end(), {"--store", store});
    o = testing::RunSchism(tmp, args, 30s);
    EXPECT_EQ(o.code, 64) << ::testing::PrintToString(b.args) << o.output;
    EXPECT_THAT(o.output, HasSubstr(b.says)) << ::testing::PrintToString(b.args);
  }
}

}  // namespace
}  // namespace schism::harness::sim
