// Deterministic tests of the Raft election state machine (nodes/raft.h),
// driven as the table's "raft" elector through the simulator of
// tests/sim/cluster.h; Raft's own state is read through RaftElector::raft().

#include "nodes/raft.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "nodes/codec.h"
#include "nodes/raft_elector.h"
#include "tests/sim/cluster.h"

namespace schism::nodes {

// Readable failure messages (found by ADL).
std::ostream& operator<<(std::ostream& os, const ContractEvent& e) { return os << FormatEvent(e); }
std::ostream& operator<<(std::ostream& os, const Message& m) {
  return os << ToString(m.type) << " " << m.from << "->" << m.to << " term=" << m.term
            << " granted=" << m.granted;
}
std::ostream& operator<<(std::ostream& os, const HardState& s) {
  return os << "{term=" << s.term << " votedFor=" << s.voted_for << "}";
}

namespace {

using Network = sim::Cluster;
using Options = std::map<std::string, std::int64_t>;

// Election timeouts of 10 to 20 ticks, heartbeats every 3 (ticks of 10 ms).
constexpr int kElectionMinTicks = 10;
constexpr int kElectionMaxTicks = 20;
constexpr int kHeartbeatTicks = 3;

// n1..n<size> running the table's raft elector with the timeouts above, node
// i seeded with seed + i; `extra` adds options, e.g. {"pre-vote", 1}.
sim::ClusterSpec RaftSpec(int size, Options extra = {}, std::string bug = "",
                          std::uint64_t seed = 42) {
  Options options = {{"election-min-ms", kElectionMinTicks * 10},
                     {"election-max-ms", kElectionMaxTicks * 10},
                     {"heartbeat-ms", kHeartbeatTicks * 10}};
  options.insert(extra.begin(), extra.end());
  return {"raft", size, std::move(bug), std::move(options), seed, 10};
}

// The Raft state machine inside node `id`.
const Raft& R(Network& net, const std::string& id) {
  return dynamic_cast<const RaftElector&>(net.node(id)).raft();
}

// Ticks and stabilizes, `rounds` times: every message is delivered.
void Rounds(Network& net, int rounds) {
  for (int r = 0; r < rounds; ++r) {
    net.TickAll();
    net.Stabilize();
  }
}

void Deliver(Network& net, const Message& m) { net.Deliver(ToEnvelope(m)); }

void DropAll(Network& net) {
  net.DropIf([](const Envelope&) { return true; });
}

// The ids of the nodes that currently consider themselves leader.
std::vector<std::string> Leaders(Network& net) {
  std::vector<std::string> leaders;
  for (const std::string& id : net.ids()) {
    if (R(net, id).role() == Role::kLeader) leaders.push_back(id);
  }
  return leaders;
}

// Every (term -> nodes) that ever reported leadership; safety means one node per term.
std::map<std::uint64_t, std::set<std::string>> LeadersByTerm(Network& net) {
  std::map<std::uint64_t, std::set<std::string>> leaders;
  for (const std::string& id : net.ids()) {
    for (const ContractEvent& e : net.events(id)) {
      if (e.kind == ContractEvent::Kind::kRole && e.role == ContractEvent::Role::kLeader) {
        leaders[e.term.value_or(0)].insert(id);
      }
    }
  }
  return leaders;
}

// What node `id` last persisted, decoded ({} when it never wrote).
HardState Persisted(Network& net, const std::string& id) {
  HardState state;
  std::string why;
  if (const auto json = net.persisted(id)) {
    EXPECT_TRUE(FromJson(*json, &state, &why)) << why;
  }
  return state;
}

// How many vote events `id` reported for `term` (across restarts).
int VotesReported(Network& net, const std::string& id, std::uint64_t term) {
  int votes = 0;
  for (const ContractEvent& e : net.events(id)) {
    votes += e.kind == ContractEvent::Kind::kVote && e.term == term ? 1 : 0;
  }
  return votes;
}

// Every term has at most one node that ever claimed to lead it.
void ExpectElectionSafety(Network& net) {
  for (const auto& [term, leaders] : LeadersByTerm(net)) {
    EXPECT_EQ(leaders.size(), 1u) << "term " << term;
  }
  for (const std::string& complaint : net.TakeComplaints()) ADD_FAILURE() << complaint;
}

// Runs the network until exactly one leader is known to all nodes; returns it.
std::string ElectLeader(Network& net, int max_rounds = 200) {
  for (int r = 0; r < max_rounds; ++r) {
    Rounds(net, 1);
    const auto leaders = Leaders(net);
    if (leaders.size() != 1) continue;
    bool agreed = true;
    for (const std::string& id : net.ids()) {
      agreed = agreed && R(net, id).leader() == leaders[0] &&
               R(net, id).term() == R(net, leaders[0]).term();
    }
    if (agreed) return leaders[0];
  }
  ADD_FAILURE() << "no leader after " << max_rounds << " rounds";
  return "";
}

Message VoteRequest(const std::string& from, const std::string& to, std::uint64_t term) {
  return Message{MessageType::kRequestVote, from, to, term, false};
}

// The answer to `from` sent most recently among the in-flight messages.
bool LastVoteGranted(Network& net, const std::string& from) {
  for (auto it = net.in_flight().rbegin(); it != net.in_flight().rend(); ++it) {
    if (it->type == ToString(MessageType::kRequestVoteResponse) && it->to == from) {
      return it->fields.at("granted").get<bool>();
    }
  }
  ADD_FAILURE() << "no vote response to " << from;
  return false;
}

TEST(NodesRaft, SingleNodeBecomesLeader) {
  Network net(RaftSpec(1));
  net.Tick("n1", 20);
  EXPECT_EQ(R(net, "n1").role(), Role::kLeader);
  EXPECT_EQ(R(net, "n1").term(), 1u);
  EXPECT_EQ(Persisted(net, "n1"), (HardState{1, "n1"}));
  const std::vector<ContractEvent> expected = {
      ContractEvent::RoleChange(ContractEvent::Role::kFollower, 0, ""),
      ContractEvent::RoleChange(ContractEvent::Role::kCandidate, 1, ""),
      ContractEvent::Vote(1, "n1"),
      ContractEvent::RoleChange(ContractEvent::Role::kLeader, 1, "n1"),
  };
  EXPECT_EQ(net.events("n1"), expected);
}

TEST(NodesRaft, ThreeNodesConvergeOnOneLeaderAndKeepIt) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  Rounds(net, 500);  // Heartbeats keep every follower from timing out.
  EXPECT_EQ(Leaders(net), std::vector<std::string>{leader});
  EXPECT_EQ(R(net, leader).term(), term);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, FiveNodesConvergeOnOneLeader) {
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    Network net(RaftSpec(5, {}, "", seed * 1000));
    ElectLeader(net);
    EXPECT_EQ(Leaders(net).size(), 1u) << "seed " << seed;
    ExpectElectionSafety(net);
  }
}

