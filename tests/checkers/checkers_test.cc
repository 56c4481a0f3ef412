// Table-driven tests of each checker on small hand-written histories.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "check_history.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

constexpr char kStart3[] = R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]})"
                           "\n";
constexpr char kStart5[] =
    R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"]})"
    "\n";

// n1 wins term 1, n2 wins term 2 while n1 still believes it leads term 1 and
// says so again: a stale leader, not two leaders of one term.
const std::string kStaleLeader = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"vote","node":"n1","term":1,"for":"n1"}
{"i":2,"t":1.0,"type":"vote","node":"n2","term":1,"for":"n1"}
{"i":3,"t":1.1,"type":"role","node":"n1","role":"leader","term":1}
{"i":4,"t":5.0,"type":"vote","node":"n2","term":2,"for":"n2"}
{"i":5,"t":5.0,"type":"vote","node":"n3","term":2,"for":"n2"}
{"i":6,"t":5.1,"type":"role","node":"n2","role":"leader","term":2}
{"i":7,"t":5.2,"type":"role","node":"n1","role":"leader","term":1}
{"i":8,"t":5.3,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
)";

// n1 reports its election before n3's vote for it is printed.
const std::string kLateVote = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"vote","node":"n1","term":1,"for":"n1"}
{"i":2,"t":1.1,"type":"role","node":"n1","role":"leader","term":1}
{"i":3,"t":1.2,"type":"vote","node":"n3","term":1,"for":"n1"}
)";

// n3 votes for n2 in term 2, is killed, restarts and grants n2 again.
const std::string kRestartKeepsVote = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"vote","node":"n2","term":2,"for":"n2"}
{"i":2,"t":1.0,"type":"vote","node":"n3","term":2,"for":"n2"}
{"i":3,"t":2.0,"type":"process","f":"kill","node":"n3","signal":9}
{"i":4,"t":2.5,"type":"process","f":"start","node":"n3"}
{"i":5,"t":2.6,"type":"vote","node":"n3","term":2,"for":"n2"}
{"i":6,"t":2.7,"type":"role","node":"n2","role":"leader","term":2}
)";

// n3 forgets its vote across a restart and grants a second candidate.
const std::string kDoubleVoteAcrossRestart = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"vote","node":"n2","term":2,"for":"n2"}
{"i":2,"t":1.0,"type":"vote","node":"n3","term":2,"for":"n2"}
{"i":3,"t":2.0,"type":"process","f":"kill","node":"n3","signal":9}
{"i":4,"t":2.5,"type":"process","f":"start","node":"n3"}
{"i":5,"t":2.6,"type":"vote","node":"n1","term":2,"for":"n1"}
{"i":6,"t":2.6,"type":"vote","node":"n3","term":2,"for":"n1"}
{"i":7,"t":2.7,"type":"role","node":"n2","role":"leader","term":2}
{"i":8,"t":2.8,"type":"role","node":"n1","role":"leader","term":2}
)";

const std::string kTwoLeadersOneTerm = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":4}
{"i":2,"t":1.5,"type":"role","node":"n3","role":"follower","term":4,"leader":"n1"}
{"i":3,"t":2.0,"type":"role","node":"n2","role":"leader","term":4}
{"i":4,"t":2.5,"type":"role","node":"n2","role":"leader","term":4}
)";

// In a cluster of five, n1 leads term 1 with its own vote and n2's only.
const std::string kMinorityLeader = std::string(kStart5) + R"(
{"i":1,"t":1.0,"type":"vote","node":"n1","term":1,"for":"n1"}
{"i":2,"t":1.0,"type":"vote","node":"n2","term":1,"for":"n1"}
{"i":3,"t":1.0,"type":"vote","node":"n3","term":1,"for":"n4"}
{"i":4,"t":1.1,"type":"role","node":"n1","role":"leader","term":1}
{"i":5,"t":1.2,"type":"vote","node":"n2","term":1,"for":"n1"}
)";

// Termless elector (e.g. Bully): leaders without terms.
const std::string kTermless = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"role","node":"n3","role":"leader"}
{"i":2,"t":1.0,"type":"role","node":"n1","role":"follower","leader":"n3"}
)";

