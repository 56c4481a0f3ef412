// Deterministic tests of the Raft election state machine (nodes/raft.h),
// driven through the in-memory network of raft_network.h.

#include "nodes/raft.h"

#include <gtest/gtest.h>

#include <ostream>

#include "tests/nodes/raft_network.h"

namespace schism::nodes {

// Readable failure messages (found by ADL).
std::ostream& operator<<(std::ostream& os, const Report& r) {
  return os << (r.kind == Report::Kind::kVote ? "vote" : ToString(r.role)) << " term=" << r.term
            << " node=" << r.node;
}
std::ostream& operator<<(std::ostream& os, const Message& m) {
  return os << ToString(m.type) << " " << m.from << "->" << m.to << " term=" << m.term
            << " granted=" << m.granted;
}
std::ostream& operator<<(std::ostream& os, const HardState& s) {
  return os << "{term=" << s.term << " votedFor=" << s.voted_for << "}";
}

namespace {

using testing::Network;

Config BaseConfig() {
  Config config;
  config.election_min_ticks = 10;
  config.election_max_ticks = 20;
  config.heartbeat_ticks = 3;
  config.seed = 42;
  return config;
}

// Every term has at most one node that ever claimed to lead it.
void ExpectElectionSafety(const Network& net) {
  for (const auto& [term, leaders] : net.leaders_by_term()) {
    EXPECT_EQ(leaders.size(), 1u) << "term " << term;
  }
}

// Runs the network until exactly one leader is known to all nodes; returns it.
std::string ElectLeader(Network& net, int max_rounds = 200) {
  for (int r = 0; r < max_rounds; ++r) {
    net.Run(1);
    const auto leaders = net.Leaders();
    if (leaders.size() != 1) continue;
    bool agreed = true;
    for (const std::string& id : net.ids()) {
      agreed = agreed && net.node(id).leader() == leaders[0] &&
               net.node(id).term() == net.node(leaders[0]).term();
    }
    if (agreed) return leaders[0];
  }
  ADD_FAILURE() << "no leader after " << max_rounds << " rounds";
  return "";
}

Message VoteRequest(const std::string& from, const std::string& to, std::uint64_t term) {
  return Message{MessageType::kRequestVote, from, to, term, false};
}

// The answer `to` sent to `from` most recently among the in-flight messages.
bool LastVoteGranted(Network& net, const std::string& from) {
  for (auto it = net.in_flight().rbegin(); it != net.in_flight().rend(); ++it) {
    if (it->type == MessageType::kRequestVoteResponse && it->to == from) return it->granted;
  }
  ADD_FAILURE() << "no vote response to " << from;
  return false;
}

TEST(NodesRaft, SingleNodeBecomesLeader) {
  Network net(1, BaseConfig());
  net.Tick("n1", 20);
  EXPECT_EQ(net.node("n1").role(), Role::kLeader);
  EXPECT_EQ(net.node("n1").term(), 1u);
  EXPECT_EQ(net.persisted("n1"), (HardState{1, "n1"}));
  const std::vector<Report> expected = {
      {Report::Kind::kRole, Role::kFollower, 0, ""},
      {Report::Kind::kRole, Role::kCandidate, 1, ""},
      {Report::Kind::kVote, Role::kFollower, 1, "n1"},
      {Report::Kind::kRole, Role::kLeader, 1, "n1"},
  };
  EXPECT_EQ(net.reports("n1"), expected);
}

TEST(NodesRaft, ThreeNodesConvergeOnOneLeaderAndKeepIt) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  net.Run(500);  // Heartbeats keep every follower from timing out.
  EXPECT_EQ(net.Leaders(), std::vector<std::string>{leader});
  EXPECT_EQ(net.node(leader).term(), term);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, FiveNodesConvergeOnOneLeader) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Config config = BaseConfig();
    config.seed = seed * 1000;
    Network net(5, config);
    ElectLeader(net);
    EXPECT_EQ(net.Leaders().size(), 1u) << "seed " << seed;
    ExpectElectionSafety(net);
  }
}

