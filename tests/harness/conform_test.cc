// End to end: `schism conform` runs its scripted minute against real
// electors (build/schism-node, a test fixture) and names the items they fail.
// Needs root.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run_support.h"

namespace schism::testing {
namespace {
using nlohmann::json;
using namespace std::chrono_literals;

// `schism conform --node-cmd NODE_CMD --store TMP/store MORE...`.
Outcome Conform(const TempDir& tmp, const std::string& node_cmd,
                std::vector<std::string> more = {}) {
  std::vector<std::string> args = {"conform", "--node-cmd", node_cmd, "--store",
                                   (tmp.path() / "store").string()};
  args.insert(args.end(), more.begin(), more.end());
  return RunSchism(tmp, args, 120s);
}

std::string BuiltInRaft(const std::string& flags = "") {
  return (BinaryDir() / "schism-node").string() + " raft " + flags +
         " --id {node} --listen {addr}:{port} --peers {peers} --data {data_dir}";
}

TEST(Conform, TheBuiltInRaftPassesEveryItem) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const Outcome o = Conform(tmp, BuiltInRaft());
  ASSERT_EQ(o.code, 0) << o.output;
  EXPECT_NE(o.output.find("conform: pass"), std::string::npos) << o.output;
  const json checklist = json::parse(ReadFile(o.run_dir / "conform.json"));
  ASSERT_EQ(checklist["items"].size(), 10u);
  for (const json& item : checklist["items"]) EXPECT_EQ(item["status"], "pass") << item.dump();
}

// The vote is kept in memory only: a voter killed just after its vote and
// restarted grants the rival of that term a second one.
TEST(Conform, ARaftThatForgetsItsVoteFailsVoteMemory) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const Outcome o = Conform(tmp, BuiltInRaft("--bug forget-vote"));
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL    vote-memory  a restarted node remembers its vote"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("conform: FAIL (vote-memory)"), std::string::npos) << o.output;
}

TEST(Conform, MalformedContractLinesFailTheLinesItem) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::string elector =
      "perl " + (std::filesystem::path(SCHISM_SOURCE_DIR) / "tests/harness/fixtures/bully_lines.pl")
                    .string() + " --near-misses";
  const Outcome o = Conform(tmp, elector, {"--nodes", "3"});
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL    lines        every line that looks like a contract line is one\n"
                          "                     n1: "),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("ignored, the first {\"event\":\"rol\",\"role\":\"leader\"} (unknown "
                          "event \"rol\" (role, vote or lease))"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("conform: FAIL (lines"), std::string::npos) << o.output;
}

TEST(Conform, AnElectorThatExitsBeforeItSpeaksFailsStarts) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const Outcome o = Conform(tmp, "sh -c 'echo cannot bind >&2; exit 3'");
  EXPECT_EQ(o.code, 1) << o.output;
  EXPECT_NE(o.output.find("FAIL    starts"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("exited with status 3 before it printed any contract line"),
            std::string::npos)
      << o.output;
  EXPECT_NE(o.output.find("cannot bind"), std::string::npos) << o.output;
  EXPECT_NE(o.output.find("conform: FAIL (starts)"), std::string::npos) << o.output;
}

TEST(Conform, FewerThanThreeNodesIsAUsageError) {
  TempDir tmp;
  const Outcome o = Conform(tmp, BuiltInRaft(), {"--nodes", "2"});
  EXPECT_EQ(o.code, 64) << o.output;
  EXPECT_NE(o.output.find("schism: conform needs at least 3 nodes"), std::string::npos) << o.output;
}

}  // namespace
}  // namespace schism::testing