const std::string kNoRoles = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"process","f":"start","node":"n1"}
)";

// A partition heals at t=10 and a leader with a majority follows at 11.5.
const std::string kHealedQuickly = std::string(kStart3) + R"(
{"i":1,"t":5.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
{"i":2,"t":10.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":3,"t":11.0,"type":"role","node":"n1","role":"leader","term":3}
{"i":4,"t":11.2,"type":"role","node":"n3","role":"follower","term":2,"leader":"n1"}
{"i":5,"t":11.5,"type":"role","node":"n2","role":"follower","term":3,"leader":"n1"}
{"i":6,"t":60.0,"type":"run","f":"end"}
)";

// After the heal at t=10 the nodes keep campaigning until the run ends at 40.
const std::string kNoLeaderAfterHeal = std::string(kStart3) + R"(
{"i":1,"t":5.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":2,"t":10.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":3,"t":11.0,"type":"role","node":"n1","role":"candidate","term":3}
{"i":4,"t":12.0,"type":"role","node":"n2","role":"candidate","term":4}
{"i":5,"t":13.0,"type":"role","node":"n1","role":"leader","term":5}
{"i":6,"t":13.1,"type":"role","node":"n2","role":"follower","term":4,"leader":"n1"}
{"i":7,"t":40.0,"type":"run","f":"end"}
)";

// The same, but the run ends 5 s after the heal.
const std::string kEndsBeforeDeadline = std::string(kStart3) + R"(
{"i":1,"t":5.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":2,"t":10.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":3,"t":11.0,"type":"role","node":"n1","role":"candidate","term":3}
{"i":4,"t":15.0,"type":"run","f":"end"}
)";

// The partition is never healed.
const std::string kFaultStillOpen = std::string(kStart3) + R"(
{"i":1,"t":5.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":2,"t":6.0,"type":"role","node":"n1","role":"leader","term":3}
{"i":3,"t":6.1,"type":"role","node":"n2","role":"follower","term":3,"leader":"n1"}
{"i":4,"t":60.0,"type":"run","f":"end"}
)";

// A leader survives a partition of the third node: it still leads a majority
// at the heal.
const std::string kLeaderSurvivesPartition = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":5.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":4,"t":10.0,"type":"nemesis","f":"heal"}
{"i":5,"t":60.0,"type":"run","f":"end"}
)";

// Five nodes; two are killed and stay dead. Leader plus one follower is 2 of 5.
const std::string kMajorityDead = std::string(kStart5) + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":1.1,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1"}
{"i":4,"t":2.0,"type":"process","f":"kill","node":"n3","signal":9}
{"i":5,"t":2.0,"type":"process","f":"kill","node":"n4","signal":9}
{"i":6,"t":2.5,"type":"nemesis","f":"final-heal","phase":"end"}
{"i":7,"t":30.0,"type":"run","f":"end"}
)";

// A killed node is restarted later: until it speaks again it follows no one.
const std::string kRestartedFollowerCountsAfterItSpeaks = std::string(kStart3) + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":2.0,"type":"process","f":"kill","node":"n2","signal":9}
{"i":4,"t":3.0,"type":"process","f":"start","node":"n2"}
{"i":5,"t":4.5,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":6,"t":30.0,"type":"run","f":"end"}
)";

using Case = VerdictCase;

class CheckerCase : public ::testing::TestWithParam<Case> {};

TEST_P(CheckerCase, Verdict) { ExpectVerdict(GetParam()); }

constexpr Validity kValid = Validity::kValid;
constexpr Validity kInvalid = Validity::kInvalid;
constexpr Validity kUnknown = Validity::kUnknown;

