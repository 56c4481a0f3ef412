// End to end: build/schism runs real clusters of build/schism-node in real
// namespaces. Needs root.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "run_support.h"

namespace schism::testing {
namespace {
using nlohmann::json;
using namespace std::chrono_literals;

struct Outcome {
  int code = -1;
  std::string output;
  std::filesystem::path run_dir;
};

Outcome RunSchism(const TempDir& tmp, std::vector<std::string> args, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {(BinaryDir() / "schism").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Outcome o;
  {
    Child child(argv, tmp.path() / "out.txt");
    o.code = child.Wait(timeout);
  }
  o.output = ReadFile(tmp.path() / "out.txt");
  std::error_code ec;
  auto latest = std::filesystem::canonical(tmp.path() / "store" / "latest", ec);
  if (!ec) o.run_dir = latest;
  return o;
}

std::vector<json> Events(const std::filesystem::path& run_dir) {
  std::vector<json> out;
  for (const auto& line : HistoryLines(run_dir / "history.jsonl")) out.push_back(json::parse(line));
  return out;
}

TEST(Run, CorrectRaftUnderPartitionsIsValidAndChangesLeader) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  Outcome o = RunSchism(tmp, {"run", "--nodes", "5", "--time", "12", "--seed", "11", "--nemesis",
                              "partition,kill", "--nemesis-interval", "2", "--store",
                              (tmp.path() / "store").string()},
                        60s);
  ASSERT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("verdict: valid"), std::string::npos) << o.output;
  ASSERT_FALSE(o.run_dir.empty());
  for (const char* f : {"history.jsonl", "timeline.json", "config.json", "results.json", "junit.xml",
                        "report.html", "nodes/n1.log"}) {
    EXPECT_TRUE(std::filesystem::exists(o.run_dir / f)) << f;
  }
  std::set<std::pair<std::string, std::uint64_t>> leaders;
  int partitions = 0;
  std::uint64_t expected_i = 0;
  auto events = Events(o.run_dir);
  for (const json& e : events) {
    EXPECT_EQ(e["i"].get<std::uint64_t>(), expected_i++);
    if (e["type"] == "role" && e["role"] == "leader") leaders.insert({e["node"].get<std::string>(), e["term"].get<std::uint64_t>()});
    if (e["type"] == "nemesis" && e["f"] == "partition" && e.value("phase", "") == "start") ++partitions;
  }
  EXPECT_GE(leaders.size(), 2u) << "expected at least one leader change";
  EXPECT_GE(partitions, 1);
  EXPECT_EQ(events.back()["type"], "run");
  EXPECT_EQ(events.back()["f"], "end");
}

TEST(Run, CatchesTheDoubleVoteBug) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  // The bug shows only when two candidates meet in one term, which the
  // non-transitive partitions make likely but not certain: a few seeds each.
  int caught = 0;
  std::string outputs;
  for (int seed : {1, 2, 3}) {
    TempDir tmp;
    Outcome o = RunSchism(tmp, {"run", "--nodes", "5", "--time", "15", "--seed", std::to_string(seed),
                                "--nemesis", "partition,kill", "--nemesis-interval", "2", "--bug",
                                "double-vote", "--store", (tmp.path() / "store").string()},
                          60s);
    outputs += o.output;
    ASSERT_TRUE(o.code == 0 || o.code == 1) << o.output;
    if (o.code == 1) {
      ++caught;
      EXPECT_NE(o.output.find("invalid"), std::string::npos);
      json results = json::parse(ReadFile(o.run_dir / "results.json"));
      EXPECT_EQ(results["valid"], false) << results.dump();
      break;
    }
  }
  EXPECT_GE(caught, 1) << outputs;
}

TEST(Run, BadInputGetsOneClearLineAndUsageExit) {
  TempDir tmp;
  std::string store = (tmp.path() / "store").string();
  struct Case {
    std::vector<std::string> args;
    int code;
    std::string says;
  } cases[] = {
      {{"run", "--frobnicate"}, 64, "frobnicate"},
      {{"run", "--nodes", "0", "--store", store}, 64, "--nodes"},
      {{"run", "--nodes", "five", "--store", store}, 64, "nodes"},
      {{"run", "--node-cmd", "/nonexistent/elector --id {node}", "--store", store}, 64,
       "/nonexistent/elector"},
      {{"run", "--node-cmd", "/bin/true {bogus}", "--store", store}, 64, "{bogus}"},
      {{"run", "--node-bin", "/nonexistent/schism-node", "--store", store}, 70, "schism-node"},
      {{"check", (tmp.path() / "missing.jsonl").string()}, 64, "missing.jsonl"},
      {{"frob"}, 64, "frob"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> argv = {(BinaryDir() / "schism").string()};
    argv.insert(argv.end(), c.args.begin(), c.args.end());
    int code;
    {
      Child child(argv, tmp.path() / "out.txt");
      code = child.Wait(20s);
    }
    std::string out = ReadFile(tmp.path() / "out.txt");
    EXPECT_EQ(code, c.code) << c.args[0] << " " << c.args.back() << ": " << out;
    EXPECT_NE(out.find(c.says), std::string::npos) << out;
    EXPECT_LE(std::count(out.begin(), out.end(), '\n'), 2) << "one clear line expected: " << out;
  }
  EXPECT_FALSE(std::filesystem::exists(tmp.path() / "store" / "latest"))
      << "a rejected run must not leave a half-written run dir";
}

TEST(Check, NamesTheMalformedLine) {
  TempDir tmp;
  auto path = tmp.path() / "h.jsonl";
  {
    std::ofstream out(path);
    out << R"({"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2","n3"]})" << "\n"
        << R"({"i":1,"t":0.1,"type":"role","node":"n1","role":"leader","term":1})" << "\n"
        << "this is not json\n";
  }
  std::string out_file = (tmp.path() / "out.txt").string();
  int code;
  {
    Child child({(BinaryDir() / "schism").string(), "check", path.string()}, out_file);
    code = child.Wait(20s);
  }
  std::string out = ReadFile(out_file);
  EXPECT_EQ(code, 64) << out;
  EXPECT_NE(out.find("h.jsonl:3:"), std::string::npos) << out;
}

}  // namespace
}  // namespace schism::testing
