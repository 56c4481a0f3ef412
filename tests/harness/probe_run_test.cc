// End to end: electors watched by probes, and real etcd clusters from the
// Debian package (scripts/setup --servers). Needs root.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
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

// Processes whose command line names `text` (the run dir: every member's data
// dir is inside it), so that a test sees what a run left running.
std::vector<std::string> ProcessesNaming(const std::string& text) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    if (cmdline.find(text) != std::string::npos) found.push_back(cmdline);
  }
  return found;
}

// The network namespaces (by inode) of the processes whose command line
// names `text`.
std::set<ino_t> NetnsOfProcessesNaming(const std::string& text) {
  std::set<ino_t> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    struct stat ns {};
    if (cmdline.find(text) == std::string::npos) continue;
    if (::stat((entry.path() / "ns" / "net").c_str(), &ns) == 0) found.insert(ns.st_ino);
  }
  return found;
}

// Processes in any of the network namespaces `netns` (by inode).
std::vector<std::string> ProcessesIn(const std::set<ino_t>& netns) {
  std::vector<std::string> found;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    struct stat ns {};
    if (::stat((entry.path() / "ns" / "net").c_str(), &ns) != 0) continue;
    if (netns.count(ns.st_ino) == 0) continue;
    std::string cmdline = ReadFile(entry.path() / "cmdline");
    std::replace(cmdline.begin(), cmdline.end(), '\0', ' ');
    found.push_back(cmdline);
  }
  return found;
}

// The built-in raft with its stdout sent to a file in its data dir (so schism
// reads no line of it), and a probe that prints its last role line.
std::vector<std::string> QuietRaftWithProbe() {
  const std::string node = (BinaryDir() / "schism-node").string();
  return {"--node-cmd",
          "sh -c 'exec " + node +
              " raft --id \"$SCHISM_NODE\" --listen \"$SCHISM_ADDR:$SCHISM_PORT\" --peers "
              "\"$SCHISM_PEERS\" --data \"$SCHISM_DATA_DIR\" > \"$SCHISM_DATA_DIR/lines\"'",
          "--probe",
          "sh -c 'grep \"\\\"event\\\":\\\"role\\\"\" \"$SCHISM_DATA_DIR/lines\" | tail -n 1'",
          "--probe-every", "100"};
}

TEST(Probe, AnElectorThatPrintsNothingIsJudgedByItsProbe) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  std::vector<std::string> args = {"run", "--nodes", "3", "--time", "20", "--seed", "3",
                                   "--nemesis", "partition,kill", "--store",
                                   (tmp.path() / "store").string()};
  for (const std::string& a : QuietRaftWithProbe()) args.push_back(a);
  Outcome o = RunSchism(tmp, args, 90s);
  EXPECT_EQ(o.code, 0) << o.output;
  ASSERT_FALSE(o.run_dir.empty());
  std::size_t observed = 0, printed = 0;
  for (const json& e : RunEvents(o.run_dir)) {
    if (e["type"] != "role") continue;
    if (e.contains("sent")) {
      ++observed;
      EXPECT_LE(e["sent"].get<double>(), e["t"].get<double>()) << e.dump();
    } else {
      ++printed;
    }
  }
  EXPECT_GT(observed, 100u) << "3 nodes, 20 s, every 100 ms";
  EXPECT_EQ(printed, 0u) << "the node's own stdout goes to its file";
  json results = json::parse(ReadFile(o.run_dir / "results.json"));
  EXPECT_EQ(VerdictOf(results, "probes")["valid"], true);
  EXPECT_GT(VerdictOf(results, "kpis")["details"]["elections"].get<int>(), 0);
  json end = RunEvents(o.run_dir).back();
  EXPECT_GT(end["probes"]["n1"]["observed"].get<int>(), 30) << end.dump();
}

