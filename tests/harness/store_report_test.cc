// The run store's layout and the HTML report, without root.
#include <gtest/gtest.h>

#include "harness/report_html.h"
#include "harness/run_store.h"
#include "histories/event.h"
#include "run_support.h"

namespace schism::harness {
namespace {
namespace fs = std::filesystem;

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

TEST(HtmlReport, DrawsLanesBandsAndEvidence) {
  HtmlReport report;
  report.Observe(Line(R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2"]})"));
  report.Observe(Line(R"({"i":1,"t":1,"type":"role","node":"n1","role":"leader","term":3})"));
  report.Observe(Line(R"({"i":2,"t":2,"type":"nemesis","f":"partition","phase":"start","kind":"bridge"})"));
  report.Observe(Line(R"({"i":3,"t":3,"type":"role","node":"n2","role":"leader","term":3})"));
  report.Observe(Line(R"({"i":4,"t":4,"type":"nemesis","f":"partition","phase":"end"})"));
  report.Observe(Line(R"({"i":5,"t":5,"type":"run","f":"end"})"));
  checkers::Verdict v{"election-safety", checkers::Validity::kInvalid, "two <leaders> in term 3", {1, 3}, {}};
  std::string html = report.Render("raft, seed 1", {v}, checkers::Validity::kInvalid);
  EXPECT_NE(html.find("raft, seed 1"), std::string::npos);
  EXPECT_NE(html.find("two &lt;leaders&gt; in term 3"), std::string::npos) << "reasons are escaped";
  EXPECT_NE(html.find("partition bridge"), std::string::npos);
  EXPECT_NE(html.find(">n1<"), std::string::npos);
  EXPECT_NE(html.find(">n2<"), std::string::npos);
  EXPECT_NE(html.find("evidence i=1"), std::string::npos);
  EXPECT_NE(html.find("evidence i=3"), std::string::npos);
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
  EXPECT_NE(html.find("<title>n1 leader t3 1.00–2.00 s</title>"), std::string::npos) << html;
  EXPECT_NE(html.find("<title>n1 paused  2.00–4.00 s</title>"), std::string::npos) << html;
  EXPECT_NE(html.find("<title>n1 leader t3 4.00–6.00 s</title>"), std::string::npos) << html;
}

}  // namespace
}  // namespace schism::harness
