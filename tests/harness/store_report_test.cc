// The run store's layout and the HTML report, without root.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "harness/check.h"
#include "harness/errors.h"
#include "harness/report_html.h"
#include "harness/run_store.h"
#include "harness/runs.h"
#include "histories/event.h"
#include "run_support.h"

namespace schism::harness {
namespace {
namespace fs = std::filesystem;

// Two runs of one test and one of another, one of them unfinished: listed
// oldest first with their verdicts; `latest` is not a run.
TEST(Runs, ListsEveryRunOldestFirstWithItsVerdict) {
  testing::TempDir tmp;
  const std::filesystem::path store = tmp.path() / "store";
  auto make = [&](const std::string& test, const std::string& name, const std::string& results) {
    const std::filesystem::path dir = store / test / name;
    std::filesystem::create_directories(dir);
    std::ofstream(dir / "config.json")
        << R"({"seed":7,"nodes":5,"time_s":30.0,"nemesis":["partition","kill"]})";
    if (!results.empty()) std::ofstream(dir / "results.json") << results;
    return dir;
  };
  const auto a = make("raft", "20261201T100000Z-s7", R"({"verdict":"valid","checkers":[]})");
  const auto b = make("bully", "20261201T110000Z-s7",
                      R"({"verdict":"invalid","checkers":[{"checker":"split-brain","verdict":"invalid"},
                          {"checker":"kpis","verdict":"valid"}]})");
  const auto c = make("raft", "20261201T120000Z-s7", "");
  std::filesystem::create_directory_symlink(c, store / "latest");
  EXPECT_EQ(ListRuns(store, 0),
            "run dir | seed | nodes | time_s | nemesis | verdict\n" + a.string() +
                " | 7 | 5 | 30.0 | partition,kill | valid\n" + b.string() +
                " | 7 | 5 | 30.0 | partition,kill | invalid: split-brain\n" + c.string() +
                " | 7 | 5 | 30.0 | partition,kill | no results\n3 run(s)\n");
  EXPECT_EQ(ListRuns(store, 1).find(a.string()), std::string::npos);
  EXPECT_NE(ListRuns(store, 1).find("1 run(s)"), std::string::npos);
  EXPECT_THROW(ListRuns(tmp.path() / "none", 0), UsageError);
}

TEST(RunDir, LaysOutARunAndPointsLatestAtIt) {
  testing::TempDir tmp;
  RunDir a = RunDir::Create(tmp.path(), "raft", 7);
  EXPECT_EQ(a.path().parent_path(), tmp.path() / "raft");
  EXPECT_NE(a.path().filename().string().find("-s7"), std::string::npos);
  EXPECT_TRUE(fs::is_directory(a.path() / "nodes"));
  EXPECT_TRUE(fs::is_directory(a.DataDir("n1").parent_path()));
  EXPECT_EQ(a.NodeLog("n2"), a.path() / "nodes" / "n2.log");
  EXPECT_EQ(fs::canonical(tmp.path() / "latest"), fs::canonical(a.path()));

  RunDir b = RunDir::Create(tmp.path(), "raft", 7);  // same second, same seed
  EXPECT_NE(a.path(), b.path());
  EXPECT_EQ(fs::canonical(tmp.path() / "latest"), fs::canonical(b.path()));
}

// Concurrent runs in one store once lost a run: they all made their new link
// under one name and removed it from under each other ("cannot update
// store/latest"). Every one must now get its own dir, and latest one of them.
TEST(RunDir, RunsThatShareAStoreAtOnceAllStart) {
  testing::TempDir tmp;
  constexpr int kRuns = 8;
  std::vector<fs::path> dirs(kRuns);
  std::vector<std::string> errors(kRuns);
  {
    std::vector<std::jthread> threads;
    for (int k = 0; k < kRuns; ++k) {
      threads.emplace_back([&, k] {
        try {
          for (int round = 0; round < 20; ++round) {
            dirs[k] = RunDir::Create(tmp.path(), "raft", 7).path();  // Same names, same second.
          }
        } catch (const std::exception& e) {
          errors[k] = e.what();
        }
      });
    }
  }
  for (int k = 0; k < kRuns; ++k) EXPECT_EQ(errors[k], "") << "run " << k;
  std::set<fs::path> distinct(dirs.begin(), dirs.end());
  EXPECT_EQ(distinct.size(), static_cast<std::size_t>(kRuns));
  EXPECT_EQ(std::distance(fs::directory_iterator(tmp.path() / "raft"), fs::directory_iterator()),
            kRuns * 20);
  const fs::path latest = fs::canonical(tmp.path() / "latest");
  EXPECT_TRUE(fs::is_directory(latest / "nodes")) << latest;
  // Nothing left but the runs, latest and the lock.
  std::set<std::string> names;
  for (const auto& entry : fs::directory_iterator(tmp.path())) {
    names.insert(entry.path().filename().string());
  }
  EXPECT_EQ(names, (std::set<std::string>{".latest.lock", "latest", "raft"}));
}