TEST(NodesRaft, SplitVoteResolvesInALaterTerm) {
  Network net(4, BaseConfig());
  while (net.node("n1").role() != Role::kCandidate) net.Tick("n1");
  while (net.node("n2").role() != Role::kCandidate) net.Tick("n2");
  ASSERT_EQ(net.node("n1").term(), 1u);
  ASSERT_EQ(net.node("n2").term(), 1u);
  // n3 hears n1 first and n4 hears n2 first: two votes each, no quorum of three.
  net.DeliverIf([](const Message& m) {
    return (m.from == "n1" && m.to == "n3") || (m.from == "n2" && m.to == "n4");
  });
  net.Stabilize();
  EXPECT_TRUE(net.Leaders().empty());
  EXPECT_EQ(net.node("n3").voted_for(), "n1");
  EXPECT_EQ(net.node("n4").voted_for(), "n2");

  const std::string leader = ElectLeader(net);
  EXPECT_GE(net.node(leader).term(), 2u);
  EXPECT_EQ(net.leaders_by_term().count(1), 0u);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, HigherTermForcesLeaderToStepDown) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  const std::string other = leader == "n1" ? "n2" : "n1";
  net.Deliver(Message{MessageType::kHeartbeatResponse, other, leader, term + 5, false});
  EXPECT_EQ(net.node(leader).role(), Role::kFollower);
  EXPECT_EQ(net.node(leader).term(), term + 5);
  EXPECT_EQ(net.node(leader).voted_for(), "");
  EXPECT_EQ(net.persisted(leader), (HardState{term + 5, ""}));
}

TEST(NodesRaft, HigherTermVoteRequestIsGrantedByTheOldLeader) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  const std::string other = leader == "n1" ? "n2" : "n1";
  net.in_flight().clear();
  net.Deliver(VoteRequest(other, leader, term + 1));
  EXPECT_EQ(net.node(leader).role(), Role::kFollower);
  EXPECT_TRUE(LastVoteGranted(net, other));
  EXPECT_EQ(net.persisted(leader), (HardState{term + 1, other}));
}

TEST(NodesRaft, CheckQuorumStepsDownAnIsolatedLeader) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  net.Isolate(leader);
  // The first check may still count peers heard from before the isolation; the
  // second cannot.
  net.Tick(leader, BaseConfig().election_min_ticks);
  net.Tick(leader, BaseConfig().election_min_ticks);
  EXPECT_EQ(net.node(leader).role(), Role::kFollower);
  EXPECT_EQ(net.node(leader).leader(), "");
  EXPECT_EQ(net.reports(leader).back(),
            (Report{Report::Kind::kRole, Role::kFollower, net.node(leader).term(), ""}));
}

TEST(NodesRaft, WithoutCheckQuorumAnIsolatedLeaderKeepsLeading) {
  Config config = BaseConfig();
  config.check_quorum = false;
  Network net(3, config);
  const std::string leader = ElectLeader(net);
  net.Isolate(leader);
  net.Tick(leader, 10 * config.election_max_ticks);
  EXPECT_EQ(net.node(leader).role(), Role::kLeader);
}

TEST(NodesRaft, NoStepDownBugKeepsAnIsolatedLeaderLeadingBesideTheNewOne) {
  Config config = BaseConfig();
  config.bug = Bug::kNoStepDown;
  Network net(3, config);
  const std::string old_leader = ElectLeader(net);
  const std::uint64_t old_term = net.node(old_leader).term();
  net.Isolate(old_leader);
  net.Run(10 * config.election_max_ticks);  // check-quorum does not demote it; the others elect
  EXPECT_EQ(net.node(old_leader).role(), Role::kLeader);
  ASSERT_EQ(net.Leaders().size(), 2u);
  // Healed, it hears the new leader's higher term, and still leads its own.
  net.Heal();
  net.Run(2 * config.heartbeat_ticks);
  EXPECT_EQ(net.node(old_leader).role(), Role::kLeader);
  EXPECT_EQ(net.node(old_leader).term(), old_term);
  EXPECT_EQ(net.Leaders().size(), 2u);
}

