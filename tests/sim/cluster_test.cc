// Tests of the simulator itself (tests/sim/): links, crashes, bounds and the
// history it writes. The electors' own behaviour is tested in tests/nodes/.

#include "tests/sim/cluster.h"

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "tests/sim/random_run.h"

namespace schism::sim {
namespace {

// Bully with leader timeouts of exactly 15 ticks: n1 starts an election first.
ClusterSpec Bully() {
  return {"bully", 3, "", {{"leader-timeout-min-ms", 150}, {"leader-timeout-max-ms", 150}}};
}

TEST(Sim, UnknownElectorOrBugIsRefused) {
  EXPECT_THROW(Cluster({"paxos"}), std::invalid_argument);
  EXPECT_THROW(Cluster({"raft", 3, "no-such-bug"}), std::invalid_argument);
}

TEST(Sim, ACutLinkLosesMessagesInOneDirectionOnly) {
  Cluster c(Bully());
  c.Cut("n1", "n2");
  EXPECT_FALSE(c.Linked("n1", "n2"));
  EXPECT_TRUE(c.Linked("n2", "n1"));
  EXPECT_FALSE(c.Deliver({"n1", "n2", "election"}));
  EXPECT_TRUE(c.Deliver({"n2", "n1", "election"}));
  c.Heal();
  EXPECT_TRUE(c.Linked("n1", "n2"));
}

TEST(Sim, APartitionCutsBetweenComponentsOnly) {
  Cluster c({"raft", 5});
  c.Partition({{"n1", "n2"}, {"n3", "n4"}});
  EXPECT_TRUE(c.Linked("n1", "n2"));
  EXPECT_FALSE(c.Linked("n2", "n3"));
  EXPECT_FALSE(c.Linked("n3", "n1"));
  EXPECT_FALSE(c.Linked("n5", "n4"));  // In no component: alone.
}

TEST(Sim, ACrashedNodeNeitherTicksNorReceivesAndRestartsFromItsState) {
  Cluster c({"raft", 3});
  c.TakeOutputs();
  c.Crash("n1");
  c.Tick("n1", 100);
  EXPECT_TRUE(c.TakeOutputs().empty());
  EXPECT_FALSE(c.Deliver({"n2", "n1", "heartbeat", {{"term", 4u}}}));
  c.Restart("n1");
  EXPECT_TRUE(c.up("n1"));
  EXPECT_TRUE(c.Deliver({"n2", "n1", "heartbeat", {{"term", 4u}}}));
  EXPECT_EQ(c.persisted("n1"), (Json{{"term", 4u}, {"votedFor", nullptr}}));
  c.Restart("n1");
  EXPECT_EQ(c.events("n1").back(),
            ContractEvent::RoleChange(ContractEvent::Role::kFollower, 4, ""));
}

TEST(Sim, SweepKeepsHeldMessagesAheadOfNewOnes) {
  Cluster c(Bully());
  c.Tick("n1", 15);  // n1 -> n2 election, n1 -> n3 election.
  ASSERT_EQ(c.in_flight().size(), 2u);
  c.Sweep([](const Envelope& m) { return m.to == "n2" ? Fate::kDeliver : Fate::kHold; });
  ASSERT_GE(c.in_flight().size(), 2u);
  EXPECT_EQ(c.in_flight().front().to, "n3");  // Held, then n2's answers.
  EXPECT_EQ(c.in_flight()[1].from, "n2");
}

TEST(Sim, StabilizeIsBoundedAndSaysSo) {
  Cluster c(Bully());
  c.Tick("n1", 15);
  EXPECT_EQ(c.Stabilize(1), 1);
  ASSERT_EQ(c.TakeComplaints().size(), 1u);
  c.Stabilize();
  EXPECT_TRUE(c.in_flight().empty());
  EXPECT_TRUE(c.TakeComplaints().empty());
}

TEST(Sim, ARandomRunIsDeterministicAndWritesAHistory) {
  RandomRun a({"zab", 5, "", {}, 7});
  RandomRun b({"zab", 5, "", {}, 7});
  a.Run(500);
  b.Run(500);
  EXPECT_EQ(a.history(), b.history());
  EXPECT_NE(a.history().find("\"type\":\"run\",\"f\":\"start\""), std::string::npos);
  EXPECT_NE(a.history().find("\"type\":\"role\""), std::string::npos);
  EXPECT_NE(a.history().find("\"type\":\"run\",\"f\":\"end\""), std::string::npos);
}

}  // namespace
}  // namespace schism::sim
