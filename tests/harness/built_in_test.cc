// The built-in electors as `schism run` reads them from nodes/electors.h.
#include "harness/built_in.h"

#include <gtest/gtest.h>

#include "harness/errors.h"

namespace schism::harness {
namespace {

std::string UsageMessage(const std::function<void()>& call) {
  try {
    call();
  } catch (const UsageError& e) {
    return e.what();
  }
  return "(no UsageError)";
}

TEST(BuiltIn, NamesEveryElectorOfTheTable) {
  EXPECT_EQ(BuiltInElectorNames(), (std::vector<std::string>{"raft", "bully", "ring", "zab", "lease"}));
  EXPECT_EQ(
      UsageMessage([] { CheckBuiltInElector("paxos"); }),
      "unknown elector \"paxos\"; built-in: raft, bully, ring, zab, lease (or run your own with --node-cmd)");
}

TEST(BuiltIn, ABugIsOneOfItsElectorsBugs) {
  EXPECT_EQ(BugArgs("raft", "forget-vote"), (std::vector<std::string>{"--bug", "forget-vote"}));
  EXPECT_TRUE(BugArgs("raft", "none").empty());
  EXPECT_TRUE(BugArgs("bully", "").empty());
  EXPECT_EQ(UsageMessage([] { BugArgs("bully", "forget-vote"); }),
            "--bug: bully has no bug \"forget-vote\"; its bugs: stubborn-leader, no-answer, none");
}

TEST(BuiltIn, OptionsAreCheckedAgainstTheElectorsOwn) {
  EXPECT_EQ(OptionArgs("raft", {"heartbeat-ms=20", "pre-vote"}),
            (std::vector<std::string>{"--heartbeat-ms", "20", "--pre-vote"}));
  EXPECT_EQ(UsageMessage([] { OptionArgs("raft", {"pre-vote=1"}); }),
            "--elector-opt pre-vote=1: pre-vote is a flag and takes no value");
  EXPECT_EQ(UsageMessage([] { OptionArgs("bully", {"election-min-ms=10"}); }),
            "--elector-opt election-min-ms=10: bully has no option \"election-min-ms\"; its "
            "options: heartbeat-ms, answer-timeout-ms, leader-timeout-min-ms, "
            "leader-timeout-max-ms");
  for (const std::string bad : {"heartbeat-ms", "heartbeat-ms=", "heartbeat-ms=5x",
                                "heartbeat-ms=0", "heartbeat-ms=99999999"}) {
    EXPECT_EQ(UsageMessage([&] { OptionArgs("raft", {bad}); }),
              "--elector-opt " + bad +
                  ": heartbeat-ms takes a whole number from 1 to 3600000, as heartbeat-ms=VALUE");
  }
}

TEST(BuiltIn, TheListShowsElectorsBugsOptionsFaultKindsAndCheckers) {
  const std::string list = ListText();
  for (const std::string shown :
       {"  raft: ", "  bully: ", "  ring: ", "--bug double-vote", "--bug stubborn-leader",
        "--elector-opt heartbeat-ms=50", "--elector-opt pre-vote ", "  duplicate  ",
        "Longest election timeout (default x N/9 above 9 nodes)\n",
        "--elector-opt lease-ms=1000         The lease a leader asks a majority for\n",
        "  faults-applied\n", "  split-brain\n"}) {
    EXPECT_NE(list.find(shown), std::string::npos) << shown << " in:\n" << list;
  }
}

}  // namespace
}  // namespace schism::harness
