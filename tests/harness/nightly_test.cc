// `schism nightly` and `schism merge` with real runs (root): every run in the
// index and the JUnit, a failing cell's replay command reproducing it, shards
// merged into the same night, the budget, and bad input.
#include <gtest/gtest.h>

#include <signal.h>

#include <fstream>
#include <thread>

#include <pugixml.hpp>

#include "harness/spawn.h"
#include "run_support.h"

namespace schism::testing {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

// zab --bug no-quorum takes two agreeing nodes for a quorum: the election
// after the first partition (within the first 3 s of an 8 s run) fails
// `quorum` with 2 votes, on every seed tried (1-4, twice). raft has no such
// bug and is left out of it.
const std::vector<std::string> kMatrix = {"--elector", "raft,zab", "--bug", "none,no-quorum",
                                          "--nemesis", "partition", "--seeds", "1-2",
                                          "--time", "8", "-j", "2"};

std::vector<std::string> Night(const std::filesystem::path& store, std::vector<std::string> extra) {
  std::vector<std::string> args = {"nightly", "--budget", "10m", "--store", store.string()};
  args.insert(args.end(), kMatrix.begin(), kMatrix.end());
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

std::filesystem::path OnlyNight(const std::filesystem::path& store) {
  std::vector<std::filesystem::path> dirs;
  for (const auto& e : std::filesystem::directory_iterator(store / "nightly")) dirs.push_back(e.path());
  return dirs.size() == 1 ? dirs[0] : std::filesystem::path();
}

// (index, suite, seed, status) of every run of a summary.json.
std::vector<std::string> Cells(const std::filesystem::path& dir) {
  const json summary = json::parse(ReadFile(dir / "summary.json"));
  std::vector<std::string> cells;
  for (const json& r : summary["runs"]) {
    cells.push_back(std::to_string(r["index"].get<int>()) + " " + r["suite"].get<std::string>() +
                    " seed " + std::to_string(r["seed"].get<int>()) + ": " +
                    r["status"].get<std::string>());
  }
  return cells;
}

const std::vector<std::string> kExpected = {
    "0 raft bug=none nemesis=partition seed 1: valid",
    "1 raft bug=none nemesis=partition seed 2: valid",
    "2 zab bug=none nemesis=partition seed 1: valid",
    "3 zab bug=none nemesis=partition seed 2: valid",
    "4 zab bug=no-quorum nemesis=partition seed 1: invalid",
    "5 zab bug=no-quorum nemesis=partition seed 2: invalid"};

TEST(Nightly, EveryRunIsListedAndAFailingCellsReplayFailsAgain) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const Outcome o = RunSchism(tmp, Night(tmp.path() / "store", {}), 120s);
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("left out: raft has no bug no-quorum"), std::string::npos) << o.output;
  const std::filesystem::path night = OnlyNight(tmp.path() / "store");
  ASSERT_FALSE(night.empty());
  EXPECT_EQ(Cells(night), kExpected);

  pugi::xml_document junit;
  ASSERT_TRUE(junit.load_file((night / "junit.xml").c_str()));
  int suites = 0, cases = 0, failures = 0;
  for (const pugi::xml_node suite : junit.child("testsuites").children("testsuite")) {
    ++suites;
    for (const pugi::xml_node test : suite.children("testcase")) {
      ++cases;
      failures += test.child("failure") ? 1 : 0;
    }
  }
  EXPECT_EQ(suites, 3);
  EXPECT_EQ(cases, 6);
  EXPECT_EQ(failures, 2);
  const std::string index = ReadFile(night / "index.html");
  std::size_t rows = 0;
  for (std::size_t at = index.find("<tr class="); at != std::string::npos;
       at = index.find("<tr class=", at + 1)) {
    ++rows;
  }
  EXPECT_EQ(rows, 6u);

  // The replay command of a failing run fails the same way.
  const json summary = json::parse(ReadFile(night / "summary.json"));
  const std::string reproduce = summary["runs"][4]["reproduce"];
  ASSERT_EQ(reproduce.rfind("schism replay ", 0), 0u) << reproduce;
  TempDir replay_tmp;
  const Outcome replay = RunSchism(replay_tmp,
                                   {"replay", reproduce.substr(14), "--store",
                                    (replay_tmp.path() / "store").string()},
                                   60s);
  EXPECT_EQ(replay.code, 1) << replay.output;
  EXPECT_NE(replay.output.find("quorum           | invalid"), std::string::npos) << replay.output;
}