INSTANTIATE_TEST_SUITE_P(
    Histories, CheckerCase,
    ::testing::Values(
        // election-safety
        Case{"SafetyStaleLeader", "election-safety", &kStaleLeader, kValid, {}, "2 terms"},
        Case{"SafetyTwoLeaders",
             "election-safety",
             &kTwoLeadersOneTerm,
             kInvalid,
             {1, 3},
             "two leaders in term 4: n1 (i=1) and n2 (i=3)"},
        Case{"SafetyDoubleVoteTwoLeaders",
             "election-safety",
             &kDoubleVoteAcrossRestart,
             kInvalid,
             {7, 8},
             "term 2"},
        Case{"SafetyTermless",
             "election-safety",
             &kTermless,
             kValid,
             {},
             "not applicable: the elector's leader claims carry no term"},
        Case{"SafetyNoRoles", "election-safety", &kNoRoles, kUnknown, {}, "no role events"},
        Case{"SafetyNoLeader",
             "election-safety",
             &kEndsBeforeDeadline,
             kValid,
             {},
             "no leader claims"},
        // quorum
        Case{"QuorumStaleLeader", "quorum", &kStaleLeader, kValid, {}, "2 leader claims"},
        Case{"QuorumLateVoteCounts", "quorum", &kLateVote, kValid, {}, "at least 2 of 3"},
        Case{"QuorumRestartKeepsVote", "quorum", &kRestartKeepsVote, kValid, {}, ""},
        Case{"QuorumMinority",
             "quorum",
             &kMinorityLeader,
             kInvalid,
             {4, 1, 2},
             "n1 led term 1 (i=4) with 2 vote(s), fewer than a majority of 3 of 5"},
        Case{"QuorumNoVotes",
             "quorum",
             &kTwoLeadersOneTerm,
             kValid,
             {},
             "not applicable: the elector reports no votes"},
        Case{"QuorumNothing", "quorum", &kNoRoles, kUnknown, {}, "no role or vote events"},
        // vote-once
        Case{"VoteOnceRestartKeepsVote",
             "vote-once",
             &kRestartKeepsVote,
             kValid,
             {},
             "in 1 term with votes"},
        Case{"VoteOnceStaleLeader", "vote-once", &kStaleLeader, kValid, {}, ""},
        Case{"VoteOnceAcrossRestart",
             "vote-once",
             &kDoubleVoteAcrossRestart,
             kInvalid,
             {2, 6},
             "n3 voted twice in term 2: for n2 (i=2) and for n1 (i=6)"},
        Case{"VoteOnceNoVotes",
             "vote-once",
             &kTermless,
             kValid,
             {},
             "not applicable: the elector reports no votes"},
        Case{"VoteOnceNothing", "vote-once", &kNoRoles, kUnknown, {}, "no role or vote events"},
        // liveness
        Case{"LivenessHealedQuickly",
             "liveness",
             &kHealedQuickly,
             kValid,
             {},
             "n1 in term 3 with 2 of 3 nodes following 1.500 s after the final heal (i=5)"},
        Case{"LivenessNoLeaderAfterDeadline",
             "liveness",
             &kNoLeaderAfterHeal,
             kInvalid,
             {2, 7},
             "no stable leader within 20.000 s of the final heal (i=2)"},
        Case{"LivenessEndsBeforeDeadline",
             "liveness",
             &kEndsBeforeDeadline,
             kUnknown,
             {},
             "history ends 5.000 s after the final heal, before the deadline"},
        Case{"LivenessFaultStillOpen",
             "liveness",
             &kFaultStillOpen,
             kUnknown,
             {},
             "partition fault started at i=1 is still in force"},
        Case{"LivenessLeaderSurvivesPartition",
             "liveness",
             &kLeaderSurvivesPartition,
             kValid,
             {},
             "0.000 s after the final heal"},
        Case{"LivenessMajorityDead",
             "liveness",
             &kMajorityDead,
             kInvalid,
             {6, 7},
             "no stable leader"},
        Case{"LivenessRestartedFollower",
             "liveness",
             &kRestartedFollowerCountsAfterItSpeaks,
             kValid,
             {},
             "1.500 s after the final heal"},
        // The history ends the moment n2 gets its majority: not seen to hold.
        Case{"LivenessNoFaults",
             "liveness",
             &kStaleLeader,
             kUnknown,
             {},
             "n2 in term 2 with 2 of 3 nodes following (since i=8) had held only 0.000 s of the "
             "1.000 s stability window"},
        Case{"LivenessNoFaultsEndsEarly",
             "liveness",
             &kLateVote,
             kUnknown,
             {},
             "history ends 1.200 s after the run start, before the deadline"}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

TEST(Liveness, ReportsTheTimeItTook) {
  Verdict v = CheckHistory("liveness", kHealedQuickly);
  EXPECT_DOUBLE_EQ(v.details["seconds_to_stable"].get<double>(), 1.5);
  EXPECT_EQ(v.details["leader"], "n1");
  EXPECT_EQ(v.details["term"], 3);
}

TEST(Liveness, LateStableLeaderIsInvalid) {
  CheckOptions options;
  options.liveness_deadline_s = 1.0;
  Verdict v = CheckHistory("liveness", kHealedQuickly, options);
  EXPECT_EQ(v.valid, Validity::kInvalid);
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{2, 5}));
  EXPECT_THAT(v.reason, HasSubstr("no stable leader until 1.500 s after the final heal"));
}