TEST(NodesRaft, CandidateResendsVoteRequestsToPeersThatHaveNotAnswered) {
  const Config config = BaseConfig();
  Network net(3, config);
  while (net.node("n1").role() != Role::kCandidate) net.Tick("n1");
  net.in_flight().clear();  // Both requests are lost.
  net.Tick("n1", config.heartbeat_ticks);
  ASSERT_EQ(net.in_flight().size(), 2u);  // Both peers are asked again.
  net.in_flight().clear();

  // n2 refuses (so n1 stays a candidate): from now on only n3 is asked again.
  net.Deliver(Message{MessageType::kRequestVoteResponse, "n2", "n1", 1, false});
  net.Tick("n1", config.heartbeat_ticks);
  ASSERT_EQ(net.in_flight().size(), 1u);
  EXPECT_EQ(net.in_flight().front(), (Message{MessageType::kRequestVote, "n1", "n3", 1, false}));
  EXPECT_EQ(net.node("n1").term(), 1u);  // Re-sending is not a new election.
}

TEST(NodesRaft, PreVoteStopsAnIsolatedNodeFromInflatingTerms) {
  Config config = BaseConfig();
  config.pre_vote = true;
  Network net(3, config);
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  const std::string loner = leader == "n3" ? "n2" : "n3";
  net.Isolate(loner);
  for (int i = 0; i < 20 * config.election_max_ticks; ++i) net.Run(1);
  EXPECT_EQ(net.node(loner).term(), term);
  EXPECT_EQ(net.node(loner).role(), Role::kPreCandidate);
  net.Heal();
  net.Run(3 * config.election_max_ticks);
  EXPECT_EQ(net.Leaders(), std::vector<std::string>{leader});
  EXPECT_EQ(net.node(leader).term(), term);
  EXPECT_EQ(net.node(loner).leader(), leader);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, WithoutPreVoteAnIsolatedNodeInflatesTermsAndDisruptsOnReturn) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  const std::string loner = leader == "n3" ? "n2" : "n3";
  net.Isolate(loner);
  net.Run(10 * BaseConfig().election_max_ticks);
  EXPECT_GT(net.node(loner).term(), term + 5);
  net.Heal();
  ElectLeader(net);
  EXPECT_GT(net.node(net.Leaders()[0]).term(), term + 5);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, PreVoteIsRefusedByANodeThatHearsFromTheLeader) {
  Config config = BaseConfig();
  config.pre_vote = true;
  Network net(3, config);
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = net.node(leader).term();
  std::string cut_off, witness;
  for (const std::string& id : net.ids()) {
    if (id == leader) continue;
    (cut_off.empty() ? cut_off : witness) = id;
  }
  net.CutLink(leader, cut_off);  // cut_off still reaches the witness, which is in lease.
  net.Run(10 * config.election_max_ticks);
  EXPECT_EQ(net.node(cut_off).term(), term);
  EXPECT_EQ(net.node(witness).leader(), leader);
  EXPECT_EQ(net.Leaders(), std::vector<std::string>{leader});
}

TEST(NodesRaft, RestartRestoresTermAndVoteAsFollower) {
  Network net(3, BaseConfig());
  const std::string leader = ElectLeader(net);
  const HardState before = net.persisted(leader);
  net.Restart(leader);
  EXPECT_EQ(net.node(leader).role(), Role::kFollower);
  EXPECT_EQ(net.node(leader).term(), before.term);
  EXPECT_EQ(net.node(leader).voted_for(), before.voted_for);
  EXPECT_EQ(net.reports(leader).back(),
            (Report{Report::Kind::kRole, Role::kFollower, before.term, ""}));
}

