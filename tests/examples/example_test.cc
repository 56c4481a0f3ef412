// The examples in examples/ are electors written from docs/contract.md alone.
// Each is run by build/schism under faults and must be judged valid by every
// checker that can apply to it. Needs root (and python3).
#include <gtest/gtest.h>

#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/harness/run_support.h"

namespace schism::testing {
namespace {
namespace fs = std::filesystem;
using nlohmann::json;
using namespace std::chrono_literals;

// The verdict of `name` in results.json (null when the checker is missing).
json CheckerOf(const json& results, const std::string& name) {
  for (const json& c : results["checkers"]) {
    if (c.value("checker", "") == name) return c;
  }
  return nullptr;
}

TEST(Examples, RaftElectionIsValidUnderPartitionsKillsAndPauses) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::string example = (fs::path(SCHISM_SOURCE_DIR) / "examples/raft_election.py").string();
  int code = -1;
  {
    Child schism({(BinaryDir() / "schism").string(), "run", "--nodes", "5", "--time", "30",
                  "--seed", "1", "--nemesis", "partition,kill,pause", "--node-cmd",
                  "python3 " + example, "--store", (tmp.path() / "store").string()},
                 tmp.path() / "out.txt");
    code = schism.Wait(90s);  // -1: still running; the destructor kills it
  }
  const std::string output = ReadFile(tmp.path() / "out.txt");
  ASSERT_EQ(code, 0) << output;  // valid
  EXPECT_EQ(output.find("warning:"), std::string::npos) << output;

  std::error_code ec;
  const fs::path run_dir = fs::canonical(tmp.path() / "store" / "latest", ec);
  ASSERT_FALSE(ec) << output;
  const json results = json::parse(ReadFile(run_dir / "results.json"));
  EXPECT_EQ(results["verdict"], "valid") << results.dump();
  EXPECT_TRUE(results["warnings"].empty()) << results["warnings"].dump();

  // Valid, and judged: a check that found nothing to judge says "not applicable".
  for (const std::string name :
       {"vote-once", "quorum", "term-monotonic", "election-safety", "liveness"}) {
    const json c = CheckerOf(results, name);
    ASSERT_TRUE(c.is_object()) << name << " missing from " << results.dump();
    EXPECT_EQ(c["verdict"], "valid") << c.dump();
    EXPECT_EQ(c["reason"].get<std::string>().find("not applicable"), std::string::npos) << c.dump();
    EXPECT_TRUE(c["details"].value("applicable", true)) << c.dump();
  }
  EXPECT_GT(CheckerOf(results, "vote-once")["details"].value("vote_events", 0), 0);
  EXPECT_GT(CheckerOf(results, "quorum")["details"].value("vote_events", 0), 0);
  EXPECT_GT(CheckerOf(results, "quorum")["details"].value("leader_claims", 0), 0);
  EXPECT_GT(CheckerOf(results, "term-monotonic")["details"].value("termed_events", 0), 0);
  EXPECT_GT(CheckerOf(results, "election-safety")["details"].value("terms_with_leader", 0), 0);
  // The leader after the final heal is followed by a majority in its term.
  const json liveness = CheckerOf(results, "liveness")["details"];
  EXPECT_GE(liveness.value("following", 0), 3) << liveness.dump();
  EXPECT_GT(liveness.value("term", 0), 0) << liveness.dump();
}

// `schism conform` passes every item of its checklist on the example.
TEST(Examples, RaftElectionPassesConform) {
  if (!IsRoot()) GTEST_SKIP() << "needs root";
  TempDir tmp;
  const std::string example = (fs::path(SCHISM_SOURCE_DIR) / "examples/raft_election.py").string();
  int code = -1;
  {
    Child schism({(BinaryDir() / "schism").string(), "conform", "--node-cmd", "python3 " + example,
                  "--store", (tmp.path() / "store").string()},
                 tmp.path() / "out.txt");
    code = schism.Wait(120s);
  }
  const std::string output = ReadFile(tmp.path() / "out.txt");
  ASSERT_EQ(code, 0) << output;
  EXPECT_NE(output.find("conform: pass"), std::string::npos) << output;
  std::error_code ec;
  const fs::path run_dir = fs::canonical(tmp.path() / "store" / "latest", ec);
  ASSERT_FALSE(ec) << output;
  const json checklist = json::parse(ReadFile(run_dir / "conform.json"));
  ASSERT_EQ(checklist["items"].size(), 10u);
  for (const json& item : checklist["items"]) EXPECT_EQ(item["status"], "pass") << item.dump();
}

}  // namespace
}  // namespace schism::testing