TEST(NodesRaft, SplitVoteResolvesInALaterTerm) {
  Network net(RaftSpec(4));
  while (R(net, "n1").role() != Role::kCandidate) net.Tick("n1");
  while (R(net, "n2").role() != Role::kCandidate) net.Tick("n2");
  ASSERT_EQ(R(net, "n1").term(), 1u);
  ASSERT_EQ(R(net, "n2").term(), 1u);
  // n3 hears n1 first and n4 hears n2 first: two votes each, no quorum of three.
  net.DeliverIf([](const Envelope& m) {
    return (m.from == "n1" && m.to == "n3") || (m.from == "n2" && m.to == "n4");
  });
  net.Stabilize();
  EXPECT_TRUE(Leaders(net).empty());
  EXPECT_EQ(R(net, "n3").voted_for(), "n1");
  EXPECT_EQ(R(net, "n4").voted_for(), "n2");

  const std::string leader = ElectLeader(net);
  EXPECT_GE(R(net, leader).term(), 2u);
  EXPECT_EQ(LeadersByTerm(net).count(1), 0u);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, HigherTermForcesLeaderToStepDown) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  const std::string other = leader == "n1" ? "n2" : "n1";
  Deliver(net, Message{MessageType::kHeartbeatResponse, other, leader, term + 5, false});
  EXPECT_EQ(R(net, leader).role(), Role::kFollower);
  EXPECT_EQ(R(net, leader).term(), term + 5);
  EXPECT_EQ(R(net, leader).voted_for(), "");
  EXPECT_EQ(Persisted(net, leader), (HardState{term + 5, ""}));
}

TEST(NodesRaft, HigherTermVoteRequestIsGrantedByTheOldLeader) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  const std::string other = leader == "n1" ? "n2" : "n1";
  DropAll(net);
  Deliver(net, VoteRequest(other, leader, term + 1));
  EXPECT_EQ(R(net, leader).role(), Role::kFollower);
  EXPECT_TRUE(LastVoteGranted(net, other));
  EXPECT_EQ(Persisted(net, leader), (HardState{term + 1, other}));
}

