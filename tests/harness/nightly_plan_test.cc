// The nightly matrix and its write-up (no run is started here).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include <pugixml.hpp>

#include "harness/errors.h"
#include "harness/nightly.h"
#include "run_support.h"

namespace schism::harness {
namespace {

using nlohmann::json;

std::string UsageMessage(const std::function<void()>& f) {
  try {
    f();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "no UsageError";
}

TEST(NightlyPlan, SeedsAreNumbersRangesAndListsOfThem) {
  EXPECT_EQ(ParseSeeds("7"), (std::vector<std::uint64_t>{7}));
  EXPECT_EQ(ParseSeeds("1-3,9"), (std::vector<std::uint64_t>{1, 2, 3, 9}));
  EXPECT_EQ(UsageMessage([] { ParseSeeds("5-1"); }),
            "seeds \"5-1\": 5-1 is not a range from low to high (of at most 100000 seeds)");
  EXPECT_EQ(UsageMessage([] { ParseSeeds("1,x"); }),
            "seeds \"1,x\": \"x\" is not a seed (a whole number, or a range like 1-20)");
}

TEST(NightlyPlan, DurationsAndShards) {
  EXPECT_DOUBLE_EQ(ParseDuration("600"), 600);
  EXPECT_DOUBLE_EQ(ParseDuration("10m"), 600);
  EXPECT_DOUBLE_EQ(ParseDuration("2h"), 7200);
  EXPECT_EQ(UsageMessage([] { ParseDuration("2d"); }),
            "\"2d\" is not a length of time (e.g. 600, 10m, 2h)");
  EXPECT_EQ(ParseShard("2/4"), (std::pair<std::size_t, std::size_t>{2, 4}));
  EXPECT_EQ(UsageMessage([] { ParseShard("3/2"); }),
            "--shard \"3/2\": give I/N, the I-th of N slices, 1 <= I <= N");
}

TEST(NightlyPlan, TheMatrixLeavesOutBugsAnElectorDoesNotHave) {
  NightlyPlan plan;
  plan.electors = {"raft", "zab"};
  plan.bugs = {"none", "double-vote"};
  plan.nemeses = {"partition", "kill,pause"};
  plan.seeds = {1, 2};
  std::vector<std::string> left_out;
  const std::vector<NightlyCell> cells = Matrix(plan, &left_out);
  EXPECT_EQ(left_out, (std::vector<std::string>{"zab has no bug double-vote"}));
  ASSERT_EQ(cells.size(), 12u);  // raft x 2 bugs x 2 mixes x 2 seeds, zab x 1 x 2 x 2
  EXPECT_EQ(cells[0].Suite(), "raft bug=none nemesis=partition");
  EXPECT_EQ(cells[5].Suite(), "raft bug=double-vote nemesis=partition");
  EXPECT_EQ(cells[5].seed, 2u);
  EXPECT_EQ(cells[5].Test(), "raft-double-vote");
  EXPECT_EQ(cells[11].Suite(), "zab bug=none nemesis=kill,pause");
  for (std::size_t k = 0; k < cells.size(); ++k) EXPECT_EQ(cells[k].index, k);
}

TEST(NightlyPlan, UnknownElectorsAndBugsNoElectorHasAreRefused) {
  NightlyPlan plan;
  plan.electors = {"raft", "paxos"};
  EXPECT_NE(UsageMessage([&] { Matrix(plan, nullptr); }).find("paxos"), std::string::npos);
  plan.electors = {"raft"};
  plan.bugs = {"typo"};
  EXPECT_NE(UsageMessage([&] { Matrix(plan, nullptr); }).find("typo"), std::string::npos);
}

TEST(NightlyPlan, ShardsSplitTheMatrixIntoDisjointSlices) {
  NightlyPlan plan;
  plan.seeds = ParseSeeds("1-7");
  const std::vector<NightlyCell> cells = Matrix(plan, nullptr);
  std::vector<std::size_t> seen;
  for (std::size_t i = 1; i <= 3; ++i) {
    for (const NightlyCell& c : Shard(cells, i, 3)) seen.push_back(c.index);
  }
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(Shard(cells, 2, 3).size(), 2u);  // 1 and 4
}

TEST(NightlyPlan, APlanFileNamesItsMistakes) {
  testing::TempDir tmp;
  const auto plan_file = tmp.path() / "plan.json";
  std::ofstream(plan_file) << R"({"electors": ["raft", "zab"], "seeds": "1-4", "time": 12})";
  const NightlyPlan plan = ReadPlan(plan_file);
  EXPECT_EQ(plan.electors, (std::vector<std::string>{"raft", "zab"}));
  EXPECT_EQ(plan.seeds.size(), 4u);
  EXPECT_DOUBLE_EQ(plan.time_s, 12);
  std::ofstream(plan_file) << R"({"electors": ["raft"], "seed": "1-4"})";
  EXPECT_EQ(UsageMessage([&] { ReadPlan(plan_file); }),
            plan_file.string() +
                ": unknown key \"seed\" (electors, bugs, nemeses, seeds, time, nodes)");
}

std::vector<NightlyRun> SomeRuns() {
  std::vector<NightlyRun> runs(3);
  runs[0].cell = {0, "raft", "none", "partition", 1};
  runs[0].status = "valid";
  runs[0].run_dir = "/s/nightly/d/runs/raft/a";
  runs[0].kpis = {{"leaderless_pct", 3.9}, {"leader_changes_per_min", 6.0},
                  {"election_s", {{"count", 2}, {"p50", 0.006}, {"p95", 0.112}}}};
  runs[1].cell = {1, "raft", "double-vote", "partition", 1};
  runs[1].status = "invalid";
  runs[1].run_dir = "/s/nightly/d/runs/raft-double-vote/b";
  runs[1].reason = "election-safety: two leaders in term 4 <n1 & n2>";
  runs[2].cell = {2, "raft", "double-vote", "partition", 2};
  runs[2].status = "not run";
  return runs;
}

TEST(NightlyReport, TheNightsExitIsItsWorstRun) {
  std::vector<NightlyRun> runs = SomeRuns();
  EXPECT_EQ(WorstExit(runs), kExitInvalid);
  runs[1].status = "error";
  EXPECT_EQ(WorstExit(runs), kExitEnvironment);
  runs[1].status = "valid";
  EXPECT_EQ(WorstExit(runs), kExitUnknown);  // one was not run
  runs.pop_back();
  EXPECT_EQ(WorstExit(runs), kExitValid);
}

TEST(NightlyReport, JunitHasASuitePerCellAndTheReplayOfAFailure) {
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(NightlyJunit("night", SomeRuns()).c_str()));
  const pugi::xml_node suites = doc.child("testsuites");
  ASSERT_EQ(std::distance(suites.children("testsuite").begin(), suites.children("testsuite").end()), 2);
  const pugi::xml_node bug = suites.find_child_by_attribute("testsuite", "name",
                                                            "raft bug=double-vote nemesis=partition");
  EXPECT_EQ(bug.attribute("tests").as_int(), 2);
  EXPECT_EQ(bug.attribute("failures").as_int(), 1);
  EXPECT_EQ(bug.attribute("skipped").as_int(), 1);
  const std::string failure = bug.child("testcase").child("failure").text().get();
  EXPECT_NE(failure.find("reproduce: schism replay /s/nightly/d/runs/raft-double-vote/b"),
            std::string::npos)
      << failure;
  EXPECT_TRUE(bug.last_child().child("skipped"));
}

TEST(NightlyReport, SummaryReadsBackAndTheIndexLinksReportsAndEscapes) {
  const json summary = SummaryJson("night", SomeRuns());
  EXPECT_EQ(summary["exit_code"], kExitInvalid);
  EXPECT_EQ(summary["runs"][1]["reproduce"], "schism replay /s/nightly/d/runs/raft-double-vote/b");
  const std::vector<NightlyRun> back = RunsFromSummary(summary, "summary.json");
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[1].cell.Suite(), "raft bug=double-vote nemesis=partition");
  EXPECT_EQ(back[1].reason, SomeRuns()[1].reason);
  const std::string html = NightlyIndex("night", SomeRuns(), "/s/nightly/d");
  EXPECT_NE(html.find("<a href=\"runs/raft/a/report.html\">"), std::string::npos) << html;
  EXPECT_NE(html.find("two leaders in term 4 &lt;n1 &amp; n2&gt;"), std::string::npos);
  EXPECT_NE(html.find("elections p50 0.006 s, p95 0.112 s; leaderless 3.9 %; 6.0 changes/min"),
            std::string::npos);
  EXPECT_NE(html.find("<code>schism replay /s/nightly/d/runs/raft-double-vote/b</code>"),
            std::string::npos);
}

}  // namespace
}  // namespace schism::harness