// A history whose controller was killed has the run's start and no end:
// checked, it is partial and its verdict at best unknown; with its end it is
// judged as it stands.
TEST(CheckHistory, AHistoryWithoutTheRunsEndIsPartial) {
  schism::testing::TempDir tmp;
  const fs::path file = tmp.path() / "history.jsonl";
  const std::string lines =
      "{\"i\":0,\"t\":0.0,\"type\":\"run\",\"f\":\"start\",\"nodes\":[\"n1\"]}\n"
      "{\"i\":1,\"t\":0.1,\"type\":\"process\",\"f\":\"start\",\"node\":\"n1\",\"pid\":7}\n"
      "{\"i\":2,\"t\":0.2,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n";
  std::ofstream(file) << lines;
  CheckSettings settings;
  settings.html = false;
  settings.checkers = {"election-safety"};
  CheckOutcome cut = CheckHistory(file, settings);
  EXPECT_TRUE(cut.partial);
  EXPECT_DOUBLE_EQ(cut.ended_at_s, 0.2);
  EXPECT_EQ(checkers::ToString(cut.overall), "unknown");
  EXPECT_EQ(ResultsFor(cut)["partial"], true);

  std::ofstream(file) << lines << "{\"i\":3,\"t\":5.0,\"type\":\"run\",\"f\":\"end\"}\n";
  CheckOutcome whole = CheckHistory(file, settings);
  EXPECT_FALSE(whole.partial);
  EXPECT_EQ(checkers::ToString(whole.overall), "valid");
}

TEST(RunDir, WritesFilesWhole) {
  testing::TempDir tmp;
  RunDir dir = RunDir::Create(tmp.path(), "t", 1);
  dir.WriteFile("results.json", "{\"valid\":true}\n");
  EXPECT_EQ(testing::ReadFile(dir.path() / "results.json"), "{\"valid\":true}\n");
  EXPECT_FALSE(fs::exists(dir.path() / "results.json.tmp"));
}

TEST(RunDir, NamesAPathItCannotCreate) {
  try {
    RunDir::Create("/proc/no-such-store", "t", 1);
    FAIL() << "expected a throw";
  } catch (const std::system_error& e) {
    EXPECT_NE(std::string(e.what()).find("/proc/no-such-store"), std::string::npos) << e.what();
  }
}

histories::Event Line(const char* json) { return histories::ParseEventLine(json); }

std::size_t Count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// A run of `seconds` with two nodes and nothing else.
HtmlReport Quiet(double seconds) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"]})"));
  histories::Event end = Line(R"({"i":1,"t":0,"type":"run","f":"end"})");
  end.time = seconds;
  report.Observe(end);
  return report;
}

const char kStart[] =
    R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"],"config":{"test":"raft",)"
    R"("elector":"raft","elector_args":["--bug","double-vote"],"node_cmd":["/b/schism-node",)"
    R"("raft","--id","{node}"],"node_cmd_template":"","nodes":2,"time_s":20,"seed":3,)"
    R"("nemesis":["partition","kill"],"nemesis_weights":{"kill":0.5},"nemesis_interval_s":3,)"
    R"("quiet_s":5,"liveness_deadline_s":4,"stable_window_s":1,"checkers":[],"replay_of":""}})";

TEST(HtmlReport, DrawsLanesBandsAndEvidence) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"]})"));
  report.Observe(Line(R"({"i":1,"t":1,"type":"role","node":"n1","role":"leader","term":3})"));
  report.Observe(
      Line(R"({"i":2,"t":2,"type":"nemesis","f":"partition","phase":"start","kind":"bridge"})"));
  report.Observe(Line(R"({"i":3,"t":3,"type":"role","node":"n2","role":"leader","term":3})"));
  report.Observe(Line(R"({"i":4,"t":4,"type":"nemesis","f":"partition","phase":"end"})"));
  report.Observe(Line(R"({"i":5,"t":5,"type":"run","f":"end"})"));
  checkers::Verdict v{
      "election-safety", checkers::Validity::kInvalid, "two <leaders> in term 3", {1, 3}, {}};
  std::string html =
      report.Render("raft, seed 1", {v}, checkers::Validity::kInvalid,
                    {{1, R"({"i":1,"t":1,"type":"role","node":"n1","role":"leader","term":3})"},
                     {3, R"({"i":3,"t":3,"type":"role","node":"n2","role":"leader","term":3})"}});
  EXPECT_NE(html.find("raft, seed 1"), std::string::npos);
  EXPECT_NE(html.find("two &lt;leaders&gt; in term 3"), std::string::npos) << "reasons are escaped";
  EXPECT_NE(html.find(">partition bridge<"), std::string::npos);
  EXPECT_NE(html.find(">n1<"), std::string::npos);
  EXPECT_NE(html.find(">n2<"), std::string::npos);
  EXPECT_NE(html.find("stroke=\"#cf222e\""), std::string::npos) << "evidence lines";
  EXPECT_NE(html.find("class=\"invalid\""), std::string::npos);
}

