// Script-style tests of the lease elector (nodes/lease.h): each script picks
// which node ticks and which message is delivered, and the transcript of
// contract lines, persisted states and messages is compared with the recorded
// one. Each node's clock is its own tick count. Ticks are 10 ms and leases
// 1000 ms with a 100 ms margin, so a leader claims 89 ticks from sending a
// round (890 ms) and a granter is bound for 111 ticks after receiving it.

#include "nodes/lease.h"

#include <gtest/gtest.h>

#include "nodes/electors.h"
#include "tests/nodes/elector_script.h"

namespace schism::nodes {
namespace {

using testing::ElectorScript;
using testing::ScriptCluster;
using Role = lease::Lease::Role;

// Election timeouts of exactly 15 ticks, renewals every 25.
ScriptCluster Cluster(std::string bug = "") {
  return {"lease", 3, std::move(bug), {{"election-min-ms", 150}, {"election-max-ms", 150}}};
}

lease::Lease& Node(ElectorScript& s, const std::string& id) {
  return static_cast<lease::Lease&>(s.node(id));
}

// Makes n1 leader of term 1 at its tick 15 and checks it did.
void ElectN1(ElectorScript& s) {
  s.Run("tick n1 15\nstabilize\n");
  ASSERT_EQ(Node(s, "n1").role(), Role::kLeader);
}

// With n1 leader and then silent, lets n2 campaign once the grants to n1 have
// expired on n2's and n3's clocks (111 ticks), and returns the transcript.
std::string N2TakesOver(ElectorScript& s) { return s.Run("tick n3 111\ntick n2 126\nstabilize\n"); }

TEST(NodesLease, ALeaderHoldsALeaseWithItsTermAsToken) {
  ElectorScript s(Cluster());
  EXPECT_EQ(s.TakeStartTranscript(),
            "n1: {\"event\":\"role\",\"role\":\"follower\",\"term\":0}\n"
            "n2: {\"event\":\"role\",\"role\":\"follower\",\"term\":0}\n"
            "n3: {\"event\":\"role\",\"role\":\"follower\",\"term\":0}\n");
  EXPECT_EQ(s.Run("tick n1 15\nstabilize\n"),
            R"(n1: persist {"term":1,"grantee":"n1","leaseMs":1000}
n1: {"event":"vote","term":1,"for":"n1"}
n1: {"event":"role","role":"candidate","term":1}
n1 -> n2 lease-request {"term":1,"round":1,"lease_ms":1000,"leader":false,"token":0}
n1 -> n3 lease-request {"term":1,"round":1,"lease_ms":1000,"leader":false,"token":0}
n2: persist {"term":1,"grantee":"n1","leaseMs":1000}
n2: {"event":"vote","term":1,"for":"n1"}
n2: {"event":"role","role":"follower","term":1}
n2 -> n1 lease-grant {"term":1,"round":1,"granted":true}
n3: persist {"term":1,"grantee":"n1","leaseMs":1000}
n3: {"event":"vote","term":1,"for":"n1"}
n3: {"event":"role","role":"follower","term":1}
n3 -> n1 lease-grant {"term":1,"round":1,"granted":true}
n1: {"event":"role","role":"leader","term":1}
n1: {"event":"lease","term":1,"token":1,"lease_ms":890}
)");
}

TEST(NodesLease, TheLeaseCountsFromTheRequestsNotTheGrants) {
  ElectorScript s(Cluster());
  // n2's grant arrives 10 ticks after the requests left: 79 ticks are left.
  EXPECT_TRUE(
      s.Run("tick n1 15\ndeliver n1\ntick n1 10\ndeliver n2 n1\n")
          .ends_with("n1: {\"event\":\"role\",\"role\":\"leader\",\"term\":1}\n"
                     "n1: {\"event\":\"lease\",\"term\":1,\"token\":1,\"lease_ms\":790}\n"));
}

TEST(NodesLease, RenewalKeepsTheTokenAndNamesTheLeader) {
  ElectorScript s(Cluster());
  ElectN1(s);
  EXPECT_EQ(s.Run("tick n1 25\nstabilize\n"),
            R"(n1 -> n2 lease-request {"term":1,"round":2,"lease_ms":1000,"leader":true,"token":1}
n1 -> n3 lease-request {"term":1,"round":2,"lease_ms":1000,"leader":true,"token":1}
n2: {"event":"role","role":"follower","term":1,"leader":"n1"}
n2 -> n1 lease-grant {"term":1,"round":2,"granted":true}
n3: {"event":"role","role":"follower","term":1,"leader":"n1"}
n3 -> n1 lease-grant {"term":1,"round":2,"granted":true}
n1: {"event":"lease","term":1,"token":1,"lease_ms":890}
)");
}

TEST(NodesLease, AGranterRefusesAnotherHolderUntilTheOldLeaseExpiredOnItsClock) {
  ElectorScript s(Cluster());
  ElectN1(s);
  // n3's clock is one tick short of the 111 its grant to n1 binds it for.
  EXPECT_EQ(s.Run("crash n1\ntick n3 110\ntick n2 126\nstabilize\n"),
            R"(n2: persist {"term":2,"grantee":"n2","leaseMs":1000}
n2: {"event":"vote","term":2,"for":"n2"}
n2: {"event":"role","role":"candidate","term":2}
n2 -> n1 lease-request {"term":2,"round":1,"lease_ms":1000,"leader":false,"token":0}
n2 -> n3 lease-request {"term":2,"round":1,"lease_ms":1000,"leader":false,"token":0}
n3 -> n2 lease-grant {"term":1,"round":1,"granted":false}
)");
  EXPECT_EQ(Node(s, "n2").role(), Role::kCandidate);
}

TEST(NodesLease, ANewLeaderComesOnlyAfterTheOldLeaseAndWithAGreaterToken) {
  ElectorScript s(Cluster());
  ElectN1(s);
  s.Run("crash n1");
  EXPECT_EQ(N2TakesOver(s),
            R"(n2: persist {"term":2,"grantee":"n2","leaseMs":1000}
n2: {"event":"vote","term":2,"for":"n2"}
n2: {"event":"role","role":"candidate","term":2}
n2 -> n1 lease-request {"term":2,"round":1,"lease_ms":1000,"leader":false,"token":0}
n2 -> n3 lease-request {"term":2,"round":1,"lease_ms":1000,"leader":false,"token":0}
n3: persist {"term":2,"grantee":"n2","leaseMs":1000}
n3: {"event":"vote","term":2,"for":"n2"}
n3: {"event":"role","role":"follower","term":2}
n3 -> n2 lease-grant {"term":2,"round":1,"granted":true}
n2: {"event":"role","role":"leader","term":2}
n2: {"event":"lease","term":2,"token":2,"lease_ms":890}
)");
}

TEST(NodesLease, ALeaderThatCannotRenewStepsDownBeforeItsLeaseEnds) {
  ElectorScript s(Cluster());
  ElectN1(s);
  // Its round left at tick 15, so its claim ends at tick 104; renewals are lost.
  s.Run("tick n1 87\ndrop n1\n");
  EXPECT_EQ(Node(s, "n1").role(), Role::kLeader);
  EXPECT_EQ(s.Run("tick n1\n"), "n1: {\"event\":\"role\",\"role\":\"follower\",\"term\":1}\n");
  EXPECT_EQ(Node(s, "n1").now(), 103);
  EXPECT_EQ(Node(s, "n1").lease_end(), 104);
}

TEST(NodesLease, ARestartedGranterHonoursItsGrantForAWholeLease) {
  ElectorScript s(Cluster());
  ElectN1(s);
  s.Run("crash n1\ncrash n3\nrestart n3\n");
  EXPECT_EQ(Node(s, "n3").grant_until(), 111);
  s.Run("tick n3 110\ntick n2 126\nstabilize\n");
  EXPECT_EQ(Node(s, "n2").role(), Role::kCandidate);
  s.Run("tick n3\ntick n2 30\nstabilize\n");  // n2 gives up, then campaigns again.
  EXPECT_EQ(Node(s, "n2").role(), Role::kLeader);
  EXPECT_EQ(Node(s, "n2").token(), 3u);
}

// n1 leads, then hears nothing and is heard by nobody while n2 takes over.
void CutOffN1ThenN2TakesOver(ElectorScript& s) {
  ElectN1(s);
  s.Run("tick n1 126\ndrop n1\n");
  N2TakesOver(s);
  ASSERT_EQ(Node(s, "n2").role(), Role::kLeader);
}

TEST(NodesLease, ACutOffLeaderIsGoneBeforeTheNextHolderLeads) {
  ElectorScript s(Cluster());
  CutOffN1ThenN2TakesOver(s);
  EXPECT_EQ(Node(s, "n1").role(), Role::kFollower);
}

TEST(NodesLease, LongLeaseBugClaimsThreeLeasesAndOverlapsTheNextHolder) {
  ElectorScript s(Cluster("long-lease"));
  EXPECT_TRUE(
      s.Run("tick n1 15\nstabilize\n")
          .ends_with("n1: {\"event\":\"lease\",\"term\":1,\"token\":1,\"lease_ms\":2890}\n"));
  s.Run("tick n1 126\ndrop n1\n");
  N2TakesOver(s);
  // n2 leads at n1's tick 141, while n1 acts on its claim until tick 304.
  EXPECT_EQ(Node(s, "n2").role(), Role::kLeader);
  EXPECT_EQ(Node(s, "n1").role(), Role::kLeader);
  EXPECT_EQ(Node(s, "n1").lease_end(), 304);
}

TEST(NodesLease, NoFencingBugReusesThePredecessorsToken) {
  ElectorScript s(Cluster("no-fencing"));
  ElectN1(s);
  EXPECT_EQ(Node(s, "n1").token(), 0u);  // It followed no leader before.
  s.Run("tick n1 25\nstabilize\ncrash n1\n");  // n2 follows n1 once it renews.
  EXPECT_TRUE(N2TakesOver(s).ends_with(
      "n2: {\"event\":\"lease\",\"term\":2,\"token\":0,\"lease_ms\":890}\n"));
}

TEST(NodesLease, CheckRejectsContradictoryOptions) {
  const ElectorSpec& spec = *FindElector("lease");
  const auto check = [&](std::map<std::string, std::int64_t> options) {
    ElectorSetup setup = DefaultSetup(spec);
    for (const auto& [name, value] : options) setup.options[name] = value;
    return spec.check(setup);
  };
  EXPECT_EQ(check({}), "");
  EXPECT_EQ(check({{"election-min-ms", 400}}),
            "--election-min-ms must not exceed --election-max-ms");
  EXPECT_EQ(check({{"margin-ms", 1000}}), "--lease-ms minus --margin-ms must be at least 3 ticks");
  EXPECT_EQ(check({{"renew-ms", 900}}),
            "--renew-ms must be shorter than --lease-ms minus --margin-ms");
}

}  // namespace
}  // namespace schism::nodes
