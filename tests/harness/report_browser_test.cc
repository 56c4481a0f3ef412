// report.html as a browser shows it (root: it renders a real run's report):
// headless Chromium loads the page, runs its script and dumps the DOM, and
// takes a screenshot. The DOM must hold a lane per node, the fault bands, the
// violation's marker and its evidence row, the KPIs, and the time window a
// #t=FROM-TO address asks for (the zoom script ran).
#include <gtest/gtest.h>

#include <fstream>

#include "harness/spawn.h"
#include "run_support.h"

namespace schism::testing {
namespace {

using namespace std::chrono_literals;

std::size_t Count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

// Runs headless Chromium on `url` with `args` (its output to `out`); the exit code.
int Chromium(const TempDir& tmp, const std::vector<std::string>& args, const std::string& url,
             const std::filesystem::path& out) {
  const std::filesystem::path chromium = harness::FindExecutable("chromium");
  if (chromium.empty()) return -2;
  std::vector<std::string> argv = {chromium.string(), "--headless", "--no-sandbox", "--disable-gpu",
                                   "--hide-scrollbars", "--window-size=1400,1000",
                                   "--user-data-dir=" + (tmp.path() / "chromium").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back(url);
  Child child(argv, out);
  return child.Wait(60s);
}

TEST(ReportInABrowser, ShowsLanesFaultsTheViolationAndTheAskedWindow) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  ASSERT_FALSE(harness::FindExecutable("chromium").empty())
      << "chromium is missing: scripts/setup --test installs it";
  TempDir tmp;
  // zab --bug no-quorum fails `quorum` in the election after the first partition.
  const Outcome run = RunSchism(tmp,
                                {"run", "--elector", "zab", "--bug", "no-quorum", "--nemesis",
                                 "partition", "--time", "8", "--seed", "1", "--store",
                                 (tmp.path() / "store").string()},
                                60s);
  ASSERT_EQ(run.code, 1) << run.output;
  const std::filesystem::path report = run.run_dir / "report.html";
  std::filesystem::remove(report);
  const Outcome again = RunSchism(tmp, {"report", run.run_dir.string()}, 30s);
  ASSERT_EQ(again.code, 0) << again.output;
  EXPECT_EQ(again.output, "report: " + report.string() + "\n");

  const std::string url = "file://" + report.string() + "#t=1-5";
  ASSERT_EQ(Chromium(tmp, {"--dump-dom"}, url, tmp.path() / "dom.html"), 0)
      << ReadFile(tmp.path() / "dom.html");
  const std::string dom = ReadFile(tmp.path() / "dom.html");
  for (const char* node : {">n1</text>", ">n2</text>", ">n3</text>", ">n4</text>", ">n5</text>"}) {
    EXPECT_EQ(Count(dom, node), 1u) << node;
  }
  EXPECT_GE(Count(dom, "class=\"band\" data-kind=\"partition\""), 1u);
  EXPECT_NE(dom.find("stroke=\"#cf222e\""), std::string::npos) << "no violation marker";
  EXPECT_NE(dom.find("<td class=\"invalid\">invalid</td>"), std::string::npos);
  EXPECT_NE(dom.find("<a href=\"#ev"), std::string::npos);
  EXPECT_NE(dom.find("<tr id=\"ev"), std::string::npos);
  EXPECT_NE(dom.find("<h2>KPIs</h2>"), std::string::npos);
  // The script set the window from the address, and drew its ticks.
  EXPECT_NE(dom.find("<span id=\"window\">1–5 s</span>"), std::string::npos);
  EXPECT_NE(dom.find(">1.5 s</text>"), std::string::npos) << "no tick of the zoomed window";
  EXPECT_NE(dom.find("class=\"tl zoomed\""), std::string::npos);

  const std::filesystem::path shot = tmp.path() / "report.png";
  ASSERT_EQ(Chromium(tmp, {"--screenshot=" + shot.string()}, url, tmp.path() / "shot.txt"), 0)
      << ReadFile(tmp.path() / "shot.txt");
  const std::string png = ReadFile(shot);
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  EXPECT_GT(png.size(), 20000u);
}

TEST(ReportInABrowser, ReportOnADirectoryThatIsNotARunIsOneLineAndExit64) {
  TempDir tmp;
  const Outcome o = RunSchism(tmp, {"report", tmp.path().string()}, 30s);
  EXPECT_EQ(o.code, 64);
  EXPECT_EQ(o.output, "schism: " + tmp.path().string() + ": not a run dir (it has no history.jsonl)\n");
}

}  // namespace
}  // namespace schism::testing