TEST(Probe, AProbeThatPrintsGarbageIsASetupError) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  std::vector<std::string> args = QuietRaftWithProbe();
  args[3] = "echo garbage";
  args.insert(args.begin(), {"run", "--nodes", "3", "--time", "20", "--store",
                             (tmp.path() / "store").string()});
  Outcome o = RunSchism(tmp, args, 60s);
  EXPECT_EQ(o.code, 70) << o.output;
  EXPECT_THAT(o.output, HasSubstr("schism: the probe of n1 printed no observation 3 times in a "
                                  "row (not a JSON object: garbage)"));
  EXPECT_EQ(o.output.find("verdict:"), std::string::npos) << "no verdict: " << o.output;
  EXPECT_EQ(ProcessesNaming(o.run_dir.string()), std::vector<std::string>{});
}

TEST(Probe, BadProbeAndProfileFlagsAreUsageErrors) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::string store = (tmp.path() / "store").string();
  Outcome unknown = RunSchism(tmp, {"run", "--profile", "nope", "--store", store}, 30s);
  EXPECT_EQ(unknown.code, 64);
  EXPECT_THAT(unknown.output,
              HasSubstr("--profile: unknown profile \"nope\"; known: etcd, zookeeper, redis-lock"));
  Outcome both = RunSchism(tmp, {"run", "--profile", "etcd", "--probe", "true", "--store", store}, 30s);
  EXPECT_EQ(both.code, 64);
  EXPECT_THAT(both.output, HasSubstr("--profile brings its own probe"));
  Outcome placeholder = RunSchism(tmp, {"run", "--probe", "cat {nope}", "--store", store}, 30s);
  EXPECT_EQ(placeholder.code, 64);
  EXPECT_THAT(placeholder.output, HasSubstr("--probe: unknown placeholder {nope}"));
}

// A real server from a Debian package, and how to make it fail to start:
// an environment variable its start-up refuses.
struct Server {
  const char* profile;
  const char* installed;  // a file the package installs
  const char* bad_env;
  const char* bad_value;
  const char* its_complaint;  // what its log says then
};

void PrintTo(const Server& s, std::ostream* os) { *os << s.profile; }

class RealServer : public ::testing::TestWithParam<Server> {
 protected:
  void SetUp() override {
    if (!IsRoot()) GTEST_SKIP() << "needs root";
    ASSERT_TRUE(std::filesystem::exists(GetParam().installed))
        << GetParam().profile << " is not installed: run scripts/setup --servers";
  }
  std::vector<std::string> Run(const std::string& time, const std::string& seed) {
    return {"run",    "--profile", GetParam().profile, "--nodes", "3", "--time", time,
            "--seed", seed,        "--store",          (tmp_.path() / "store").string()};
  }
  TempDir tmp_;
};

TEST_P(RealServer, ThreeMembersStayValidUnderPartitionsKillsAndPauses) {
  std::vector<std::string> args = Run("30", "1");
  args.insert(args.end(), {"--nemesis", "partition,kill,pause"});
  Outcome o = RunSchism(tmp_, args, 120s);
  EXPECT_EQ(o.code, 0) << o.output;
  ASSERT_FALSE(o.run_dir.empty());
  json results = json::parse(ReadFile(o.run_dir / "results.json"));
  EXPECT_EQ(VerdictOf(results, "election-safety")["valid"], true);
  EXPECT_EQ(VerdictOf(results, "liveness")["valid"], true);
  EXPECT_EQ(VerdictOf(results, "probes")["valid"], true);
  const json& kpis = VerdictOf(results, "kpis")["details"];
  EXPECT_FALSE(kpis["first_leader_s"].is_null()) << kpis.dump();
  EXPECT_GT(kpis["elections"].get<int>(), 0) << kpis.dump();
  std::size_t leaders = 0;
  for (const json& e : RunEvents(o.run_dir)) {
    if (e["type"] == "role" && e["role"] == "leader" && e.contains("sent")) ++leaders;
  }
  EXPECT_GT(leaders, 10u);
  EXPECT_EQ(ProcessesNaming(o.run_dir.string()), std::vector<std::string>{})
      << "every member and probe is gone";
  for (const json& e : RunEvents(o.run_dir)) {  // a killed JVM leaves no perf data file
    if (e["type"] != "process" || !e.contains("pid")) continue;
    const std::string perf = "/tmp/hsperfdata_root/" + e["pid"].dump();
    EXPECT_FALSE(std::filesystem::exists(perf)) << perf;
  }
  EXPECT_FALSE(std::filesystem::exists(o.run_dir / "data")) << "a valid run drops the data";
}