namespace schism::harness {
namespace {

NightlyRun WithKpis(std::uint64_t seed, double p95, double leaderless) {
  NightlyRun r;
  r.cell = {0, "raft", "none", "partition", seed};
  r.status = "valid";
  r.kpis = {{"leaderless_pct", leaderless}, {"leader_changes_per_min", 6.0},
            {"election_s", {{"count", 3}, {"p50", 0.01}, {"p95", p95}}}};
  return r;
}

TEST(NightlyTrends, CellsAverageTheirRunsKpis) {
  const json cells = CellKpis({WithKpis(1, 0.2, 4.0), WithKpis(2, 0.4, 6.0)});
  const json& cell = cells["raft bug=none nemesis=partition"];
  EXPECT_DOUBLE_EQ(cell["election_p95_s"].get<double>(), 0.3);
  EXPECT_DOUBLE_EQ(cell["leaderless_pct"].get<double>(), 5.0);
  EXPECT_EQ(cell["runs"], 2);
}

TEST(NightlyTrends, ARiseOverTheMedianOfPastNightsIsARegression) {
  std::vector<PastNight> past;
  for (double p95 : {0.30, 0.40, 0.35}) {
    past.push_back({"night-" + std::to_string(past.size()), CellKpis({WithKpis(1, p95, 5.0)})});
  }
  // p95 0.9 against a median of 0.35: 2.6 times it and 0.55 s more; leaderless
  // 6 % against 5 %: under 1.5 times, no regression.
  const json trends = Trends(CellKpis({WithKpis(1, 0.9, 6.0)}), past);
  const json& cell = trends["raft bug=none nemesis=partition"];
  EXPECT_EQ(cell["election_p95_s"]["regressed"], true);
  EXPECT_DOUBLE_EQ(cell["election_p95_s"]["baseline"].get<double>(), 0.35);
  EXPECT_EQ(cell["election_p95_s"]["nights"], (json{"night-0", "night-1", "night-2"}));
  EXPECT_EQ(cell["leaderless_pct"]["regressed"], false);
  // The p50 stayed where it was.
  EXPECT_EQ(cell["election_p50_s"]["regressed"], false);
  EXPECT_EQ(Regressions(trends),
            (std::vector<std::string>{"raft bug=none nemesis=partition: election_p95_s now 0.900, "
                                      "against 0.350 (the median of the last 3 nights)"}));
  const std::string html = NightlyIndex("night", {WithKpis(1, 0.9, 6.0)}, "/s", trends);
  EXPECT_NE(html.find("<table id=\"trends\">"), std::string::npos);
  EXPECT_NE(html.find("0.900 (median 0.350 over 3 night(s)) <b>regression</b>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("fill=\"#c00\""), std::string::npos);
}

TEST(NightlyTrends, TheFirstNightHasNoBaseline) {
  const json trends = Trends(CellKpis({WithKpis(1, 0.9, 6.0)}), {});
  EXPECT_FALSE(trends["raft bug=none nemesis=partition"]["election_p95_s"].contains("baseline"));
  EXPECT_TRUE(Regressions(trends).empty());
}

}  // namespace
}  // namespace schism::harness