TEST(HtmlReport, APausedLeaderResumesAsALeader) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1"]})"));
  report.Observe(Line(R"({"i":1,"t":1,"type":"role","node":"n1","role":"leader","term":3})"));
  report.Observe(Line(R"({"i":2,"t":2,"type":"process","f":"pause","node":"n1","pid":9})"));
  report.Observe(Line(R"({"i":3,"t":4,"type":"process","f":"resume","node":"n1","pid":9})"));
  report.Observe(Line(R"({"i":4,"t":6,"type":"run","f":"end"})"));
  std::string html = report.Render("raft", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("data-tip=\"n1 leader t3 1.00–2.00 s\""), std::string::npos) << html;
  EXPECT_NE(html.find("data-tip=\"n1 paused 2.00–4.00 s\""), std::string::npos) << html;
  EXPECT_NE(html.find("data-tip=\"n1 leader t3 4.00–6.00 s\""), std::string::npos) << html;
}

TEST(HtmlReport, AFaultsHoverSaysWhetherItWasProven) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"]})"));
  report.Observe(Line(R"({"i":1,"t":1,"type":"nemesis","f":"partition","phase":"start"})"));
  report.Observe(Line(R"({"i":2,"t":2,"type":"nemesis","f":"partition","phase":"end"})"));
  report.Observe(Line(R"({"i":3,"t":2,"type":"nemesis","f":"partition","phase":"verified",)"
                      R"("of":1,"proven":false,"why":"dropped no packet"})"));
  report.Observe(Line(R"({"i":4,"t":3,"type":"nemesis","f":"kill","node":"n2","phase":"start"})"));
  report.Observe(Line(R"({"i":5,"t":3,"type":"nemesis","f":"kill","node":"n2","phase":"verified",)"
                      R"("of":4,"proven":true,"by":"cgroup empty"})"));
  report.Observe(Line(R"({"i":6,"t":5,"type":"run","f":"end"})"));
  std::string html = report.Render("raft", {}, checkers::Validity::kUnknown);
  EXPECT_NE(html.find("NOT PROVEN: dropped no packet"), std::string::npos) << html;
  EXPECT_NE(html.find("proven: cgroup empty"), std::string::npos) << html;
}

TEST(HtmlReport, ShowsTheRunsSettings) {
  HtmlReport report;
  report.Observe(Line(kStart));
  std::string html = report.Render("raft, seed 3", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("<dt>elector</dt><dd>raft --bug double-vote</dd>"), std::string::npos)
      << html;
  EXPECT_NE(html.find("<dt>nodes</dt><dd>2</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>nemeses</dt><dd>partition, kill:0.5 (an op every 3 s)</dd>"),
            std::string::npos);
  EXPECT_NE(html.find("<dt>seed</dt><dd>3</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>length</dt><dd>20 s</dd>"), std::string::npos);
  EXPECT_NE(html.find("<dt>quiet period</dt><dd>last 5 s (from 15 s)</dd>"), std::string::npos);
  EXPECT_NE(html.find("command: <code>/b/schism-node raft --id {node}</code>"), std::string::npos);
}

TEST(HtmlReport, ShowsTheCommandOfAnElectorOfOnesOwn) {
  HtmlReport report;
  report.Observe(Line(
      R"({"i":0,"t":0,"type":"run","f":"start","config":{"elector":"raft","nodes":3,)"
      R"("node_cmd":["/opt/e","--id","{node}"],"node_cmd_template":"/opt/e --id '{node}'"}})"));
  std::string html = report.Render("e", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("command: <code>/opt/e --id &#39;{node}&#39;</code>"), std::string::npos)
      << html;
  EXPECT_EQ(html.find("<dt>elector</dt>"), std::string::npos) << "raft is only the default";
}