// Waits up to `limit` until no process names `text`; returns those left.
std::vector<std::string> LeftAfter(const std::string& text, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::vector<std::string> left = ProcessesNaming(text);
  while (!left.empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
    left = ProcessesNaming(text);
  }
  return left;
}

TEST_P(RealServer, NothingOutlivesASigkilledController) {
  std::vector<std::string> args = Run("30", "4");
  args.insert(args.begin(), (BinaryDir() / "schism").string());
  Child child(args, tmp_.path() / "out.txt");
  // Until the members are up and every probe has answered once (bounded).
  const std::filesystem::path store = tmp_.path() / "store";
  std::filesystem::path run_dir;
  std::set<std::string> observed;
  for (int i = 0; i < 200 && observed.size() < 3; ++i) {
    std::this_thread::sleep_for(100ms);
    if (!std::filesystem::exists(store / "latest")) continue;
    run_dir = std::filesystem::canonical(store / "latest");
    for (const std::string& line : HistoryLines(run_dir / "history.jsonl")) {
      json e = json::parse(line);
      if (e["type"] == "role" && e.contains("sent")) observed.insert(e["node"].get<std::string>());
    }
  }
  ASSERT_EQ(observed.size(), 3u) << ReadFile(tmp_.path() / "out.txt");
  ASSERT_FALSE(ProcessesNaming(run_dir.string()).empty()) << "the members run";
  // The members' namespaces, where the probes run too. Other tests running
  // at the same time may have probes of their own: only this run's count.
  const std::set<ino_t> netns = NetnsOfProcessesNaming(run_dir.string());
  ASSERT_FALSE(netns.empty());
  kill(child.pid(), SIGKILL);
  EXPECT_EQ(child.Wait(5s), 128 + SIGKILL);
  EXPECT_EQ(LeftAfter(run_dir.string(), 5s), std::vector<std::string>{}) << "members";
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!ProcessesIn(netns).empty() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(ProcessesIn(netns), std::vector<std::string>{}) << "probes, or anything else";
}

TEST_P(RealServer, AMemberThatCannotStartIsASetupErrorWithItsOwnLastLines) {
  setenv(GetParam().bad_env, GetParam().bad_value, 1);
  Outcome o = RunSchism(tmp_, Run("20", "1"), 60s);
  unsetenv(GetParam().bad_env);
  EXPECT_EQ(o.code, 70) << o.output;
  EXPECT_THAT(o.output, HasSubstr("exited with status 1 before its probe ever observed it: the "
                                  "server did not start"));
  EXPECT_THAT(o.output, HasSubstr(GetParam().its_complaint));
  EXPECT_EQ(ProcessesNaming(o.run_dir.string()), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(
    Profiles, RealServer,
    ::testing::Values(
        // etcd refuses a variable that one of its flags shadows.
        Server{"etcd", "/usr/bin/etcd", "ETCD_NAME", "shadowed",
               "conflicting environment variable \"ETCD_NAME\""},
        // The JVM refuses an option it does not know.
        Server{"zookeeper", "/usr/share/java/zookeeper.jar", "JAVA_TOOL_OPTIONS",
               "-XX:+SchismNoSuchOption", "Unrecognized VM option 'SchismNoSuchOption'"}),
    [](const ::testing::TestParamInfo<Server>& which) {
      return std::string(which.param.profile);
    });

}  // namespace
}  // namespace schism::testing