TEST(NodesRaft, CheckQuorumStepsDownAnIsolatedLeader) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  net.Isolate(leader);
  // The first check may still count peers heard from before the isolation; the
  // second cannot.
  net.Tick(leader, kElectionMinTicks);
  net.Tick(leader, kElectionMinTicks);
  EXPECT_EQ(R(net, leader).role(), Role::kFollower);
  EXPECT_EQ(R(net, leader).leader(), "");
  EXPECT_EQ(net.events(leader).back(),
            ContractEvent::RoleChange(ContractEvent::Role::kFollower, R(net, leader).term(), ""));
}

TEST(NodesRaft, WithoutCheckQuorumAnIsolatedLeaderKeepsLeading) {
  Network net(RaftSpec(3, {{"no-check-quorum", 1}}));
  const std::string leader = ElectLeader(net);
  net.Isolate(leader);
  net.Tick(leader, 10 * kElectionMaxTicks);
  EXPECT_EQ(R(net, leader).role(), Role::kLeader);
}

TEST(NodesRaft, NoStepDownBugKeepsAnIsolatedLeaderLeadingBesideTheNewOne) {
  Network net(RaftSpec(3, {}, "no-step-down"));
  const std::string old_leader = ElectLeader(net);
  const std::uint64_t old_term = R(net, old_leader).term();
  net.Isolate(old_leader);
  Rounds(net, 10 * kElectionMaxTicks);  // check-quorum does not demote it; the others elect
  EXPECT_EQ(R(net, old_leader).role(), Role::kLeader);
  ASSERT_EQ(Leaders(net).size(), 2u);
  // Healed, it hears the new leader's higher term, and still leads its own.
  net.Heal();
  Rounds(net, 2 * kHeartbeatTicks);
  EXPECT_EQ(R(net, old_leader).role(), Role::kLeader);
  EXPECT_EQ(R(net, old_leader).term(), old_term);
  EXPECT_EQ(Leaders(net).size(), 2u);
}

TEST(NodesRaft, CandidateResendsVoteRequestsToPeersThatHaveNotAnswered) {
  Network net(RaftSpec(3));
  while (R(net, "n1").role() != Role::kCandidate) net.Tick("n1");
  DropAll(net);  // Both requests are lost.
  net.Tick("n1", kHeartbeatTicks);
  ASSERT_EQ(net.in_flight().size(), 2u);  // Both peers are asked again.
  DropAll(net);

  // n2 refuses (so n1 stays a candidate): from now on only n3 is asked again.
  Deliver(net, Message{MessageType::kRequestVoteResponse, "n2", "n1", 1, false});
  net.Tick("n1", kHeartbeatTicks);
  ASSERT_EQ(net.in_flight().size(), 1u);
  EXPECT_EQ(FromEnvelope(net.in_flight().front()),
            (Message{MessageType::kRequestVote, "n1", "n3", 1, false}));
  EXPECT_EQ(R(net, "n1").term(), 1u);  // Re-sending is not a new election.
}

TEST(NodesRaft, PreVoteStopsAnIsolatedNodeFromInflatingTerms) {
  Network net(RaftSpec(3, {{"pre-vote", 1}}));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  const std::string loner = leader == "n3" ? "n2" : "n3";
  net.Isolate(loner);
  for (int i = 0; i < 20 * kElectionMaxTicks; ++i) Rounds(net, 1);
  EXPECT_EQ(R(net, loner).term(), term);
  EXPECT_EQ(R(net, loner).role(), Role::kPreCandidate);
  net.Heal();
  Rounds(net, 3 * kElectionMaxTicks);
  EXPECT_EQ(Leaders(net), std::vector<std::string>{leader});
  EXPECT_EQ(R(net, leader).term(), term);
  EXPECT_EQ(R(net, loner).leader(), leader);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, WithoutPreVoteAnIsolatedNodeInflatesTermsAndDisruptsOnReturn) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  const std::string loner = leader == "n3" ? "n2" : "n3";
  net.Isolate(loner);
  Rounds(net, 10 * kElectionMaxTicks);
  EXPECT_GT(R(net, loner).term(), term + 5);
  net.Heal();
  ElectLeader(net);
  EXPECT_GT(R(net, Leaders(net)[0]).term(), term + 5);
  ExpectElectionSafety(net);
}

TEST(NodesRaft, PreVoteIsRefusedByANodeThatHearsFromTheLeader) {
  Network net(RaftSpec(3, {{"pre-vote", 1}}));
  const std::string leader = ElectLeader(net);
  const std::uint64_t term = R(net, leader).term();
  std::string cut_off, witness;
  for (const std::string& id : net.ids()) {
    if (id == leader) continue;
    (cut_off.empty() ? cut_off : witness) = id;
  }
  net.CutBetween(leader, cut_off);  // cut_off still reaches the witness, which is in lease.
  Rounds(net, 10 * kElectionMaxTicks);
  EXPECT_EQ(R(net, cut_off).term(), term);
  EXPECT_EQ(R(net, witness).leader(), leader);
  EXPECT_EQ(Leaders(net), std::vector<std::string>{leader});
}

