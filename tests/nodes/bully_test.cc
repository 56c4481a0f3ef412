// Script-style tests of the Bully elector (nodes/bully.h): each script picks
// which node ticks and which message is delivered, and the transcript of
// contract lines and messages is compared with the recorded one.

#include "nodes/bully.h"

#include <gtest/gtest.h>

#include "tests/nodes/elector_script.h"

namespace schism::nodes {
namespace {

using testing::ElectorScript;
using testing::ScriptCluster;

// Leader timeouts of exactly 15 ticks, answer timeouts of 10, heartbeats every 5.
ScriptCluster Cluster(std::string bug = "") {
  return {
      "bully", 3, std::move(bug), {{"leader-timeout-min-ms", 150}, {"leader-timeout-max-ms", 150}}};
}

// Runs the script that makes n3 leader of n1..n3 and checks it did.
void ElectN3(ElectorScript& s) {
  s.Run("tick n1 15\nstabilize\n");
  ASSERT_EQ(static_cast<bully::Bully&>(s.node("n3")).role(), bully::Bully::Role::kLeader);
}

TEST(NodesBully, IdsRankByLengthThenAlphabetically) {
  EXPECT_TRUE(bully::Outranks("n2", "n1"));
  EXPECT_TRUE(bully::Outranks("n10", "n9"));
  EXPECT_FALSE(bully::Outranks("n9", "n10"));
  EXPECT_FALSE(bully::Outranks("n3", "n3"));
}

TEST(NodesBully, NodesStartAsFollowersWithoutALeaderOrATerm) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.TakeStartTranscript(),
            "n1: {\"event\":\"role\",\"role\":\"follower\"}\n"
            "n2: {\"event\":\"role\",\"role\":\"follower\"}\n"
            "n3: {\"event\":\"role\",\"role\":\"follower\"}\n");
}

TEST(NodesBully, AnElectionReachesTheHighestLiveId) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.Run(R"(
tick n1 15
deliver n1 n2 election
deliver n1 n3 election
stabilize
)"),
            R"(n1: {"event":"role","role":"candidate"}
n1 -> n2 election
n1 -> n3 election
n2: {"event":"role","role":"candidate"}
n2 -> n1 answer
n2 -> n3 election
n3: {"event":"role","role":"leader"}
n3 -> n1 answer
n3 -> n1 coordinator
n3 -> n2 coordinator
n1: {"event":"role","role":"follower"}
n3 -> n2 answer
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n3"}
n2: {"event":"role","role":"follower","leader":"n3"}
)");
}

TEST(NodesBully, NodesTimingOutTogetherStillAgreeOnTheHighest) {
  ElectorScript s(Cluster());
  s.Run("tick-all 15\nstabilize\n");
  EXPECT_EQ(static_cast<bully::Bully&>(s.node("n3")).role(), bully::Bully::Role::kLeader);
  for (const char* id : {"n1", "n2"}) {
    const auto& node = static_cast<bully::Bully&>(s.node(id));
    EXPECT_EQ(node.role(), bully::Bully::Role::kFollower) << id;
    EXPECT_EQ(node.leader(), "n3") << id;
  }
}

TEST(NodesBully, ACrashedLeaderIsReplacedByTheNextAndBulliedOutOnItsReturn) {
  ElectorScript s(Cluster());
  ElectN3(s);
  EXPECT_EQ(s.Run(R"(
crash n3
tick n2 15
tick n2 10
stabilize
restart n3
tick n2 5
stabilize
)"),
            R"(n2: {"event":"role","role":"candidate"}
n2 -> n3 election
n2 -> n3 election
n2: {"event":"role","role":"leader"}
n2 -> n1 coordinator
n2 -> n3 coordinator
n1: {"event":"role","role":"follower","leader":"n2"}
n3: {"event":"role","role":"follower"}
n2 -> n1 coordinator
n2 -> n3 coordinator
n3: {"event":"role","role":"leader"}
n3 -> n1 coordinator
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n3"}
n2: {"event":"role","role":"follower","leader":"n3"}
)");
}

TEST(NodesBully, AnUnansweredCandidateRetriesThenLeads) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.Run(R"(
tick n2 15
drop n2 n3 election
tick n2 5
drop n2 n3 election
tick n2 5
stabilize
)"),
            R"(n2: {"event":"role","role":"candidate"}
n2 -> n3 election
n2 -> n3 election
n2: {"event":"role","role":"leader"}
n2 -> n1 coordinator
n2 -> n3 coordinator
n1: {"event":"role","role":"follower","leader":"n2"}
n3: {"event":"role","role":"leader"}
n3 -> n1 coordinator
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n3"}
n2: {"event":"role","role":"follower","leader":"n3"}
)");
}