TEST(HtmlReport, EscapesTheSettings) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","config":{"elector":"<b>&"}})"));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("<dd>&lt;b&gt;&amp;</dd>"), std::string::npos) << html;
}

TEST(HtmlReport, ShowsNoSettingsWithoutAConfig) {
  std::string html = Quiet(10).Render("hand-written", {}, checkers::Validity::kValid);
  EXPECT_EQ(html.find("class=\"settings\""), std::string::npos);
}

TEST(HtmlReport, TicksTheAxisEveryTwoSecondsInTwentySeconds) {
  std::string html = Quiet(20.5).Render("t", {}, checkers::Validity::kValid);
  EXPECT_EQ(Count(html, "class=\"tick tk\""), 11u) << html;
  EXPECT_NE(html.find(">0 s</text>"), std::string::npos);
  EXPECT_NE(html.find(">2 s</text>"), std::string::npos);
  EXPECT_NE(html.find(">20 s</text>"), std::string::npos);
}

TEST(HtmlReport, KeepsBetweenSixAndSixteenTicksAtAnyLength) {
  for (double seconds : {1.0, 3.0, 15.0, 31.0, 61.0, 100.0, 300.0, 1000.0, 3600.0, 40000.0}) {
    std::size_t ticks =
        Count(Quiet(seconds).Render("t", {}, checkers::Validity::kValid), "\"tick tk\"");
    EXPECT_GE(ticks, 6u) << seconds << " s";
    EXPECT_LE(ticks, 16u) << seconds << " s";
  }
}

TEST(HtmlReport, MarksTheFinalHealAndTheQuietPeriod) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1"]})"));
  report.Observe(Line(R"({"i":1,"t":15,"type":"nemesis","f":"final-heal","phase":"end"})"));
  report.Observe(Line(R"({"i":2,"t":20,"type":"run","f":"stopping","why":"end of run"})"));
  report.Observe(Line(R"({"i":3,"t":21,"type":"run","f":"end"})"));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find(">final heal · quiet period</text>"), std::string::npos) << html;
  EXPECT_NE(html.find("final heal at 15.00 s: from here"), std::string::npos);
  EXPECT_NE(html.find("quiet until 20.00 s"), std::string::npos);
}

TEST(HtmlReport, MarksWhereTheNodesAreStopped) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1"]})"));
  report.Observe(Line(R"({"i":1,"t":20,"type":"run","f":"stopping","why":"end of run"})"));
  report.Observe(Line(R"({"i":2,"t":21,"type":"run","f":"end"})"));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find(">stopping</text>"), std::string::npos) << html;
}

TEST(HtmlReport, LabelsEvidenceWithItsCheckerAndI) {
  HtmlReport report = Quiet(10);
  checkers::Verdict safety{"election-safety", checkers::Validity::kInvalid, "two", {1}, {}};
  checkers::Verdict votes{"vote-once", checkers::Validity::kInvalid, "twice", {1}, {}};
  std::string html = report.Render("t", {safety, votes}, checkers::Validity::kInvalid,
                                   {{1, R"({"i":1,"t":2,"type":"vote","node":"n1"})"}});
  EXPECT_NE(html.find(">election-safety, vote-once i=1</text>"), std::string::npos) << html;
}

TEST(HtmlReport, GroupsEvidenceAtOneInstantUnderOneLabel) {
  HtmlReport report = Quiet(10);
  checkers::Verdict v{"vote-once", checkers::Validity::kInvalid, "twice", {1, 2, 3, 4, 5}, {}};
  std::map<std::uint64_t, std::string> lines;
  for (std::uint64_t i = 1; i <= 5; ++i) {
    lines[i] = R"({"i":)" + std::to_string(i) + R"(,"t":3.00)" + std::to_string(i) + "}";
  }
  std::string html = report.Render("t", {v}, checkers::Validity::kInvalid, lines);
  EXPECT_NE(html.find(">vote-once i=1, 2, 3 +2</text>"), std::string::npos) << html;
  EXPECT_EQ(Count(html, ">vote-once i="), 1u);
}

TEST(HtmlReport, ShowsAFaultsParametersOnHover) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"]})"));
  report.Observe(Line(
      R"({"i":1,"t":1,"type":"nemesis","f":"kill","node":"n2","phase":"start","target":"leader"})"));
  report.Observe(Line(R"({"i":2,"t":2,"type":"nemesis","f":"kill","node":"n2","phase":"end"})"));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("data-tip=\"kill n2 1.00–2.00 s&#10;target: leader\""), std::string::npos)
      << html;
}

