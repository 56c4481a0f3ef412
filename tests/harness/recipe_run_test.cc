// End to end: recipes, whose nodes are clients of a service in namespaces of
// its own (redis-lock on a real redis-server from the Debian package,
// scripts/setup --servers). Needs root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "run_support.h"

namespace schism::testing {
namespace {
using nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// The pids the history says were started, by member.
std::map<std::string, std::set<int>> StartedPids(const std::filesystem::path& run_dir) {
  std::map<std::string, std::set<int>> pids;
  for (const json& e : RunEvents(run_dir)) {
    if (e["type"] == "process" && e["f"] == "start" && e.contains("pid")) {
      pids[e["node"].get<std::string>()].insert(e["pid"].get<int>());
    }
  }
  return pids;
}

// Those of `pids` that still run `comm` (a pid may have been reused since).
std::vector<int> StillRunning(const std::map<std::string, std::set<int>>& pids,
                              std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::vector<int> left;
    for (const auto& [member, set] : pids) {
      for (int pid : set) {
        std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
        std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
        const bool ours = text.find("(redis-server)") != std::string::npos ||
                          text.find("(schism-node)") != std::string::npos ||
                          text.find("(keepalived)") != std::string::npos;
        const bool zombie = text.find(") Z ") != std::string::npos;
        if (ours && !zombie) left.push_back(pid);
      }
    }
    if (left.empty() || std::chrono::steady_clock::now() > deadline) return left;
    std::this_thread::sleep_for(100ms);
  }
}

class RedisLock : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(std::filesystem::exists("/usr/bin/redis-server"))
        << "redis-server is not installed: run scripts/setup --servers";
  }
  std::string Store() const { return (tmp_.path() / "store").string(); }
  TempDir tmp_;
};

// Kleppmann's story: the holder pauses in its critical section past its
// TTL, another client takes the lock, and the holder wakes up still
// claiming it. The lease checker shows both holders at once; its old token,
// below its successor's, shows that fencing would have rejected its write.
TEST_F(RedisLock, AHolderPausedPastItsTtlIsCaughtAndItsTokenIsStale) {
  const std::filesystem::path timeline = tmp_.path() / "pause.json";
  std::ofstream(timeline) << R"([{"t":3,"f":"pause","target":"leader","resume_after":2.5}])";
  Outcome o = RunSchism(tmp_,
                        {"replay", timeline.string(), "--profile", "redis-lock", "--nodes", "3",
                         "--time", "12", "--seed", "1", "--store", Store()},
                        90s);
  EXPECT_EQ(o.code, 1) << o.output;
  ASSERT_FALSE(o.run_dir.empty()) << o.output;
  const json results = json::parse(ReadFile(o.run_dir / "results.json"));
  EXPECT_EQ(VerdictOf(results, "lease")["valid"], false) << results.dump(1);
  const json& fencing = VerdictOf(results, "fencing");
  EXPECT_EQ(fencing["valid"], true) << fencing.dump(1);
  EXPECT_GE(fencing["details"]["stale"].get<int>(), 1) << fencing.dump(1);
  EXPECT_THAT(
      fencing["reason"].get<std::string>(),
      HasSubstr("carried its old token, which a store that keeps the highest token rejects"));
  EXPECT_EQ(VerdictOf(results, "election-safety")["valid"], true);
  EXPECT_EQ(VerdictOf(results, "faults-applied")["valid"], true);

  // The paused node is the holder, and the service is no node of the cluster.
  const std::vector<json> events = RunEvents(o.run_dir);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["nodes"], json({"n1", "n2", "n3"}));
  EXPECT_EQ(events[0]["service"]["members"], json({"redis1"}));
  EXPECT_TRUE(std::filesystem::exists(o.run_dir / "nodes" / "redis1.log"));
  EXPECT_EQ(StillRunning(StartedPids(o.run_dir), 0s), std::vector<int>{});
}

TEST_F(RedisLock, WithoutFaultsOneHolderAtATimeIsValid) {
  Outcome o = RunSchism(tmp_,
                        {"run", "--profile", "redis-lock", "--nodes", "3", "--time", "6",
                         "--nemesis", "none", "--seed", "2", "--store", Store()},
                        60s);
  EXPECT_EQ(o.code, 0) << o.output;
  ASSERT_FALSE(o.run_dir.empty()) << o.output;
  const json results = json::parse(ReadFile(o.run_dir / "results.json"));
  EXPECT_GT(VerdictOf(results, "lease")["details"]["leases"].get<int>(), 10) << results.dump(1);
  EXPECT_EQ(VerdictOf(results, "liveness")["valid"], true) << results.dump(1);
  EXPECT_FALSE(std::filesystem::exists(o.run_dir / "data")) << "a valid run drops the data";
}