TEST(Nightly, TwoShardsSideBySideUnderGnuParallelMergeIntoTheSameNight) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  // As docs/nightly.md drives them: one shard per job slot, each its own store.
  std::vector<std::string> night = Night(tmp.path() / "shard{}", {"--shard", "{}/2", "-j", "1"});
  const std::filesystem::path gnu_parallel = harness::FindExecutable("parallel");
  ASSERT_FALSE(gnu_parallel.empty()) << "GNU parallel is missing: scripts/setup installs it";
  std::vector<std::string> argv = {gnu_parallel.string(), "--will-cite", "--halt", "never", "-j", "2",
                                   (BinaryDir() / "schism").string()};
  argv.insert(argv.end(), night.begin(), night.end());
  argv.insert(argv.end(), {":::", "1", "2"});
  {
    Child parallel(argv, tmp.path() / "parallel.txt");
    // GNU parallel exits with the number of jobs that failed: both shards
    // hold one zab no-quorum run, so both exit 1.
    EXPECT_EQ(parallel.Wait(120s), 2) << ReadFile(tmp.path() / "parallel.txt");
  }
  std::vector<std::string> parts;
  for (const char* shard : {"shard1", "shard2"}) {
    parts.push_back(OnlyNight(tmp.path() / shard).string());
    ASSERT_FALSE(parts.back().empty()) << ReadFile(tmp.path() / "parallel.txt");
    EXPECT_EQ(Cells(parts.back()).size(), 3u);
  }
  const std::filesystem::path merged = tmp.path() / "merged";
  const Outcome o = RunSchism(tmp, {"merge", parts[0], parts[1], "--out", merged.string()}, 30s);
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_EQ(Cells(merged), kExpected);
  // A run in two parts is refused.
  const Outcome twice = RunSchism(tmp, {"merge", parts[0], parts[0], "--out", merged.string()}, 30s);
  EXPECT_EQ(twice.code, 64);
  EXPECT_NE(twice.output.find("of the matrix is in both"), std::string::npos) << twice.output;
}

TEST(Nightly, SigtermStopsTheRunsUnderWayAndWritesTheNightUp) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::filesystem::path store = tmp.path() / "store";
  Child night({(BinaryDir() / "schism").string(), "nightly", "--seeds", "1-4", "--time", "20",
               "-j", "2", "--store", store.string()},
              tmp.path() / "out.txt");
  // Until both first runs have their nodes up.
  const auto up = [&] {
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(store / "nightly", ec)) {
      return ReadFile(e.path() / "logs" / "run-0.txt").find("nodes up") != std::string::npos &&
             ReadFile(e.path() / "logs" / "run-1.txt").find("nodes up") != std::string::npos;
    }
    return false;
  };
  for (int i = 0; i < 200 && !up(); ++i) std::this_thread::sleep_for(50ms);
  ASSERT_TRUE(up()) << ReadFile(tmp.path() / "out.txt");
  kill(night.pid(), SIGTERM);
  EXPECT_EQ(night.Wait(30s), 143) << ReadFile(tmp.path() / "out.txt");
  const std::filesystem::path dir = OnlyNight(store);
  EXPECT_EQ(Cells(dir), (std::vector<std::string>{
                            "0 raft bug=none nemesis=partition,kill seed 1: unknown",
                            "1 raft bug=none nemesis=partition,kill seed 2: unknown",
                            "2 raft bug=none nemesis=partition,kill seed 3: not run",
                            "3 raft bug=none nemesis=partition,kill seed 4: not run"}));
  const json summary = json::parse(ReadFile(dir / "summary.json"));
  EXPECT_EQ(summary["runs"][0]["reason"], "interrupted (SIGTERM): its results cover the part that ran");
  // Each interrupted run wrote its results, as a run stopped by SIGTERM does.
  const json results =
      json::parse(ReadFile(std::filesystem::path(summary["runs"][1]["run_dir"].get<std::string>()) /
                           "results.json"));
  EXPECT_EQ(results["interrupted"], true);
}

TEST(Nightly, RunsThatWouldOutlastTheBudgetAreNotStarted) {
  TempDir tmp;
  const Outcome o = RunSchism(tmp,
                              {"nightly", "--budget", "10", "--time", "8", "--seeds", "1-2",
                               "--store", (tmp.path() / "store").string()},
                              30s);
  EXPECT_EQ(o.code, 2) << o.output;
  const std::filesystem::path night = OnlyNight(tmp.path() / "store");
  EXPECT_EQ(Cells(night), (std::vector<std::string>{
                              "0 raft bug=none nemesis=partition,kill seed 1: not run",
                              "1 raft bug=none nemesis=partition,kill seed 2: not run"}));
  EXPECT_NE(ReadFile(night / "junit.xml").find("<skipped message=\"the budget ran out first\""),
            std::string::npos);
}

TEST(Nightly, BadInputIsOneLineAndExit64) {
  TempDir tmp;
  const std::filesystem::path plan = tmp.path() / "plan.json";
  std::ofstream(plan) << R"({"electors": ["raft", "paxos"]})";
  const std::string store = (tmp.path() / "store").string();
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const std::vector<Case> cases = {
      {{"nightly", "--plan", plan.string(), "--store", store}, "paxos"},
      {{"nightly", "--seeds", "5-1", "--store", store}, "5-1 is not a range"},
      {{"nightly", "--shard", "3/2", "--store", store}, "--shard \"3/2\""},
      {{"nightly", "--nemesis", "partition,kil", "--store", store}, "unknown fault \"kil\""},
      {{"nightly", "--budget", "2d", "--store", store}, "not a length of time"},
      {{"nightly", "--time", "4", "--store", store}, "--time must be longer than the quiet period"},
      {{"merge", tmp.path().string(), "--out", (tmp.path() / "m").string()},
       "not a nightly directory (no summary.json)"},
  };
  for (const Case& c : cases) {
    const Outcome o = RunSchism(tmp, c.args, 30s);
    EXPECT_EQ(o.code, 64) << c.args[1] << ": " << o.output;
    EXPECT_NE(o.output.find(c.says), std::string::npos) << o.output;
    EXPECT_EQ(std::count(o.output.begin(), o.output.end(), '\n'), 1) << o.output;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "store" / "nightly"));
}

}  // namespace
}  // namespace schism::testing
