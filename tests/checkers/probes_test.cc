// How the checkers judge roles that probes observed: each is known only at
// some instant between the probe's "sent" and its answer's "t".

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "check_history.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

const std::string kStart3 = R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]})";

// The negative control: answers of two members' probes both claim term 4.
const std::string kTwoProbedLeadersOneTerm = kStart3 + R"(
{"i":1,"t":1.02,"type":"role","node":"n1","role":"leader","term":4,"leader":"n1","sent":1.0}
{"i":2,"t":1.03,"type":"role","node":"n2","role":"follower","term":4,"leader":"n1","sent":1.01}
{"i":3,"t":3.02,"type":"role","node":"n3","role":"leader","term":4,"leader":"n3","sent":3.0}
)";

TEST(ProbedRoles, TwoMembersClaimingOneTermAreFlagged) {
  Verdict v = CheckHistory("election-safety", kTwoProbedLeadersOneTerm);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 3}));
}

// n1 leads, a partition leaves it alone at t=2; probes sent at 3.0 and 4.4
// still see it lead, and the answer to the one sent at 4.4 comes only at 6.
std::string Stranded(double last_sent, double last_answer) {
  return kStart3 + R"(
{"i":1,"t":1.02,"type":"role","node":"n1","role":"leader","term":1,"leader":"n1","sent":1.0}
{"i":2,"t":1.03,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1","sent":1.01}
{"i":3,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
{"i":4,"t":3.02,"type":"role","node":"n1","role":"leader","term":1,"leader":"n1","sent":3.0}
{"i":5,"t":)" + std::to_string(last_answer) +
         R"(,"type":"role","node":"n1","role":"leader","term":1,"leader":"n1","sent":)" +
         std::to_string(last_sent) + R"(}
{"i":6,"t":)" + std::to_string(last_answer + 0.01) +
         R"(,"type":"role","node":"n1","role":"follower","term":2,"sent":)" +
         std::to_string(last_answer) + R"(}
{"i":7,"t":9.0,"type":"nemesis","f":"partition","phase":"end"}
)";
}

TEST(ProbedRoles, AStrandingIsMeasuredToTheSendingOfTheLastProbeThatSawALeader) {
  // Sent 1.4 s into the partition: within the 1.5 s grace, however late the answer.
  Verdict within = CheckHistory("partition-quorum", Stranded(3.4, 6.0));
  EXPECT_EQ(within.valid, Validity::kValid) << within.reason;
  // Sent 2.4 s into it: the leader provably led a minority past the grace.
  Verdict past = CheckHistory("partition-quorum", Stranded(4.4, 4.42));
  EXPECT_EQ(past.valid, Validity::kInvalid) << past.reason;
  EXPECT_EQ(past.evidence, (std::vector<std::uint64_t>{1, 3, 5}));
  EXPECT_THAT(past.reason, HasSubstr("for over 2.400 s"));
}

// Termless nodes whose probes saw two leaders in turn.
const std::string kTermlessProbedLeaders = kStart3 + R"(
{"i":1,"t":1.02,"type":"role","node":"n1","role":"leader","sent":1.0}
{"i":2,"t":1.05,"type":"role","node":"n2","role":"leader","sent":1.03}
{"i":3,"t":1.30,"type":"role","node":"n1","role":"follower","leader":"n2","sent":1.27}
)";

TEST(ProbedRoles, TermlessLeadersSeenByProbesCannotProveASplitBrain) {
  Verdict v = CheckHistory("split-brain", kTermlessProbedLeaders);
  EXPECT_EQ(v.valid, Validity::kUnknown) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("cannot prove two leaders at one instant"));
}

// n2's probe saw it follow n3 in term 2, but n3's probes never saw it lead.
const std::string kUnseenLeader = kStart3 + R"(
{"i":1,"t":1.02,"type":"role","node":"n1","role":"leader","term":1,"leader":"n1","sent":1.0}
{"i":2,"t":1.03,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1","sent":1.01}
{"i":3,"t":2.03,"type":"role","node":"n2","role":"follower","term":2,"leader":"n3","sent":2.01}
)";

TEST(ProbedRoles, AFollowerOfALeaderNoProbeSawIsNotAPhantom) {
  Verdict v = CheckHistory("agreement", kUnseenLeader);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("except 1 seen by probes"));
  EXPECT_EQ(v.details["unseen_by_probes"], 1);
}

TEST(ProbedRoles, TheSameFollowerLinePrintedByTheNodeIsAPhantom) {
  std::string printed = kUnseenLeader;
  printed.replace(printed.rfind(R"(,"sent":2.01)"), 12, "");
  Verdict v = CheckHistory("agreement", printed);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{3}));
}

// After the final heal only n1's probe answers; the others time out.
const std::string kBlindAfterHeal = kStart3 + R"(
{"i":1,"t":1.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
{"i":2,"t":2.0,"type":"nemesis","f":"final-heal","phase":"end"}
{"i":3,"t":2.5,"type":"role","node":"n1","role":"follower","term":3,"sent":2.4}
{"i":4,"t":3.4,"type":"process","f":"probe-failed","node":"n2","sent":2.4,"why":"no answer within 1000 ms","timed_out":true}
{"i":5,"t":3.4,"type":"process","f":"probe-failed","node":"n3","sent":2.4,"why":"no answer within 1000 ms","timed_out":true}
{"i":6,"t":9.0,"type":"run","f":"end"}
)";

TEST(ProbedRoles, BlindProbesMakeLivenessUnknownNotInvalid) {
  CheckOptions options;
  options.liveness_deadline_s = 4;
  Verdict v = CheckHistory("liveness", kBlindAfterHeal, options);
  EXPECT_EQ(v.valid, Validity::kUnknown) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("probes observed only 1 of 3 nodes"));
}

TEST(ProbedRoles, ProbesCheckerNamesANodeNeverObserved) {
  Verdict v = CheckHistory("probes", kBlindAfterHeal);
  EXPECT_EQ(v.valid, Validity::kUnknown) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("n2 was never observed by its probe (1 failed; first: no answer"));
  EXPECT_EQ(v.details["nodes"]["n3"]["failed_while_up"], 1);
}

TEST(ProbedRoles, ProbesCheckerExcusesFailuresWhileANodeIsDown) {
  const std::string history = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1,"sent":0.9}
{"i":2,"t":1.0,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1","sent":0.9}
{"i":3,"t":1.0,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1","sent":0.9}
{"i":4,"t":1.5,"type":"process","f":"kill","node":"n3","signal":9}
{"i":5,"t":2.0,"type":"process","f":"probe-failed","node":"n3","sent":1.6,"why":"exit status 1"}
{"i":6,"t":2.5,"type":"process","f":"probe-failed","node":"n3","sent":2.1,"why":"exit status 1"}
{"i":7,"t":3.0,"type":"run","f":"end"}
)";
  Verdict v = CheckHistory("probes", history);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason, "3 observations of 3 nodes; 2 probe(s) failed, 0 of them while their node was up");
}

TEST(ProbedRoles, ProbesCheckerIsNotApplicableWithoutProbes) {
  const std::string history = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
)";
  Verdict v = CheckHistory("probes", history);
  EXPECT_EQ(v.valid, Validity::kValid);
  EXPECT_EQ(v.reason, "not applicable: no probes in the history");
}

}  // namespace
}  // namespace schism::checkers
