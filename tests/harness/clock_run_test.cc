// End to end: every clock op of a run is proven by a probe in its node's own
// clock environment (harness/run_clock_proofs.cc). Needs root and libfaketime.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "nemesis/clock.h"
#include "run_support.h"

namespace schism::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

#define REQUIRE_ROOT_AND_LIBFAKETIME()         \
  if (!IsRoot()) GTEST_SKIP() << "needs root"; \
  if (nemesis::FindLibfaketime().empty()) GTEST_SKIP() << "libfaketime is not installed"

std::vector<json> Events(const fs::path& run_dir) {
  std::vector<json> out;
  for (const auto& line : HistoryLines(run_dir / "history.jsonl")) out.push_back(json::parse(line));
  return out;
}

json Checker(const fs::path& run_dir, const std::string& name) {
  json results = json::parse(ReadFile(run_dir / "results.json"));
  for (const json& c : results["checkers"]) {
    if (c["checker"] == name) return c;
  }
  return json();
}

// The clock starts of a history, each with its verified event (null when none).
std::vector<std::pair<json, json>> ClockProofs(const std::vector<json>& events) {
  std::map<std::uint64_t, json> verified;
  for (const json& e : events) {
    if (e["type"] == "nemesis" && e["f"] == "clock" && e.value("phase", "") == "verified") {
      EXPECT_FALSE(verified.count(e["of"].get<std::uint64_t>())) << "two proofs: " << e.dump();
      verified[e["of"].get<std::uint64_t>()] = e;
    }
  }
  std::vector<std::pair<json, json>> out;
  for (const json& e : events) {
    if (e["type"] == "nemesis" && e["f"] == "clock" && e.value("phase", "") == "start") {
      auto it = verified.find(e["i"].get<std::uint64_t>());
      out.emplace_back(e, it == verified.end() ? json() : it->second);
    }
  }
  return out;
}

// `schism replay` of `timeline` on 3 nodes for 10 s, with `once_started`
// called (from this thread) once the history shows the nodes started.
struct Replayed {
  int code = -1;
  std::string output;
  fs::path run_dir;
};

Replayed Replay(const TempDir& tmp, const std::string& timeline,
                const std::function<void()>& once_started = {}) {
  const fs::path file = tmp.path() / "timeline.json";
  std::ofstream(file) << timeline;
  const fs::path store = tmp.path() / "store";
  Replayed run;
  {
    Child child({(BinaryDir() / "schism").string(), "replay", file.string(), "--nodes", "3",
                 "--time", "10", "--seed", "5", "--store", store.string()},
                tmp.path() / "out.txt");
    if (once_started) {
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      // run/start, then a process start per node.
      while (HistoryLines(store / "latest" / "history.jsonl").size() < 4 &&
             std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
      }
      once_started();
    }
    run.code = child.Wait(60s);
  }
  run.output = ReadFile(tmp.path() / "out.txt");
  std::error_code ec;
  run.run_dir = fs::canonical(store / "latest", ec);
  return run;
}