// The scenario of the vote tests: n3 grants n1's request in term 1, is
// (optionally) restarted from what it persisted, then n2 asks in term 1.
void VoteTwiceScenario(Network& net, bool restart, bool* second_granted) {
  net.Deliver(VoteRequest("n1", "n3", 1));
  ASSERT_TRUE(LastVoteGranted(net, "n1"));
  if (restart) net.Restart("n3");
  net.Deliver(VoteRequest("n2", "n3", 1));
  *second_granted = LastVoteGranted(net, "n2");
}

TEST(NodesRaft, PersistedVoteIsHonouredAfterRestart) {
  Network net(3, BaseConfig());
  bool second = true;
  VoteTwiceScenario(net, /*restart=*/true, &second);
  EXPECT_FALSE(second);
  EXPECT_EQ(net.persisted("n3"), (HardState{1, "n1"}));
  EXPECT_EQ(net.VotesReported("n3", 1), 1);
}

TEST(NodesRaft, DoubleVoteBugGrantsTwiceInOneTerm) {
  Config config = BaseConfig();
  config.bug = Bug::kDoubleVote;
  Network net(3, config);
  bool second = false;
  VoteTwiceScenario(net, /*restart=*/false, &second);
  EXPECT_TRUE(second);
  EXPECT_EQ(net.VotesReported("n3", 1), 2);
}

TEST(NodesRaft, DoubleVoteBugGrantsWhileBeingACandidate) {
  Config config = BaseConfig();
  config.bug = Bug::kDoubleVote;
  Network net(3, config);
  while (net.node("n1").role() != Role::kCandidate) net.Tick("n1");
  net.Deliver(VoteRequest("n2", "n1", 1));
  EXPECT_TRUE(LastVoteGranted(net, "n2"));
  EXPECT_EQ(net.VotesReported("n1", 1), 2);  // Itself, then n2.
}

TEST(NodesRaft, ForgetVoteBugKeepsTheVoteInMemoryOnly) {
  Config config = BaseConfig();
  config.bug = Bug::kForgetVote;
  Network net(3, config);
  bool second = true;
  VoteTwiceScenario(net, /*restart=*/false, &second);
  EXPECT_FALSE(second);                                // Still correct while the process lives...
  EXPECT_EQ(net.persisted("n3"), (HardState{1, ""}));  // ...but the vote never hit the disk.
}

TEST(NodesRaft, ForgetVoteBugGrantsTwiceInOneTermAcrossARestart) {
  Config config = BaseConfig();
  config.bug = Bug::kForgetVote;
  Network net(3, config);
  bool second = false;
  VoteTwiceScenario(net, /*restart=*/true, &second);
  EXPECT_TRUE(second);
  EXPECT_EQ(net.VotesReported("n3", 1), 2);
}

TEST(NodesRaft, DoubleVoteBugCanElectTwoLeadersInOneTerm) {
  Config config = BaseConfig();
  config.bug = Bug::kDoubleVote;
  config.check_quorum = false;
  Network net(3, config);
  while (net.node("n1").role() != Role::kCandidate) net.Tick("n1");
  while (net.node("n2").role() != Role::kCandidate) net.Tick("n2");
  net.DeliverIf([](const Message& m) { return m.to == "n3"; });  // n3 grants both.
  net.Stabilize();
  EXPECT_EQ(net.leaders_by_term().at(1).size(), 2u);
}

TEST(NodesRaft, MessagesFromStrangersOrForOthersAreIgnored) {
  Network net(3, BaseConfig());
  net.node("n1").Step(VoteRequest("n9", "n1", 7));
  net.node("n1").Step(Message{MessageType::kHeartbeat, "n2", "n3", 9, false});
  EXPECT_FALSE(net.node("n1").HasReady());
  EXPECT_EQ(net.node("n1").term(), 0u);
}

}  // namespace
}  // namespace schism::nodes