// Every clock ran at x2 from 1 s to 5 s (4 s ahead) and was restored at the
// final heal: each node's clock then stands still until 9 s. `n3_rate` is
// n3's rate (1: its clock was never ahead, so it could move at once).
std::string ClocksRestoredAtTheHeal(const char* n3_rate) {
  std::string history = std::string(kStart3);
  int i = 1;
  for (const char* node : {"n1", "n2", "n3"}) {
    const std::string rate = std::string(node) == "n3" ? n3_rate : "2";
    history += R"({"i":)" + std::to_string(i++) + R"(,"t":1.0,"type":"nemesis","f":"clock","node":")" +
               node + R"(","phase":"start","mode":"rate","rate":)" + rate +
               R"(,"setting":{"offset_ms":-1000,"rate":)" + rate + "}}\n";
  }
  for (const char* node : {"n1", "n2", "n3"}) {
    history += R"({"i":)" + std::to_string(i++) + R"(,"t":5.0,"type":"nemesis","f":"clock","node":")" +
               node + R"(","phase":"end"})" + "\n";
  }
  history += R"({"i":7,"t":9.5,"type":"role","node":"n1","role":"leader","term":3}
{"i":8,"t":9.6,"type":"role","node":"n2","role":"follower","term":3,"leader":"n1"}
{"i":9,"t":30.0,"type":"run","f":"end"})";
  return history;
}

TEST(Liveness, TheDeadlineWaitsWhileEveryNodesClockStandsStill) {
  CheckOptions options;
  options.liveness_deadline_s = 2.0;  // 4.6 s after the heal, 0.6 s after the clocks moved
  Verdict v = CheckHistory("liveness", ClocksRestoredAtTheHeal("2"), options);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_DOUBLE_EQ(v.details["clocks_stood_still_s"].get<double>(), 4.0);
  EXPECT_THAT(v.reason, HasSubstr("; within the deadline of 2.000 s, plus the 4.000 s every "
                                  "node's clock stood still after it (set back by a clock "
                                  "fault's end)"));
}

TEST(Liveness, OneNodeWhoseClockMovedIsEnoughToElect) {
  CheckOptions options;
  options.liveness_deadline_s = 2.0;
  Verdict v = CheckHistory("liveness", ClocksRestoredAtTheHeal("1"), options);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_DOUBLE_EQ(v.details["clocks_stood_still_s"].get<double>(), 0.0);
  EXPECT_THAT(v.reason, HasSubstr("no stable leader until 4.600 s after the final heal "
                                  "(deadline 2.000 s)"));
}

TEST(Quorum, ConfiguredClusterSizeWins) {
  CheckOptions options;
  options.nodes = 3;  // Then 2 votes are a majority.
  EXPECT_EQ(CheckHistory("quorum", kMinorityLeader, options).valid, Validity::kValid);
}

TEST(Quorum, UnknownClusterSize) {
  const std::string history = R"({"i":1,"t":1.0,"type":"vote","node":"n1","term":1,"for":"n1"})";
  Verdict v = CheckHistory("quorum", history);
  EXPECT_EQ(v.valid, Validity::kUnknown);
  EXPECT_THAT(v.reason, HasSubstr("cluster size unknown"));
}

}  // namespace
}  // namespace schism::checkers
