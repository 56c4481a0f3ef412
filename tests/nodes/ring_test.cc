// Script-style tests of the ring elector (nodes/ring.h): each script picks
// which node ticks and which message is delivered, and the transcript of
// contract lines and messages is compared with the recorded one.

#include "nodes/ring.h"

#include <gtest/gtest.h>

#include <string>

#include "nodes/electors.h"
#include "tests/nodes/elector_script.h"

namespace schism::nodes {
namespace {

using testing::ElectorScript;
using testing::ScriptCluster;

// Leader timeouts of exactly 15 ticks, ack timeouts of 4, heartbeats every 5.
ScriptCluster Cluster(int size = 3) {
  return {"ring", size, "", {{"leader-timeout-min-ms", 150}, {"leader-timeout-max-ms", 150}}};
}

ring::Ring& Node(ElectorScript& s, const std::string& id) {
  return static_cast<ring::Ring&>(s.node(id));
}

// Asserts that `leader` leads and every other live node of n1..n<size> follows it.
void ExpectLeader(ElectorScript& s, int size, const std::string& leader,
                  const std::string& crashed = "") {
  for (int i = 1; i <= size; ++i) {
    const std::string id = "n" + std::to_string(i);
    if (id == crashed) continue;
    EXPECT_EQ(Node(s, id).role(),
              id == leader ? ring::Ring::Role::kLeader : ring::Ring::Role::kFollower)
        << id;
    EXPECT_EQ(Node(s, id).leader(), leader) << id;
  }
}

// Runs the script that makes n3 leader of n1..n3 and checks it did.
void ElectN3(ElectorScript& s) {
  s.Run("tick n1 15\nstabilize\n");
  ASSERT_EQ(Node(s, "n3").role(), ring::Ring::Role::kLeader);
}

TEST(NodesRing, NodesStartAsFollowersWithoutALeaderOrATerm) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.TakeStartTranscript(),
            "n1: {\"event\":\"role\",\"role\":\"follower\"}\n"
            "n2: {\"event\":\"role\",\"role\":\"follower\"}\n"
            "n3: {\"event\":\"role\",\"role\":\"follower\"}\n");
}

TEST(NodesRing, TheRingFollowsIdRankSoN10FollowsN9AndWrapsToN1) {
  ElectorScript s(Cluster(10));
  EXPECT_EQ(s.Run("tick n9 15\ntick n10 15\n"),
            R"(n9: {"event":"role","role":"candidate"}
n9 -> n10 election {"id":"n9","seq":1}
n10: {"event":"role","role":"candidate"}
n10 -> n1 election {"id":"n10","seq":1}
)");
}

TEST(NodesRing, AnElectionReachesTheHighestIdWhoseAnnouncementGoesRound) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.Run("tick n1 15\nstabilize\n"),
            R"(n1: {"event":"role","role":"candidate"}
n1 -> n2 election {"id":"n1","seq":1}
n2: {"event":"role","role":"candidate"}
n2 -> n1 ack {"seq":1}
n2 -> n3 election {"id":"n2","seq":1}
n3: {"event":"role","role":"candidate"}
n3 -> n2 ack {"seq":1}
n3 -> n1 election {"id":"n3","seq":1}
n1 -> n3 ack {"seq":1}
n1 -> n2 election {"id":"n3","seq":2}
n2 -> n1 ack {"seq":2}
n2 -> n3 election {"id":"n3","seq":2}
n3: {"event":"role","role":"leader"}
n3 -> n2 ack {"seq":2}
n3 -> n1 elected {"leader":"n3","seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","seq":3}
n2: {"event":"role","role":"follower","leader":"n3"}
n2 -> n1 ack {"seq":3}
n2 -> n3 elected {"leader":"n3","seq":3}
n3 -> n2 ack {"seq":3}
)");
  ExpectLeader(s, 3, "n3");
}

TEST(NodesRing, TheLeadersHeartbeatKeepsFollowersFromElecting) {
  ElectorScript s(Cluster());
  ElectN3(s);
  std::string transcript;
  for (int i = 0; i < 10; ++i) transcript += s.Run("tick-all 5\nstabilize\n");
  EXPECT_EQ(transcript.find("role"), std::string::npos) << transcript;
  ExpectLeader(s, 3, "n3");
}

TEST(NodesRing, ACrashedSuccessorIsSkippedAfterTheAckTimeout) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.Run(R"(
crash n2
tick n1 15
tick n1 3
# No ack from n2 within 4 ticks: n1 skips it.
tick n1 1
stabilize
tick n1 4
stabilize
tick n1 4
stabilize
)"),
            R"(n1: {"event":"role","role":"candidate"}
n1 -> n2 election {"id":"n1","seq":1}
n1 -> n3 election {"id":"n1","seq":1}
n3: {"event":"role","role":"candidate"}
n3 -> n1 ack {"seq":1}
n3 -> n1 election {"id":"n3","seq":1}
n1 -> n3 ack {"seq":1}
n1 -> n2 election {"id":"n3","seq":2}
n1 -> n3 election {"id":"n3","seq":2}
n3: {"event":"role","role":"leader"}
n3 -> n1 ack {"seq":2}
n3 -> n1 elected {"leader":"n3","seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","seq":3}
n1 -> n3 elected {"leader":"n3","seq":3}
n3 -> n1 ack {"seq":3}
)");
  ExpectLeader(s, 3, "n3", "n2");
}