TEST(NodesRaft, RestartRestoresTermAndVoteAsFollower) {
  Network net(RaftSpec(3));
  const std::string leader = ElectLeader(net);
  const HardState before = Persisted(net, leader);
  net.Restart(leader);
  EXPECT_EQ(R(net, leader).role(), Role::kFollower);
  EXPECT_EQ(R(net, leader).term(), before.term);
  EXPECT_EQ(R(net, leader).voted_for(), before.voted_for);
  EXPECT_EQ(net.events(leader).back(),
            ContractEvent::RoleChange(ContractEvent::Role::kFollower, before.term, ""));
}

// The scenario of the vote tests: n3 grants n1's request in term 1, is
// (optionally) restarted from what it persisted, then n2 asks in term 1.
void VoteTwiceScenario(Network& net, bool restart, bool* second_granted) {
  Deliver(net, VoteRequest("n1", "n3", 1));
  ASSERT_TRUE(LastVoteGranted(net, "n1"));
  if (restart) net.Restart("n3");
  Deliver(net, VoteRequest("n2", "n3", 1));
  *second_granted = LastVoteGranted(net, "n2");
}

TEST(NodesRaft, PersistedVoteIsHonouredAfterRestart) {
  Network net(RaftSpec(3));
  bool second = true;
  VoteTwiceScenario(net, /*restart=*/true, &second);
  EXPECT_FALSE(second);
  EXPECT_EQ(Persisted(net, "n3"), (HardState{1, "n1"}));
  EXPECT_EQ(VotesReported(net, "n3", 1), 1);
}

TEST(NodesRaft, DoubleVoteBugGrantsTwiceInOneTerm) {
  Network net(RaftSpec(3, {}, "double-vote"));
  bool second = false;
  VoteTwiceScenario(net, /*restart=*/false, &second);
  EXPECT_TRUE(second);
  EXPECT_EQ(VotesReported(net, "n3", 1), 2);
}

TEST(NodesRaft, DoubleVoteBugGrantsWhileBeingACandidate) {
  Network net(RaftSpec(3, {}, "double-vote"));
  while (R(net, "n1").role() != Role::kCandidate) net.Tick("n1");
  Deliver(net, VoteRequest("n2", "n1", 1));
  EXPECT_TRUE(LastVoteGranted(net, "n2"));
  EXPECT_EQ(VotesReported(net, "n1", 1), 2);  // Itself, then n2.
}

TEST(NodesRaft, ForgetVoteBugKeepsTheVoteInMemoryOnly) {
  Network net(RaftSpec(3, {}, "forget-vote"));
  bool second = true;
  VoteTwiceScenario(net, /*restart=*/false, &second);
  EXPECT_FALSE(second);                                 // Still correct while the process lives...
  EXPECT_EQ(Persisted(net, "n3"), (HardState{1, ""}));  // ...but the vote never hit the disk.
}

TEST(NodesRaft, ForgetVoteBugGrantsTwiceInOneTermAcrossARestart) {
  Network net(RaftSpec(3, {}, "forget-vote"));
  bool second = false;
  VoteTwiceScenario(net, /*restart=*/true, &second);
  EXPECT_TRUE(second);
  EXPECT_EQ(VotesReported(net, "n3", 1), 2);
}

TEST(NodesRaft, DoubleVoteBugCanElectTwoLeadersInOneTerm) {
  Network net(RaftSpec(3, {{"no-check-quorum", 1}}, "double-vote"));
  while (R(net, "n1").role() != Role::kCandidate) net.Tick("n1");
  while (R(net, "n2").role() != Role::kCandidate) net.Tick("n2");
  net.DeliverIf([](const Envelope& m) { return m.to == "n3"; });  // n3 grants both.
  net.Stabilize();
  EXPECT_EQ(LeadersByTerm(net).at(1).size(), 2u);
}

TEST(NodesRaft, MessagesFromStrangersOrForOthersAreIgnored) {
  Network net(RaftSpec(3));
  EXPECT_TRUE(net.node("n1").Step(ToEnvelope(VoteRequest("n9", "n1", 7))));
  EXPECT_TRUE(
      net.node("n1").Step(ToEnvelope(Message{MessageType::kHeartbeat, "n2", "n3", 9, false})));
  EXPECT_FALSE(net.node("n1").HasReady());
  EXPECT_EQ(R(net, "n1").term(), 0u);
}

}  // namespace
}  // namespace schism::nodes