TEST(HtmlReport, ListsTheEvidenceEventsEscaped) {
  HtmlReport report = Quiet(10);
  checkers::Verdict v{"lease", checkers::Validity::kInvalid, "overlap", {4}, {}};
  std::string html = report.Render("t", {v}, checkers::Validity::kInvalid,
                                   {{4, R"({"i":4,"t":2,"type":"lease","node":"n1","x":"<b>"})"}});
  EXPECT_NE(
      html.find("<tr id=\"ev4\"><td>4</td><td>2.000</td><td>lease</td><td><code>{&quot;i&quot;"
                ":4,&quot;t&quot;:2,&quot;type&quot;:&quot;lease&quot;,&quot;node&quot;:&quot;"
                "n1&quot;,&quot;x&quot;:&quot;&lt;b&gt;&quot;}</code></td></tr>"),
      std::string::npos)
      << html;
}

TEST(HtmlReport, ListsEvidenceWithoutALineByItsIAlone) {
  HtmlReport report = Quiet(10);
  checkers::Verdict v{"quorum", checkers::Validity::kInvalid, "no majority", {7}, {}};
  std::string html = report.Render("t", {v}, checkers::Validity::kInvalid);
  EXPECT_NE(html.find("<tr id=\"ev7\"><td>7</td><td></td><td>quorum</td><td><span "
                      "class=\"missing\">no line given for i=7</span>"),
            std::string::npos)
      << html;
  EXPECT_EQ(html.find("quorum i=7"), std::string::npos) << "not drawn: its time is unknown";
}

TEST(HtmlReport, LinksTheVerdictsEvidenceToTheList) {
  HtmlReport report = Quiet(10);
  checkers::Verdict v{"quorum", checkers::Validity::kInvalid, "no majority", {7}, {}};
  std::string html = report.Render("t", {v}, checkers::Validity::kInvalid);
  EXPECT_NE(html.find("<a href=\"#ev7\">7</a>"), std::string::npos) << html;
}

TEST(HtmlReport, TheTimelineTakesThePagesWidth) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1"]})"));
  report.Observe(Line(R"({"i":1,"t":5,"type":"role","node":"n1","role":"leader","term":1})"));
  report.Observe(Line(R"({"i":2,"t":10,"type":"run","f":"end"})"));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_EQ(Count(html, "<svg class=\"plot ax\" width=\"100%\""), 1u) << "the axis";
  EXPECT_EQ(Count(html, "<svg class=\"plot ln\" width=\"100%\""), 1u) << "the lanes";
  EXPECT_NE(html.find(".plot{flex:1 1 0;"), std::string::npos);
  EXPECT_NE(html.find("<rect x=\"50.000%\""), std::string::npos) << "5 s of 10 s: half way";
}

TEST(HtmlReport, TheAxisStaysInViewOverFiftyOneLanes) {
  HtmlReport report;
  std::string nodes;
  for (int k = 1; k <= 51; ++k) nodes += (k > 1 ? ",\"n" : "\"n") + std::to_string(k) + "\"";
  report.Observe(
      Line((R"({"i":0,"t":0,"type":"run","f":"start","nodes":[)" + nodes + "]}").c_str()));
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find(".axis{position:sticky;top:0;"), std::string::npos);
  EXPECT_NE(html.find("<div class=\"row axis\"><svg"), std::string::npos);
  EXPECT_NE(html.find(">n51</text>"), std::string::npos);
}

TEST(HtmlReport, ShowsDetailsOnHoverWithoutLoadingAnything) {
  HtmlReport report = Quiet(10);
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_NE(html.find("<div id=\"tip\"></div><script>"), std::string::npos);
  EXPECT_NE(html.find("getAttribute('data-tip')"), std::string::npos);
  EXPECT_EQ(html.find("<title>n"), std::string::npos) << "no slow SVG titles";
  EXPECT_EQ(html.find(" src="), std::string::npos);
  EXPECT_EQ(html.find("<link"), std::string::npos);
}

TEST(HtmlReport, MergesRoleChangesTooBriefToSee) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1"]})"));
  histories::Event e = Line(R"({"i":1,"t":0,"type":"role","node":"n1","role":"leader","term":1})");
  for (int k = 0; k < 200000; ++k) {
    e.index = 1 + k;
    e.time = k * 0.001;
    e.role = k % 2 ? histories::Role::kFollower : histories::Role::kLeader;
    report.Observe(e);
  }
  std::string html = report.Render("t", {}, checkers::Validity::kValid);
  EXPECT_LE(Count(html, "<rect"), HtmlReport::kMaxSegments + 50);
  EXPECT_NE(html.find(" role changes)"), std::string::npos);
}

}  // namespace
}  // namespace schism::harness
