// Clean-up, proven: after a normal run, after Ctrl-C and after SIGKILL of the
// controller, no namespace, veth, nft table or node process of that run
// remains. Needs root.
#include <signal.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "run_support.h"

namespace schism::testing {
namespace {
using namespace std::chrono_literals;

struct Traces {
  std::set<pid_t> node_pids;
  std::set<ino_t> namespaces;
  std::string cgroup;  // the run's cgroup directory, when it made one
};

// Watches a running controller until its nodes are up, and notes their pids
// and every namespace the run holds (the nodes' and the hub's, held by the
// controller as an fd).
Traces WatchRun(pid_t controller, const std::filesystem::path& store, std::size_t nodes) {
  Traces t;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline && t.node_pids.size() < nodes) {
    for (const auto& line : HistoryLines(store / "latest" / "history.jsonl")) {
      auto e = nlohmann::json::parse(line, nullptr, false);
      if (e.is_object() && e["type"] == "run" && e["f"] == "start" &&
          e["mechanisms"]["cgroups"].is_string()) {
        t.cgroup = e["mechanisms"]["cgroups"].get<std::string>();
      }
      if (e.is_object() && e["type"] == "process" && e["f"] == "start") {
        pid_t pid = e["pid"].get<pid_t>();
        if (t.node_pids.insert(pid).second) t.namespaces.insert(NetnsInodeOfPid(pid));
      }
    }
    std::this_thread::sleep_for(50ms);
  }
  std::error_code ec;
  for (const auto& fd : std::filesystem::directory_iterator("/proc/" + std::to_string(controller) + "/fd", ec)) {
    std::string target = std::filesystem::read_symlink(fd.path(), ec).string();
    if (target.rfind("net:[", 0) == 0) t.namespaces.insert(std::stoull(target.substr(5)));
  }
  t.namespaces.erase(0);
  t.namespaces.erase(NetnsInodeOfPid(getpid()));  // the host's own
  return t;
}

void ExpectNothingLeft(const Traces& t, const std::set<std::string>& host_links,
                       const std::string& host_tables) {
  ASSERT_FALSE(t.node_pids.empty());
  ASSERT_GE(t.namespaces.size(), t.node_pids.size() + 1) << "nodes' and hub namespaces seen";
  // PDEATHSIG and namespace teardown are asynchronous: allow them a moment.
  auto deadline = std::chrono::steady_clock::now() + 5s;
  bool clean = false;
  while (!clean && std::chrono::steady_clock::now() < deadline) {
    clean = true;
    for (pid_t p : t.node_pids) clean = clean && !PidAlive(p);
    auto live = LiveNetnsInodes();
    for (ino_t i : t.namespaces) clean = clean && !live.count(i);
    clean = clean && (t.cgroup.empty() || !std::filesystem::exists(t.cgroup));
    if (!clean) std::this_thread::sleep_for(50ms);
  }
  if (!t.cgroup.empty()) {
    EXPECT_FALSE(std::filesystem::exists(t.cgroup)) << t.cgroup << " survived";
  }
  for (pid_t p : t.node_pids) EXPECT_FALSE(PidAlive(p)) << "node process " << p << " survived";
  auto live = LiveNetnsInodes();
  for (ino_t i : t.namespaces) EXPECT_FALSE(live.count(i)) << "namespace net:[" << i << "] survived";
  EXPECT_EQ(HostLinks(), host_links);
  EXPECT_EQ(HostNftTables(), host_tables);
}

class Cleanup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root";
    host_links_ = HostLinks();
    host_tables_ = HostNftTables();
  }
  std::vector<std::string> Args(const char* time) {
    return {(BinaryDir() / "schism").string(), "run", "--nodes", "3", "--time", time, "--quiet", "2",
            "--stable-window", "0.5",
            "--seed", "5", "--nemesis-interval", "1", "--store", (tmp_.path() / "store").string(),
            "--nemesis", "partition,kill,pause,delay,clock,bandwidth,term"};
  }
  TempDir tmp_;
  std::set<std::string> host_links_;
  std::string host_tables_;
};

TEST_F(Cleanup, AfterANormalRun) {
  Child child(Args("4"), tmp_.path() / "out.txt");
  Traces t = WatchRun(child.pid(), tmp_.path() / "store", 3);
  int code = child.Wait(30s);
  EXPECT_EQ(code, 0) << ReadFile(tmp_.path() / "out.txt");
  ExpectNothingLeft(t, host_links_, host_tables_);
}

// A run interrupted by `signal` after a second: it exits 128 + signal, leaves
// nothing behind, and every report says it did not run its course.
class Interrupted : public Cleanup, public ::testing::WithParamInterface<int> {};

TEST_P(Interrupted, CleansUpAndReportsThePartialRun) {
  const int signal = GetParam();
  Child child(Args("30"), tmp_.path() / "out.txt");
  Traces t = WatchRun(child.pid(), tmp_.path() / "store", 3);
  std::this_thread::sleep_for(1s);  // let the nemesis start
  kill(child.pid(), signal);
  int code = child.Wait(15s);
  EXPECT_EQ(code, 128 + signal) << ReadFile(tmp_.path() / "out.txt");
  ExpectNothingLeft(t, host_links_, host_tables_);
  auto lines = HistoryLines(tmp_.path() / "store" / "latest" / "history.jsonl");
  ASSERT_FALSE(lines.empty());
  auto last = nlohmann::json::parse(lines.back());
  EXPECT_EQ(last["f"], "end");
  EXPECT_EQ(last["interrupted"], true);
  EXPECT_EQ(last["signal"], signal == SIGTERM ? "SIGTERM" : "SIGINT");
  // Every report says the run did not run its course; the verdict is at best unknown.
  const std::filesystem::path run_dir = tmp_.path() / "store" / "latest";
  auto results = nlohmann::json::parse(ReadFile(run_dir / "results.json"));
  EXPECT_EQ(results["interrupted"], true);
  EXPECT_EQ(results["verdict"], "unknown") << results.dump();
  EXPECT_EQ(results["valid"], false);
  EXPECT_LT(results["interrupted_at_s"].get<double>(), 10.0);
  EXPECT_NE(ReadFile(run_dir / "junit.xml").find("type=\"interrupted\""), std::string::npos);
  EXPECT_NE(ReadFile(run_dir / "report.html").find("(interrupted at "), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(CtrlCAndSigterm, Interrupted, ::testing::Values(SIGINT, SIGTERM),
                         [](const ::testing::TestParamInfo<int>& which) {
                           return std::string(which.param == SIGTERM ? "Sigterm" : "CtrlC");
                         });

TEST_F(Cleanup, AfterSigkillOfTheController) {
  Child child(Args("30"), tmp_.path() / "out.txt");
  Traces t = WatchRun(child.pid(), tmp_.path() / "store", 3);
  std::this_thread::sleep_for(1s);
  kill(child.pid(), SIGKILL);
  EXPECT_EQ(child.Wait(5s), 128 + SIGKILL);
  ExpectNothingLeft(t, host_links_, host_tables_);
  // No timeline.json, but the ops applied until then, each line whole.
  const std::filesystem::path run_dir = tmp_.path() / "store" / "latest";
  EXPECT_FALSE(std::filesystem::exists(run_dir / "timeline.json"));
  ASSERT_TRUE(std::filesystem::exists(run_dir / "timeline.partial.jsonl"));
  for (const auto& line : HistoryLines(run_dir / "timeline.partial.jsonl")) {
    EXPECT_TRUE(nlohmann::json::accept(line)) << line;
  }
}

}  // namespace
}  // namespace schism::testing