TEST(ClockRun, EveryClockOpIsProvenOnItsOwnNode) {
  REQUIRE_ROOT_AND_LIBFAKETIME();
  TempDir tmp;
  Replayed run = Replay(tmp, R"([
    {"t":1.0,"f":"clock","target":"node","node":"n2","mode":"bump","offset_ms":1500},
    {"t":1.4,"f":"clock","target":"node","node":"n3","mode":"rate","rate":2},
    {"t":1.8,"f":"clock","target":"node","node":"n1","mode":"strobe","offset_ms":-700,"offset2_ms":300,"period":0.3},
    {"t":2.6,"f":"clock","target":"all","mode":"bump","offset_ms":-250},
    {"t":3.2,"f":"clock-end"},
    {"t":3.4,"f":"clock","target":"node","node":"n1","mode":"rate","rate":0.5},
    {"t":4.0,"f":"clock-end"}
  ])");
  ASSERT_NE(run.code, 70) << run.output;
  ASSERT_FALSE(run.run_dir.empty()) << run.output;
  std::vector<json> events = Events(run.run_dir);
  ASSERT_EQ(events.front()["mechanisms"]["clock"], "faketime") << events.front().dump();
  std::vector<std::pair<json, json>> proofs = ClockProofs(events);
  ASSERT_EQ(proofs.size(), 7u) << "1 + 1 + 1 + 3 (all) + 1 clock starts";
  std::map<std::string, int> modes;
  for (const auto& [start, proof] : proofs) {
    ASSERT_FALSE(proof.is_null()) << "no verified event for " << start.dump();
    EXPECT_EQ(proof["node"], start["node"]);
    EXPECT_EQ(proof["proven"], true) << proof.dump();
    const double tolerance = proof["tolerance_ms"].get<double>();
    EXPECT_LE(tolerance, 5.0) << proof.dump();
    EXPECT_NEAR(proof["read_offset_ms"].get<double>(), proof["asked_offset_ms"].get<double>(),
                tolerance)
        << proof.dump();
    EXPECT_LT(proof["probe_ms"].get<double>(), 1000.0) << proof.dump();
    const std::string mode = start["mode"];
    ++modes[mode];
    if (mode == "rate") {
      EXPECT_NEAR(proof["read_rate"].get<double>(), start["rate"].get<double>(),
                  0.01 * start["rate"].get<double>())
          << proof.dump();
    }
  }
  EXPECT_EQ(modes["bump"], 4);
  EXPECT_EQ(modes["rate"], 2);
  EXPECT_EQ(modes["strobe"], 1);
  // The first ops asked for these offsets from a true clock (x2 gains 1 ms
  // a ms: the probe's second reading, 50 ms on, is ~50 ms ahead).
  EXPECT_NEAR(proofs[0].second["asked_offset_ms"].get<double>(), 1500, 1) << proofs[0].second;
  EXPECT_NEAR(proofs[1].second["asked_offset_ms"].get<double>(), 50, 50) << proofs[1].second;
  EXPECT_NEAR(proofs[2].second["asked_offset_ms"].get<double>(), -700, 1) << proofs[2].second;
  json faults = Checker(run.run_dir, "faults-applied");
  EXPECT_EQ(faults["verdict"], "valid") << faults.dump();
  EXPECT_NE(faults["reason"].get<std::string>().find("clock 7"), std::string::npos)
      << faults.dump();
}

TEST(ClockRun, AProbeThatLibfaketimeNoLongerReachesIsNotProven) {
  REQUIRE_ROOT_AND_LIBFAKETIME();
  TempDir tmp;
  // The run loads libfaketime from a copy; the self-test and the nodes load
  // the real thing, then the copy is replaced (as a package upgrade might)
  // by a file the loader ignores, so the probe of each clock op runs on the
  // true clock and must say so.
  const fs::path copy = tmp.path() / "libfaketime.so.1";
  fs::copy_file(nemesis::FindLibfaketime(), copy);
  setenv("SCHISM_LIBFAKETIME", copy.c_str(), 1);
  const std::string timeline = R"([
    {"t":2.0,"f":"clock","target":"node","node":"n2","mode":"bump","offset_ms":1500},
    {"t":3.0,"f":"clock-end"}
  ])";
  Replayed run = Replay(tmp, timeline, [&] {
    const fs::path junk = tmp.path() / "junk.so";
    std::ofstream(junk) << "not a library\n";
    fs::rename(junk, copy);
  });
  unsetenv("SCHISM_LIBFAKETIME");
  ASSERT_EQ(run.code, 2) << run.output;  // unknown: the clock fault is not proven
  std::vector<json> events = Events(run.run_dir);
  ASSERT_EQ(events.front()["mechanisms"]["clock"], "faketime") << events.front().dump();
  std::vector<std::pair<json, json>> proofs = ClockProofs(events);
  ASSERT_EQ(proofs.size(), 1u);
  const json& proof = proofs[0].second;
  ASSERT_FALSE(proof.is_null());
  EXPECT_EQ(proof["proven"], false) << proof.dump();
  EXPECT_NEAR(proof["read_offset_ms"].get<double>(), 0, 5) << proof.dump();
  EXPECT_EQ(proof["why"].get<std::string>().rfind("n2's clock read ", 0), 0u) << proof.dump();
  EXPECT_NE(proof["why"].get<std::string>().find("libfaketime was not loaded"), std::string::npos)
      << proof.dump();
  json faults = Checker(run.run_dir, "faults-applied");
  EXPECT_EQ(faults["verdict"], "unknown") << faults.dump();
  EXPECT_NE(faults["reason"].get<std::string>().find("0 of 1 faults proven"), std::string::npos)
      << faults.dump();
  EXPECT_NE(run.output.find("clock on n2 not proven"), std::string::npos) << run.output;
}

}  // namespace
}  // namespace schism::testing