TEST(NodesRing, ACrashedLeaderIsReplacedByTheNextHighestAfterTheLeaderTimeout) {
  ElectorScript s(Cluster());
  ElectN3(s);
  EXPECT_EQ(s.Run("crash n3\ntick n2 14\n"), "");  // Not before the leader timeout.
  EXPECT_EQ(s.Run(R"(
tick n2 1
tick n2 4
stabilize
tick n2 4
stabilize
)"),
            R"(n2: {"event":"role","role":"candidate"}
n2 -> n3 election {"id":"n2","seq":4}
n2 -> n1 election {"id":"n2","seq":4}
n1: {"event":"role","role":"candidate"}
n1 -> n2 ack {"seq":4}
n1 -> n2 election {"id":"n2","seq":4}
n2: {"event":"role","role":"leader"}
n2 -> n1 ack {"seq":4}
n2 -> n3 elected {"leader":"n2","seq":5}
n2 -> n1 elected {"leader":"n2","seq":5}
n1: {"event":"role","role":"follower","leader":"n2"}
n1 -> n2 ack {"seq":5}
n1 -> n2 elected {"leader":"n2","seq":5}
n2 -> n1 ack {"seq":5}
)");
  ExpectLeader(s, 3, "n2", "n3");
}

TEST(NodesRing, AReturningHigherNodeTakesOver) {
  ElectorScript s(Cluster());
  ElectN3(s);
  s.Run("crash n3\ntick n2 15\ntick n2 4\nstabilize\ntick n2 4\nstabilize\n");
  ASSERT_EQ(Node(s, "n2").role(), ring::Ring::Role::kLeader);
  // n3 hears the heartbeat of n2, which it outranks, and runs an election.
  EXPECT_EQ(s.Run("restart n3\ntick n2 1\nstabilize\n"),
            R"(n3: {"event":"role","role":"follower"}
n2 -> n3 elected {"leader":"n2","seq":6}
n3: {"event":"role","role":"candidate"}
n3 -> n2 ack {"seq":6}
n3 -> n1 election {"id":"n3","seq":1}
n1: {"event":"role","role":"candidate"}
n1 -> n3 ack {"seq":1}
n1 -> n2 election {"id":"n3","seq":6}
n2: {"event":"role","role":"candidate"}
n2 -> n1 ack {"seq":6}
n2 -> n3 election {"id":"n3","seq":7}
n3: {"event":"role","role":"leader"}
n3 -> n2 ack {"seq":7}
n3 -> n1 elected {"leader":"n3","seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","seq":7}
n2: {"event":"role","role":"follower","leader":"n3"}
n2 -> n1 ack {"seq":7}
n2 -> n3 elected {"leader":"n3","seq":8}
n3 -> n2 ack {"seq":8}
)");
  ExpectLeader(s, 3, "n3");
}

TEST(NodesRing, ConcurrentElectionsEndWithExactlyOneLeader) {
  ElectorScript s(Cluster(5));
  const std::string transcript = s.Run("tick-all 15\nstabilize\n");
  ExpectLeader(s, 5, "n5");
  // Every election but n5's was suppressed: a leader is announced once.
  EXPECT_EQ(transcript.find("\"role\":\"leader\""), transcript.rfind("\"role\":\"leader\""))
      << transcript;
}

TEST(NodesRing, AnElectionForADeadNodeIsDroppedAndTheNextOneSucceeds) {
  ElectorScript s(Cluster());
  // n3 sends its election on and dies before it comes back.
  s.Run("tick n1 15\ndeliver n1 n2 election\ndeliver n2 n3 election\ncrash n3\nstabilize\n");
  // n2 gets no ack from n3, the subject of the election: it drops it.
  EXPECT_EQ(s.Run("tick n2 4\n"), "");
  // n1 still suppresses elections lower than n3's until its own leader timeout
  // starts one afresh; then n2 wins.
  s.Run("tick-all 15\nstabilize\ntick-all 4\nstabilize\ntick-all 4\nstabilize\n");
  ExpectLeader(s, 3, "n2", "n3");
}

TEST(NodesRing, ALoneNodeElectsItself) {
  ElectorScript s(Cluster(1));
  EXPECT_EQ(s.Run("tick n1 15\n"), R"(n1: {"event":"role","role":"candidate"}
n1: {"event":"role","role":"leader"}
)");
}

TEST(NodesRing, CheckRejectsContradictoryOptions) {
  const ElectorSpec& spec = *FindElector("ring");
  const auto check = [&](std::int64_t heartbeat, std::int64_t ack, std::int64_t min,
                         std::int64_t max) {
    ElectorSetup setup = DefaultSetup(spec);
    setup.options["heartbeat-ms"] = heartbeat;
    setup.options["ack-timeout-ms"] = ack;
    setup.options["leader-timeout-min-ms"] = min;
    setup.options["leader-timeout-max-ms"] = max;
    return spec.check(setup);
  };
  EXPECT_EQ(check(50, 40, 300, 600), "");
  EXPECT_EQ(check(50, 40, 700, 600),
            "--leader-timeout-min-ms must not exceed --leader-timeout-max-ms");
  EXPECT_EQ(check(300, 40, 300, 600),
            "--heartbeat-ms must be shorter than --leader-timeout-min-ms");
  EXPECT_EQ(check(50, 300, 300, 600),
            "--ack-timeout-ms must be shorter than --leader-timeout-min-ms");
  EXPECT_TRUE(spec.bugs.empty());
}

}  // namespace
}  // namespace schism::nodes
