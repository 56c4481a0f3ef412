// Script-style tests of the ring elector (nodes/ring.h): each script picks
// which node ticks and which message is delivered, and the transcript of
// contract lines and messages is compared with the recorded one.

#include "nodes/ring.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/electors.h"
#include "tests/nodes/elector_script.h"
#include "tests/sim/cluster.h"

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
ring::Ring& Node(sim::Cluster& c, const std::string& id) {
  return static_cast<ring::Ring&>(c.node(id));
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
n3 -> n1 elected {"leader":"n3","round":1,"seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","round":1,"seq":3}
n2: {"event":"role","role":"follower","leader":"n3"}
n2 -> n1 ack {"seq":3}
n2 -> n3 elected {"leader":"n3","round":1,"seq":3}
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
n3 -> n1 elected {"leader":"n3","round":1,"seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","round":1,"seq":3}
n1 -> n3 elected {"leader":"n3","round":1,"seq":3}
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
n2 -> n3 elected {"leader":"n2","round":1,"seq":5}
n2 -> n1 elected {"leader":"n2","round":1,"seq":5}
n1: {"event":"role","role":"follower","leader":"n2"}
n1 -> n2 ack {"seq":5}
n1 -> n2 elected {"leader":"n2","round":1,"seq":5}
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
n2 -> n3 elected {"leader":"n2","round":2,"seq":6}
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
n3 -> n1 elected {"leader":"n3","round":1,"seq":2}
n1: {"event":"role","role":"follower","leader":"n3"}
n1 -> n3 ack {"seq":2}
n1 -> n2 elected {"leader":"n3","round":1,"seq":7}
n2: {"event":"role","role":"follower","leader":"n3"}
n2 -> n1 ack {"seq":7}
n2 -> n3 elected {"leader":"n3","round":1,"seq":8}
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

// ---- copies: a hop whose ack is late sends a message on twice ----

// The messages the nodes sent since the last call.
std::vector<Envelope> Sent(sim::Cluster& c) {
  std::vector<Envelope> sent;
  for (const sim::NodeOutput& output : c.TakeOutputs()) {
    sent.insert(sent.end(), output.ready.messages.begin(), output.ready.messages.end());
  }
  return sent;
}

// How many of `sent` are of `type` (and of announcement round `round`, if given).
int Count(const std::vector<Envelope>& sent, std::string_view type,
          std::optional<std::uint64_t> round = std::nullopt) {
  return static_cast<int>(std::count_if(sent.begin(), sent.end(), [&](const Envelope& m) {
    return m.type == type && (!round || m.fields.value("round", std::uint64_t{0}) == *round);
  }));
}

// Ticks every live node `ticks` times on a network slower than the ack
// timeout: each ring message arrives within its tick and each ack too late
// to count (it is dropped), so a sender skips every successor in turn,
// although each one got the message and passes it on. Stops early once more
// than `cap` messages were sent, so that a storm fails fast.
std::vector<Envelope> TickWithEveryAckLate(sim::Cluster& c, int ticks, std::size_t cap = 20000) {
  std::vector<Envelope> sent;
  for (int t = 0; t < ticks && sent.size() <= cap; ++t) {
    c.TickAll();
    // A message goes round a ring of 7 in 7 hops, each one sweep: 100 sweeps
    // a tick is ample, and bounds the loop whatever the nodes do.
    for (int sweep = 0; sweep < 100 && !c.in_flight().empty(); ++sweep) {
      c.Sweep([](const Envelope& m) {
        return m.type == ring::kAck ? sim::Fate::kDrop : sim::Fate::kDeliver;
      });
    }
    const std::vector<Envelope> more = Sent(c);
    sent.insert(sent.end(), more.begin(), more.end());
  }
  return sent;
}

// Makes n7 leader of n1..n7 with prompt acks, and forgets what that sent.
void ElectN7(sim::Cluster& c) {
  c.Tick("n1", 15);
  c.Stabilize();
  ASSERT_EQ(Node(c, "n7").role(), ring::Ring::Role::kLeader);
  c.TakeOutputs();
}

TEST(NodesRing, EachNodePassesOnEachAnnouncementOnceWhenEveryAckIsLate) {
  sim::Cluster c(Cluster(7));
  ElectN7(c);
  // Heartbeats every 5 ticks; a skip chain ends within 6 ack timeouts.
  const std::vector<Envelope> sent = TickWithEveryAckLate(c, 50);
  // Round 3 (the heartbeat of tick 10): n7 skips along n1..n6, and each
  // follower along to n7, 6 + 6 + 5 + 4 + 3 + 2 + 1 sends. Were every copy
  // passed on, the copies would double at every hop: 126 sends.
  EXPECT_EQ(Count(sent, ring::kElected, 3), 27);
  EXPECT_LE(Count(sent, ring::kElected), 10 * 27);  // The last chains are cut short.
  EXPECT_EQ(Count(sent, ring::kElection), 0);
  for (const std::string& id : c.ids()) EXPECT_EQ(Node(c, id).leader(), "n7") << id;
}

TEST(NodesRing, ALeaderThatComesBackWhileEveryAckIsLateSetsOffNoStorm) {
  // What seed 6 of `schism sim --elector ring --nodes 7 --nemesis all` did:
  // the leader is killed under a delay longer than the ack timeout, and the
  // others elect n6 before it comes back.
  sim::Cluster c(Cluster(7));
  ElectN7(c);
  c.Crash("n7");
  TickWithEveryAckLate(c, 50);
  ASSERT_EQ(Node(c, "n6").role(), ring::Ring::Role::kLeader);
  c.Restart("n7");
  // n7 takes over within 100 ticks (about 900 messages). Once every copy of
  // an election that came back made its node lead and announce again, and
  // every copy of an announcement was passed on and let stale copies of
  // elections through again: past the cap of 20000 within 5 ticks.
  const std::vector<Envelope> settling = TickWithEveryAckLate(c, 100);
  EXPECT_LE(Count(settling, ring::kElected) + Count(settling, ring::kElection), 2000);
  for (const std::string& id : c.ids()) EXPECT_EQ(Node(c, id).leader(), "n7") << id;
  // Then only n7's heartbeats go round, 27 sends each (see above).
  const std::vector<Envelope> settled = TickWithEveryAckLate(c, 100);
  EXPECT_EQ(Count(settled, ring::kElected), 100 / 5 * 27);
  EXPECT_EQ(Count(settled, ring::kElection), 0);
}

TEST(NodesRing, AStaleCopyOfItsOwnElectionDoesNotMakeAFollowerLead) {
  sim::Cluster c(Cluster(3));
  // n3 is down: n2's election skips it and n1 passes it back to n2, which
  // leads. A copy of that last hop is kept, as one the network duplicates or
  // a hop sends twice.
  c.Crash("n3");
  c.Tick("n2", 19);
  c.DeliverIf([](const Envelope& m) { return m.to == "n1"; });
  const auto copy = std::find_if(c.in_flight().begin(), c.in_flight().end(), [](const Envelope& m) {
    return m.to == "n2" && m.type == ring::kElection;
  });
  ASSERT_NE(copy, c.in_flight().end());
  const Envelope stale = *copy;  // n1 -> n2 election {"id":"n2"}
  c.Stabilize();
  ASSERT_EQ(Node(c, "n2").role(), ring::Ring::Role::kLeader);
  // n3 comes back and takes over.
  c.Restart("n3");
  c.Tick("n2", 5);
  c.Stabilize();
  ASSERT_EQ(Node(c, "n3").role(), ring::Ring::Role::kLeader);
  ASSERT_EQ(Node(c, "n2").leader(), "n3");
  c.TakeOutputs();
  // The copy reaches n2 now: that election is over, so n2 acks it and stays.
  ASSERT_TRUE(c.Deliver(stale));
  const std::vector<Envelope> sent = Sent(c);
  EXPECT_EQ(sent.size(), 1u);
  EXPECT_EQ(Count(sent, ring::kAck), 1);
  EXPECT_EQ(Node(c, "n2").role(), ring::Ring::Role::kFollower);
  EXPECT_EQ(Node(c, "n2").leader(), "n3");
}

TEST(NodesRing, ALeaderAnnouncesOnceHoweverManyCopiesOfItsElectionComeBack) {
  sim::Cluster c(Cluster(3));
  c.Tick("n3", 15);
  c.DeliverIf([](const Envelope& m) { return m.to == "n1"; });
  c.DeliverIf([](const Envelope& m) { return m.to == "n2"; });
  const Envelope back = c.in_flight().back();
  ASSERT_EQ(back.type, ring::kElection);  // n2 -> n3 election {"id":"n3"}
  c.TakeOutputs();
  for (int copy = 0; copy < 3; ++copy) ASSERT_TRUE(c.Deliver(back));
  const std::vector<Envelope> sent = Sent(c);
  EXPECT_EQ(Count(sent, ring::kAck), 3);
  EXPECT_EQ(Count(sent, ring::kElected), 1);
  EXPECT_EQ(Node(c, "n3").role(), ring::Ring::Role::kLeader);
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