TEST_F(RedisLock, NothingOutlivesASigkilledController) {
  Child child({(BinaryDir() / "schism").string(), "run", "--profile", "redis-lock", "--nodes", "3",
               "--time", "30", "--seed", "3", "--store", Store()},
              tmp_.path() / "out.txt");
  const std::filesystem::path store = tmp_.path() / "store";
  std::filesystem::path run_dir;
  bool leased = false;
  for (int i = 0; i < 100 && !leased; ++i) {  // until a client holds the lock (bounded)
    std::this_thread::sleep_for(100ms);
    if (!std::filesystem::exists(store / "latest")) continue;
    run_dir = std::filesystem::canonical(store / "latest");
    for (const std::string& line : HistoryLines(run_dir / "history.jsonl")) {
      if (json::parse(line)["type"] == "lease") leased = true;
    }
  }
  ASSERT_TRUE(leased) << ReadFile(tmp_.path() / "out.txt");
  const auto pids = StartedPids(run_dir);
  ASSERT_EQ(pids.count("redis1"), 1u);
  ASSERT_EQ(StillRunning(pids, 0s).size(), 4u) << "three clients and redis run";
  kill(child.pid(), SIGKILL);
  EXPECT_EQ(child.Wait(5s), 128 + SIGKILL);
  EXPECT_EQ(StillRunning(pids, 5s), std::vector<int>{});
}

// The negative control: VRRP has no quorum, so a MASTER cut off from the
// others goes on as MASTER while they make another.
TEST(Keepalived, AnIsolatedMasterMakesASecondMaster) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/keepalived"))
      << "keepalived is not installed: run scripts/setup --servers";
  TempDir tmp;
  const std::filesystem::path timeline = tmp.path() / "isolate.json";
  std::ofstream(timeline)
      << R"([{"t":3,"f":"partition","grudge":"isolate-leader"},{"t":6,"f":"heal"}])";
  Outcome o = RunSchism(tmp,
                        {"replay", timeline.string(), "--profile", "keepalived", "--nodes", "3",
                         "--time", "12", "--seed", "1", "--store", (tmp.path() / "store").string()},
                        60s);
  EXPECT_EQ(o.code, 1) << o.output;
  ASSERT_FALSE(o.run_dir.empty()) << o.output;
  const json results = json::parse(ReadFile(o.run_dir / "results.json"));
  const json& split = VerdictOf(results, "split-brain");
  EXPECT_EQ(split["valid"], false) << split.dump(1);
  EXPECT_EQ(VerdictOf(results, "liveness")["valid"], true) << "one MASTER again after the heal";
  EXPECT_EQ(VerdictOf(results, "faults-applied")["valid"], true);
  EXPECT_EQ(StillRunning(StartedPids(o.run_dir), 0s), std::vector<int>{});
}

// A valid recipe: etcd's own election on three etcd members, its clients and
// members cut off and killed. The quiet period is 10 s: after a heal the
// members answered nothing for 4.5 s in one measured run (a new raft leader,
// or TCP backing off between them, we think), which a 6 s one (4.8 s
// deadline) does not cover.
TEST(EtcdElect, StaysValidUnderPartitionsAndKills) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  ASSERT_TRUE(std::filesystem::exists("/usr/bin/etcd"))
      << "etcd-server is not installed: run scripts/setup --servers";
  TempDir tmp;
  Outcome o =
      RunSchism(tmp,
                {"run", "--profile", "etcd-elect", "--nodes", "3", "--time", "30", "--quiet", "10",
                 "--nemesis", "partition,kill", "--seed", "1", "--store",
                 (tmp.path() / "store").string()},
                120s);
  EXPECT_EQ(o.code, 0) << o.output;
  ASSERT_FALSE(o.run_dir.empty()) << o.output;
  const json results = json::parse(ReadFile(o.run_dir / "results.json"));
  EXPECT_GT(VerdictOf(results, "lease")["details"]["leases"].get<int>(), 10) << results.dump(1);
  EXPECT_EQ(VerdictOf(results, "faults-applied")["valid"], true) << results.dump(1);
  const std::vector<json> events = RunEvents(o.run_dir);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events[0]["service"]["members"], json({"etcd1", "etcd2", "etcd3"}));
  bool service_cut = false;  // the nemesis reaches the service's members too
  for (const json& e : events) {
    if (e["type"] == "nemesis" && e["f"] == "partition" && e.contains("grudge") &&
        e["grudge"].dump().find("etcd") != std::string::npos) {
      service_cut = true;
    }
  }
  EXPECT_TRUE(service_cut);
}

TEST(Service, BadServicesAreUsageErrors) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::string store = (tmp.path() / "store").string();
  Outcome unknown = RunSchism(tmp, {"run", "--service", "memcached", "--store", store}, 30s);
  EXPECT_EQ(unknown.code, 64);
  EXPECT_THAT(unknown.output, HasSubstr("--service: unknown service \"memcached\"; known: redis, "
                                        "etcd, zookeeper"));
  Outcome ten = RunSchism(tmp, {"run", "--service", "redis:10", "--store", store}, 30s);
  EXPECT_EQ(ten.code, 64);
  EXPECT_THAT(ten.output, HasSubstr("--service: \"redis:10\": the member count after ':' must be "
                                    "1..9"));
  Outcome count = RunSchism(tmp, {"run", "--service", "etcd:x", "--store", store}, 30s);
  EXPECT_EQ(count.code, 64);
  EXPECT_THAT(count.output, HasSubstr("--service: \"etcd:x\": the member count"));
}

}  // namespace
}  // namespace schism::testing
