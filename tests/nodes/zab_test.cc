// Script-style tests of the ZAB elector (nodes/zab.h): each script picks which
// node ticks and which message is delivered, and the test checks who leads in
// which epoch (or the transcript of contract lines and messages).

#include "nodes/zab.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/nodes/elector_script.h"

namespace schism::nodes {
namespace {

using testing::ElectorScript;
using testing::ScriptCluster;
using zab::Zab;

// Heartbeats every 5 ticks, finalize windows of 10, leader timeouts of exactly 30.
ScriptCluster Cluster(int size, std::string bug = "") {
  return {"zab",
          size,
          std::move(bug),
          {{"leader-timeout-min-ms", 300}, {"leader-timeout-max-ms", 300}}};
}

Zab& Node(ElectorScript& s, const std::string& id) { return static_cast<Zab&>(s.node(id)); }

// Delivers every message, lets the finalize windows run out, and delivers the
// discovery messages and the first pings that follow.
constexpr const char* kElect = "stabilize\ntick-all 10\nstabilize\n";

// `ticks` ticks of every node during which only messages within a group are
// delivered; the others are lost.
std::string Partitioned(const std::vector<std::vector<std::string>>& groups, int ticks) {
  std::string within;
  for (const auto& group : groups) {
    for (const std::string& a : group) {
      for (const std::string& b : group) {
        if (a != b) within += "deliver " + a + " " + b + "\n";
      }
    }
  }
  std::string script;
  for (int i = 0; i < ticks; ++i) {
    // Twice, for the answers to what was delivered.
    script += within + within + "drop\ntick-all\n";
  }
  return script;
}

// Expects `leader` to lead `epoch` and every id in `followers` to follow it.
void ExpectLeads(ElectorScript& s, const std::string& leader, std::uint64_t epoch,
                 const std::vector<std::string>& followers) {
  EXPECT_EQ(Node(s, leader).state(), Zab::State::kLeading) << leader;
  EXPECT_TRUE(Node(s, leader).established()) << leader;
  EXPECT_EQ(Node(s, leader).durable().current_epoch, epoch) << leader;
  for (const std::string& id : followers) {
    EXPECT_EQ(Node(s, id).state(), Zab::State::kFollowing) << id;
    EXPECT_EQ(Node(s, id).leader(), leader) << id;
    EXPECT_TRUE(Node(s, id).established()) << id;
    EXPECT_EQ(Node(s, id).durable().current_epoch, epoch) << id;
  }
}

TEST(NodesZab, VotesOrderByEpochThenZxidThenId) {
  EXPECT_TRUE(zab::Better({"n1", 0, 2}, {"n3", 9, 1}));
  EXPECT_TRUE(zab::Better({"n1", 5, 1}, {"n3", 4, 1}));
  EXPECT_TRUE(zab::Better({"n3", 4, 1}, {"n2", 4, 1}));
  EXPECT_TRUE(zab::Better({"n10", 4, 1}, {"n9", 4, 1}));
  EXPECT_FALSE(zab::Better({"n3", 4, 1}, {"n3", 4, 1}));
}

// The ticks at which a lone looking node (its peers never answer) sends its
// notifications, over `ticks` ticks.
std::vector<int> NotificationTicks(int resend_max_ticks, int ticks) {
  zab::Config config;
  config.id = "n1";
  config.peers = {"n2", "n3"};
  config.resend_max_ticks = resend_max_ticks;  // heartbeat_ticks is 5
  Zab node(config, {});
  node.TakeReady();  // the first notifications, at tick 0
  std::vector<int> sent;
  for (int t = 1; t <= ticks; ++t) {
    node.Tick();
    const auto ready = node.TakeReady();
    if (!ready.messages.empty()) {
      EXPECT_EQ(ready.messages.size(), 2u) << t;
      EXPECT_EQ(ready.messages[0].type, zab::kNotification) << t;
      sent.push_back(t);
    }
  }
  return sent;
}

TEST(NodesZab, ALookingNodeResendsItsVoteEveryHeartbeatByDefault) {
  EXPECT_EQ(NotificationTicks(5, 30), (std::vector<int>{5, 10, 15, 20, 25, 30}));
  EXPECT_EQ(NotificationTicks(1, 30), (std::vector<int>{5, 10, 15, 20, 25, 30}));
}

TEST(NodesZab, AStandingVoteIsResentLessOftenUpToTheLongestInterval) {
  EXPECT_EQ(NotificationTicks(20, 80), (std::vector<int>{5, 15, 35, 55, 75}));
}

// Two better votes handled before the Ready is taken: one broadcast, of the last.
TEST(NodesZab, VoteChangesOfOneBatchGoOutAsOneBroadcast) {
  zab::Config config;
  config.id = "n1";
  config.peers = {"n2", "n3"};
  Zab node(config, {});
  node.TakeReady();
  const auto notification = [](const std::string& from) {
    return Envelope{from, "n1", std::string(zab::kNotification),
                    {{"leader", from}, {"zxid", 0u}, {"epoch", 0u}, {"round", 1u}, {"state", "looking"}}};
  };
  ASSERT_TRUE(node.Step(notification("n2")));
  ASSERT_TRUE(node.Step(notification("n3")));
  const auto ready = node.TakeReady();
  ASSERT_EQ(ready.messages.size(), 2u);
  for (const Envelope& m : ready.messages) {
    EXPECT_EQ(m.type, zab::kNotification);
    EXPECT_EQ(m.fields["leader"], "n3") << m.to;
  }
  EXPECT_FALSE(node.HasReady());
}

TEST(NodesZab, DurableStateRoundTripsThroughJson) {
  const zab::Durable durable{3, 2, "n2", 2ULL << 32, 7, {"n2", 2ULL << 32, 2}};
  zab::Durable restored;
  std::string why;
  ASSERT_TRUE(zab::FromJson(zab::ToJson(durable), &restored, &why)) << why;
  EXPECT_EQ(restored, durable);
  EXPECT_FALSE(zab::FromJson(Json{{"acceptedEpoch", -1}}, &restored, &why));
  EXPECT_EQ(why, "\"acceptedEpoch\" is not an unsigned integer");
}

TEST(NodesZab, ThreeNodesElectTheBestVoteInEpochOne) {
  ElectorScript s(Cluster(3));
  s.TakeStartTranscript();
  s.Run("stabilize\n");
  // A quorum agrees on n3 at once, but each waits out its finalize window.
  EXPECT_EQ(Node(s, "n1").state(), Zab::State::kLooking);
  s.Run("tick-all 9\n");
  // Then they decide: n1 and n2 follow n3 and tell it their accepted epoch; n3
  // proposes epoch 1, and leads once a quorum acked it.
  EXPECT_EQ(s.Run("tick-all\nstabilize\n"), R"(n1: {"event":"role","role":"follower","term":0}
n1 -> n3 follower-info {"epoch":0}
n2: {"event":"role","role":"follower","term":0}
n2 -> n3 follower-info {"epoch":0}
n2 -> n1 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"following"}
n3 -> n1 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"leading"}
n1 -> n2 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"following"}
n3 -> n2 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"leading"}
n1 -> n3 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"following"}
n2 -> n3 notification {"leader":"n3","zxid":0,"epoch":0,"round":1,"state":"following"}
n3: persist {"acceptedEpoch":1,"currentEpoch":0,"ackedLeader":"n3","lastZxid":0,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n3: {"event":"vote","term":1,"for":"n3"}
n3 -> n1 leader-info {"epoch":1}
n3 -> n2 leader-info {"epoch":1}
n1: persist {"acceptedEpoch":1,"currentEpoch":0,"ackedLeader":"n3","lastZxid":0,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n1: {"event":"vote","term":1,"for":"n3"}
n1 -> n3 ack-epoch {"epoch":1}
n2: persist {"acceptedEpoch":1,"currentEpoch":0,"ackedLeader":"n3","lastZxid":0,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n2: {"event":"vote","term":1,"for":"n3"}
n2 -> n3 ack-epoch {"epoch":1}
n3: persist {"acceptedEpoch":1,"currentEpoch":1,"ackedLeader":"n3","lastZxid":4294967296,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n3: {"event":"role","role":"leader","term":1}
n3 -> n1 ping {"epoch":1,"zxid":4294967296}
n3 -> n2 ping {"epoch":1,"zxid":4294967296}
n1: persist {"acceptedEpoch":1,"currentEpoch":1,"ackedLeader":"n3","lastZxid":4294967296,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n1: {"event":"role","role":"follower","term":1,"leader":"n3"}
n1 -> n3 ping-ack {"epoch":1}
n2: persist {"acceptedEpoch":1,"currentEpoch":1,"ackedLeader":"n3","lastZxid":4294967296,"round":1,"vote":{"leader":"n3","zxid":0,"epoch":0}}
n2: {"event":"role","role":"follower","term":1,"leader":"n3"}
n2 -> n3 ping-ack {"epoch":1}
)");
  ExpectLeads(s, "n3", 1, {"n1", "n2"});
  EXPECT_EQ(s.Run("tick n3 5\n"), R"(n3 -> n1 ping {"epoch":1,"zxid":4294967296}
n3 -> n2 ping {"epoch":1,"zxid":4294967296}
)");
}

TEST(NodesZab, AFiveNodeClusterElectsTheNewestEpochBeforeTheHighestId) {
  ElectorScript s(Cluster(5));
  s.Run(kElect);
  ExpectLeads(s, "n5", 1, {"n1", "n2", "n3", "n4"});
  s.Run(std::string("crash n5\ntick-all 30\n") + kElect);
  ExpectLeads(s, "n4", 2, {"n1", "n2", "n3"});
  // n5 comes back with epoch 1: n1..n3 have epoch 2, so the best vote is n3's.
  s.Run(std::string("crash n4\nrestart n5\ntick-all 30\n") + kElect);
  ExpectLeads(s, "n3", 3, {"n1", "n2", "n5"});
}

TEST(NodesZab, EpochsGrowByOnePerLeadership) {
  ElectorScript s(Cluster(3));
  s.Run(kElect);
  ExpectLeads(s, "n3", 1, {"n1", "n2"});
  s.Run(std::string("crash n3\ntick-all 30\n") + kElect);
  ExpectLeads(s, "n2", 2, {"n1"});
  // A returning node joins the leader it finds, in that leader's epoch.
  s.Run("restart n3\nstabilize\n");
  ExpectLeads(s, "n2", 2, {"n1", "n3"});
  s.Run(std::string("crash n2\ntick-all 30\n") + kElect);
  ExpectLeads(s, "n3", 3, {"n1"});
}

TEST(NodesZab, ARestartedFollowerKeepsItsAcceptedEpoch) {
  ElectorScript s(Cluster(3));
  s.Run(kElect);
  const std::string restart = s.Run("crash n1\nrestart n1\n");
  EXPECT_NE(restart.find(R"(n1: {"event":"role","role":"candidate","term":1})"), std::string::npos)
      << restart;
  EXPECT_EQ(Node(s, "n1").durable(),
            (zab::Durable{1, 1, "n3", 1ULL << 32, 2, {"n1", 1ULL << 32, 1}}));
  // It rejoins n3 in epoch 1: the same leader again, so no second vote.
  const std::string rejoin = s.Run("stabilize\n");
  EXPECT_EQ(rejoin.find(R"("event":"vote")"), std::string::npos) << rejoin;
  ExpectLeads(s, "n3", 1, {"n1", "n2"});
}

TEST(NodesZab, AMinorityLeaderStepsDownAndTheMajorityElectsTheNextEpoch) {
  ElectorScript s(Cluster(5));
  s.Run(kElect);
  ExpectLeads(s, "n5", 1, {"n1", "n2", "n3", "n4"});
  s.Run(Partitioned({{"n4", "n5"}, {"n1", "n2", "n3"}}, 60));
  EXPECT_EQ(Node(s, "n5").state(), Zab::State::kLooking);
  EXPECT_EQ(Node(s, "n4").state(), Zab::State::kLooking);
  ExpectLeads(s, "n3", 2, {"n1", "n2"});
}

TEST(NodesZab, ALeaderWithoutAQuorumOfFollowersNeverLeads) {
  ElectorScript s(Cluster(5));
  s.Run(Partitioned({{"n1", "n2"}, {"n3", "n4", "n5"}}, 60));
  EXPECT_EQ(Node(s, "n1").state(), Zab::State::kLooking);
  EXPECT_EQ(Node(s, "n2").state(), Zab::State::kLooking);
  ExpectLeads(s, "n5", 1, {"n3", "n4"});
}

TEST(NodesZab, NoQuorumBugElectsALeaderOnEachSideInTheSameEpoch) {
  ElectorScript s(Cluster(5, "no-quorum"));
  s.Run(Partitioned({{"n1", "n2"}, {"n3", "n4", "n5"}}, 60));
  ExpectLeads(s, "n2", 1, {"n1"});
  ExpectLeads(s, "n5", 1, {"n3", "n4"});
}

// n1 accepted epoch 1 from n2; now n3 wins an election and proposes epoch 1
// too (from accepted epochs it gathered before n1's ack).
class NodesZabStaleEpoch : public ::testing::TestWithParam<zab::Bug> {
 protected:
  // Builds n1 after its ack to n2, lets n2 and n3 vote n3 and hands n1 n3's leader-info.
  ElectorReady FollowN3ThenHearEpoch1() {
    zab::Config config{"n1", {"n2", "n3"}};
    config.bug = GetParam();
    const zab::Vote n2_vote{"n2", 1ULL << 32, 1};
    node_ = std::make_unique<Zab>(config, zab::Durable{1, 1, "n2", 1ULL << 32, 4, n2_vote});
    (void)node_->TakeReady();
    const Json n3_vote = {
        {"leader", "n3"}, {"zxid", 1ULL << 32}, {"epoch", 1u}, {"round", 5u}, {"state", "looking"}};
    for (const char* from : {"n2", "n3"}) {
      EXPECT_TRUE(node_->Step({from, "n1", "notification", n3_vote}));
    }
    for (int i = 0; i < config.finalize_ticks; ++i) node_->Tick();
    EXPECT_EQ(node_->state(), Zab::State::kFollowing);
    EXPECT_EQ(node_->leader(), "n3");
    (void)node_->TakeReady();
    EXPECT_TRUE(node_->Step({"n3", "n1", "leader-info", {{"epoch", 1u}}}));
    return node_->TakeReady();
  }

  std::unique_ptr<Zab> node_;
};

TEST_P(NodesZabStaleEpoch, AFollowerAcksOnlyOneLeaderPerEpochUnlessTheBugIsOn) {
  const ElectorReady ready = FollowN3ThenHearEpoch1();
  if (GetParam() == zab::Bug::kNone) {
    // n3 is stale: n1 looks again and n3 lacks its ack.
    EXPECT_EQ(node_->state(), Zab::State::kLooking);
    for (const Envelope& m : ready.messages) EXPECT_NE(m.type, "ack-epoch");
    EXPECT_EQ(node_->durable().acked_leader, "n2");
    // Nor does it rejoin n3 when n3 and its followers answer its notifications.
    for (const auto& [from, state] : {std::pair{"n2", "following"}, {"n3", "leading"}}) {
      Json answer = {{"leader", "n3"}, {"zxid", 1ULL << 32}, {"epoch", 1u}, {"round", 5u}};
      answer["state"] = state;
      EXPECT_TRUE(node_->Step({from, "n1", "notification", answer}));
    }
    EXPECT_EQ(node_->state(), Zab::State::kLooking);
  } else {
    // n1 acks a second leader in epoch 1: with n3's own, a quorum of 3.
    ASSERT_TRUE(ready.state);
    EXPECT_EQ(ready.events, std::vector{ContractEvent::Vote(1, "n3")});
    ASSERT_EQ(ready.messages.size(), 1u);
    EXPECT_EQ(ready.messages[0], (Envelope{"n1", "n3", "ack-epoch", {{"epoch", 1u}}}));
  }
}

INSTANTIATE_TEST_SUITE_P(Bugs, NodesZabStaleEpoch,
                         ::testing::Values(zab::Bug::kNone, zab::Bug::kAcceptOldEpoch),
                         [](const ::testing::TestParamInfo<zab::Bug>& param) {
                           return param.param == zab::Bug::kNone ? "Correct" : "AcceptOldEpoch";
                         });

}  // namespace
}  // namespace schism::nodes