TEST(NodesBully, AnAnsweredNodeAnswersElectionsWithoutStartingAnother) {
  ElectorScript s(Cluster());
  // n2 joins n1's election and is answered by n3, whose coordinator is late:
  // n1's re-sent election gets an answer from n2, but no second election
  // upwards (at 101 nodes, each such restart cost N^2 messages).
  EXPECT_EQ(s.Run(R"(
tick n1 15
drop n1 n3
deliver n1 n2 election
drop n2 n1 answer
deliver n2 n3 election
drop n3 * coordinator
deliver n3 n2 answer
tick n1 5
drop n1 n3
deliver n1 n2 election
)"),
            R"(n1: {"event":"role","role":"candidate"}
n1 -> n2 election
n1 -> n3 election
n2: {"event":"role","role":"candidate"}
n2 -> n1 answer
n2 -> n3 election
n3: {"event":"role","role":"leader"}
n3 -> n2 answer
n3 -> n1 coordinator
n3 -> n2 coordinator
n2: {"event":"role","role":"follower"}
n1 -> n2 election
n1 -> n3 election
n2 -> n1 answer
)");
}

TEST(NodesBully, ALowerClaimantMeetsTheLeadersCoordinator) {
  ElectorScript s(Cluster());
  ElectN3(s);
  // n2 misses n3's heartbeats and its own election to n3 is lost: it claims.
  EXPECT_EQ(s.Run(R"(
tick n3 5
drop n3 n2
deliver n3 n1
tick n2 15
drop n2 n3 election
tick n2 10
stabilize
# n1 followed the claimant, which outranks it, until n3's next heartbeat.
tick n3 5
stabilize
)"),
            R"(n3 -> n1 coordinator
n3 -> n2 coordinator
n2: {"event":"role","role":"candidate"}
n2 -> n3 election
n2 -> n3 election
n2: {"event":"role","role":"leader"}
n2 -> n1 coordinator
n2 -> n3 coordinator
n3 -> n2 answer
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n2"}
n3 -> n2 coordinator
n2: {"event":"role","role":"follower","leader":"n3"}
n3 -> n1 coordinator
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n3"}
)");
}

TEST(NodesBully, StubbornLeaderBugKeepsTwoLeaders) {
  ElectorScript s(Cluster("stubborn-leader"));
  ElectN3(s);
  EXPECT_EQ(s.Run(R"(
tick n3 5
drop n3 n2
deliver n3 n1
tick n2 15
drop n2 n3 election
tick n2 10
stabilize
tick n3 5
stabilize
)"),
            R"(n3 -> n1 coordinator
n3 -> n2 coordinator
n2: {"event":"role","role":"candidate"}
n2 -> n3 election
n2 -> n3 election
n2: {"event":"role","role":"leader"}
n2 -> n1 coordinator
n2 -> n3 coordinator
n3 -> n2 answer
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n2"}
n3 -> n2 coordinator
n3 -> n1 coordinator
n3 -> n2 coordinator
n1: {"event":"role","role":"follower","leader":"n3"}
)");
  EXPECT_EQ(static_cast<bully::Bully&>(s.node("n2")).role(), bully::Bully::Role::kLeader);
  EXPECT_EQ(static_cast<bully::Bully&>(s.node("n3")).role(), bully::Bully::Role::kLeader);
}

TEST(NodesBully, NoAnswerBugLetsALowerCandidateLead) {
  ElectorScript s(Cluster("no-answer"));
  // Nobody answers n1, so it leads although n3 is alive and leads too.
  EXPECT_EQ(s.Run(R"(
tick n1 15
deliver n1 * election
tick n1 10
)"),
            R"(n1: {"event":"role","role":"candidate"}
n1 -> n2 election
n1 -> n3 election
n2: {"event":"role","role":"candidate"}
n2 -> n3 election
n3: {"event":"role","role":"leader"}
n3 -> n1 coordinator
n3 -> n2 coordinator
n1 -> n2 election
n1 -> n3 election
n1: {"event":"role","role":"leader"}
n1 -> n2 coordinator
n1 -> n3 coordinator
)");
  EXPECT_EQ(static_cast<bully::Bully&>(s.node("n1")).role(), bully::Bully::Role::kLeader);
  EXPECT_EQ(static_cast<bully::Bully&>(s.node("n3")).role(), bully::Bully::Role::kLeader);
  // The first coordinator from n3 ends it.
  EXPECT_EQ(s.Run("deliver n3 n1 coordinator\n"),
            R"(n1: {"event":"role","role":"follower","leader":"n3"}
)");
}

}  // namespace
}  // namespace schism::nodes
