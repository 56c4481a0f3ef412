// Table-driven tests of term-monotonic, agreement, lease, fencing,
// partition-quorum and split-brain on small hand-written histories.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "check_history.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

const std::string kStart3 = R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]})";
const std::string kStart5 =
    R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"]})";

// --- term-monotonic ---------------------------------------------------------

// n1 leads term 3, is killed and comes back at term 0: it lost currentTerm.
const std::string kTermBackAfterRestart = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":3}
{"i":2,"t":2.0,"type":"process","f":"kill","node":"n1","signal":9}
{"i":3,"t":2.5,"type":"process","f":"start","node":"n1"}
{"i":4,"t":2.6,"type":"role","node":"n1","role":"follower","term":0}
{"i":5,"t":2.7,"type":"vote","node":"n1","term":0,"for":"n2"}
)";

// A vote in a lower term than the node's role, without any restart.
const std::string kVoteInOldTerm = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n2","role":"follower","term":5}
{"i":2,"t":1.1,"type":"vote","node":"n2","term":4,"for":"n3"}
)";

// Terms rise; a restarted node comes back at the term it had.
const std::string kTermsRise = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"candidate","term":1}
{"i":2,"t":1.0,"type":"vote","node":"n1","term":1,"for":"n1"}
{"i":3,"t":1.1,"type":"role","node":"n1","role":"leader","term":1}
{"i":4,"t":2.0,"type":"process","f":"kill","node":"n1","signal":9}
{"i":5,"t":2.5,"type":"process","f":"start","node":"n1"}
{"i":6,"t":2.6,"type":"role","node":"n1","role":"follower","term":1}
{"i":7,"t":3.0,"type":"role","node":"n1","role":"follower","term":2,"leader":"n2"}
{"i":8,"t":3.1,"type":"role","node":"n2","role":"leader","term":2}
)";

// Termless elector (Bully-like).
const std::string kTermless = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n3","role":"leader"}
{"i":2,"t":1.0,"type":"role","node":"n1","role":"follower","leader":"n3"}
)";

// --- agreement --------------------------------------------------------------

// n3 follows n2 in term 2, but n2 only ever led term 1.
const std::string kPhantomLeader = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n2","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n1","role":"follower","term":1,"leader":"n2"}
{"i":3,"t":2.0,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
)";

// The followers' lines come before the leader's own claim: fine.
const std::string kClaimComesLate = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"follower","term":4,"leader":"n2"}
{"i":2,"t":1.0,"type":"role","node":"n3","role":"follower","term":4,"leader":"n2"}
{"i":3,"t":1.1,"type":"role","node":"n2","role":"leader","term":4}
)";

// A termless follower names a node that never leads.
const std::string kTermlessPhantom = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n3","role":"leader"}
{"i":2,"t":1.1,"type":"role","node":"n1","role":"follower","leader":"n2"}
)";

// --- lease and fencing ------------------------------------------------------

// n2's lease starts at 2.0 while n1's runs until 3.0.
const std::string kOverlappingLeases = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":1,"lease_ms":2000}
{"i":2,"t":2.0,"type":"lease","node":"n2","term":2,"token":2,"lease_ms":2000}
)";

// A killed holder's lease still runs: its successor must wait it out.
const std::string kLeaseOutlivesKill = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":1,"lease_ms":2000}
{"i":2,"t":1.5,"type":"process","f":"kill","node":"n1","signal":9}
{"i":3,"t":2.5,"type":"lease","node":"n2","term":2,"token":2,"lease_ms":2000}
)";

// n1 renews, keeping its token; n2 takes over exactly when n1's lease ends.
const std::string kCleanHandOff = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":7,"lease_ms":1000}
{"i":2,"t":1.5,"type":"lease","node":"n1","term":1,"token":7,"lease_ms":1000}
{"i":3,"t":2.5,"type":"lease","node":"n2","term":2,"token":8,"lease_ms":1000}
{"i":4,"t":3.0,"type":"lease","node":"n2","term":2,"token":9,"lease_ms":1000}
)";

// n3's token goes back below n2's.
const std::string kTokenGoesBack = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":5,"lease_ms":500}
{"i":2,"t":2.0,"type":"lease","node":"n2","term":2,"token":9,"lease_ms":500}
{"i":3,"t":3.0,"type":"lease","node":"n3","term":3,"token":6,"lease_ms":500}
)";

// A new holder reuses the previous holder's token.
const std::string kTokenReused = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":5,"lease_ms":500}
{"i":2,"t":2.0,"type":"lease","node":"n2","term":2,"token":5,"lease_ms":500}
)";

// A holder's renewal lowers its own token.
const std::string kRenewalLowersToken = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"token":5,"lease_ms":500}
{"i":2,"t":1.2,"type":"lease","node":"n1","term":1,"token":4,"lease_ms":500}
)";

// n1 wakes from a pause past its lease and claims it again with its old token,
// after n2 took over with a higher one: two holders at once (lease), which a
// store that keeps the highest token would reject (fencing).
const std::string kStaleHolder = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":5,"token":5,"lease_ms":1000}
{"i":2,"t":2.1,"type":"lease","node":"n2","term":6,"token":6,"lease_ms":1000}
{"i":3,"t":2.5,"type":"lease","node":"n1","term":5,"token":5,"lease_ms":600}
)";

const std::string kLeasesWithoutToken = kStart3 + R"(
{"i":1,"t":1.0,"type":"lease","node":"n1","term":1,"lease_ms":500}
)";

// --- partition-quorum -------------------------------------------------------

// n1 leads; a partition leaves it with n2 only (2 of 5) for 3 s.
const std::string kMinorityLeaderPastGrace = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1","n2"],["n3","n4","n5"]]}
{"i":3,"t":3.0,"type":"role","node":"n3","role":"leader","term":2}
{"i":4,"t":5.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":5,"t":5.1,"type":"role","node":"n1","role":"follower","term":2,"leader":"n3"}
)";

// The same, but n1 steps down after 0.4 s: a stale leader within the grace.
const std::string kStaleLeaderWithinGrace = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1","n2"],["n3","n4","n5"]]}
{"i":3,"t":2.4,"type":"role","node":"n1","role":"follower","term":1}
{"i":4,"t":3.0,"type":"role","node":"n3","role":"leader","term":2}
{"i":5,"t":5.0,"type":"nemesis","f":"partition","phase":"end"}
)";

// n1 is killed 1 s into its stranding, and the partition heals much later.
const std::string kStrandedLeaderKilled = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1","n2"],["n3","n4","n5"]]}
{"i":3,"t":3.0,"type":"process","f":"kill","node":"n1","signal":9}
{"i":4,"t":9.0,"type":"nemesis","f":"partition","phase":"end"}
)";

// The leader is on the majority side for as long as the partition lasts.
const std::string kMajorityLeader = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n3","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1","n2"],["n3","n4","n5"]]}
{"i":3,"t":9.0,"type":"nemesis","f":"partition","phase":"end"}
)";

// A one-way grudge: everyone hears n1 but n1 hears nobody; it is elected
// while the grudge holds and never steps down before the run ends.
const std::string kDeafLeaderUntilTheEnd = kStart5 + R"(
{"i":1,"t":1.0,"type":"nemesis","f":"partition","phase":"start","grudge":{"n1":["n2","n3","n4","n5"],"n2":[],"n3":[],"n4":[],"n5":[]}}
{"i":2,"t":1.5,"type":"role","node":"n1","role":"leader","term":3}
{"i":3,"t":4.0,"type":"run","f":"end"}
)";

// A bridge grudge: n3 hears everyone, the halves do not hear each other.
// n1 reaches n1, n2, n3: a majority.
const std::string kBridgeLeader = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","grudge":{"n1":["n4","n5"],"n2":["n4","n5"],"n3":[],"n4":["n1","n2"],"n5":["n1","n2"]}}
{"i":3,"t":9.0,"type":"nemesis","f":"final-heal","phase":"end"}
)";

// --- split-brain ------------------------------------------------------------

// Termless: n1 and n2 both believe they lead from 2.0 to 3.0.
const std::string kTermlessSplitBrain = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader"}
{"i":2,"t":2.0,"type":"role","node":"n2","role":"leader"}
{"i":3,"t":3.0,"type":"role","node":"n1","role":"follower","leader":"n2"}
)";

// Termless: n1 is killed before n2 takes over.
const std::string kTermlessHandOver = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader"}
{"i":2,"t":2.0,"type":"process","f":"kill","node":"n1","signal":9}
{"i":3,"t":2.5,"type":"role","node":"n2","role":"leader"}
{"i":4,"t":3.0,"type":"process","f":"start","node":"n1"}
)";

// Terms: an old leader overlaps its successor of a newer term.
const std::string kTermedOverlap = kStart3 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"role","node":"n2","role":"leader","term":2}
{"i":3,"t":2.2,"type":"role","node":"n1","role":"follower","term":2,"leader":"n2"}
)";

using Case = VerdictCase;

class SafetyCase : public ::testing::TestWithParam<Case> {};

TEST_P(SafetyCase, Verdict) {
  Verdict verdict = ExpectVerdict(GetParam());
  EXPECT_TRUE(verdict.details.is_object());
}

constexpr Validity kValid = Validity::kValid;
constexpr Validity kInvalid = Validity::kInvalid;
constexpr Validity kUnknown = Validity::kUnknown;

INSTANTIATE_TEST_SUITE_P(
    Histories, SafetyCase,
    ::testing::Values(
        // term-monotonic
        Case{"TermBackAfterRestart",
             "term-monotonic",
             &kTermBackAfterRestart,
             kInvalid,
             {1, 4},
             "n1's term went back from 3 (i=1) to 0 (i=4) across a restart"},
        Case{"TermVoteInOldTerm",
             "term-monotonic",
             &kVoteInOldTerm,
             kInvalid,
             {1, 2},
             "n2's term went back from 5 (i=1) to 4 (i=2)"},
        Case{"TermsRise", "term-monotonic", &kTermsRise, kValid, {}, "in 6 events"},
        Case{"TermTermless",
             "term-monotonic",
             &kTermless,
             kValid,
             {},
             "not applicable: the elector reports no terms"},
        // agreement
        Case{"AgreementPhantom",
             "agreement",
             &kPhantomLeader,
             kInvalid,
             {3},
             "n3 followed n2 in term 2 (i=3), but n2 never claimed leadership in term 2"},
        Case{"AgreementClaimComesLate", "agreement", &kClaimComesLate, kValid, {}, "all 2"},
        Case{"AgreementTermless", "agreement", &kTermless, kValid, {}, "all 1"},
        Case{"AgreementTermlessPhantom",
             "agreement",
             &kTermlessPhantom,
             kInvalid,
             {2},
             "n1 followed n2 (i=2), but n2 never claimed leadership"},
        Case{"AgreementNoFollowers",
             "agreement",
             &kOverlappingLeases,
             kUnknown,
             {},
             "no follower names a leader"},
        // lease
        Case{"LeaseOverlap",
             "lease",
             &kOverlappingLeases,
             kInvalid,
             {1, 2},
             "n2's lease (i=2) began at 2.000 s while n1's (i=1) ran until 3.000 s"},
        Case{"LeaseOutlivesKill", "lease", &kLeaseOutlivesKill, kInvalid, {1, 3}, "n2's lease"},
        Case{"LeaseCleanHandOff", "lease", &kCleanHandOff, kValid, {}, "4 leases"},
        Case{"LeaseNone",
             "lease",
             &kTermless,
             kValid,
             {},
             "not applicable: the elector reports no leases"},
        // fencing
        Case{"FencingCleanHandOff", "fencing", &kCleanHandOff, kValid, {}, "1 holder changes"},
        Case{"FencingTokenGoesBack",
             "fencing",
             &kTokenGoesBack,
             kInvalid,
             {2, 3},
             "new holder n3 got token 6 (i=3) after n2's token 9 (i=2)"},
        Case{"FencingTokenReused", "fencing", &kTokenReused, kInvalid, {1, 2}, "token 5"},
        Case{"FencingRenewalLowers",
             "fencing",
             &kRenewalLowersToken,
             kInvalid,
             {1, 2},
             "renewing holder n1 got token 4"},
        Case{"FencingStaleHolderIsRejectedNotAViolation",
             "fencing",
             &kStaleHolder,
             kValid,
             {},
             "1 lease(s) of a superseded holder carried its old token, which a store that keeps "
             "the highest token rejects (first: n1's token 5 at i=3 after n2's token 6 at i=2)"},
        Case{"LeaseStaleHolderOverlaps", "lease", &kStaleHolder, kInvalid, {2, 3}, "n1"},
        Case{"FencingNoToken", "fencing", &kLeasesWithoutToken, kUnknown, {}, "no fencing token"},
        Case{"FencingNone",
             "fencing",
             &kTermless,
             kValid,
             {},
             "not applicable: the elector reports no leases"},
        // partition-quorum
        Case{"PartitionMinorityLeader",
             "partition-quorum",
             &kMinorityLeaderPastGrace,
             kInvalid,
             {1, 2},
             "n1 went on leading (claim i=1) for over"},
        Case{"PartitionStaleWithinGrace",
             "partition-quorum",
             &kStaleLeaderWithinGrace,
             kValid,
             {},
             "1 stepped down in time"},
        Case{"PartitionStrandedKilled",
             "partition-quorum",
             &kStrandedLeaderKilled,
             kValid,
             {},
             "1 partitions"},
        Case{"PartitionMajorityLeader",
             "partition-quorum",
             &kMajorityLeader,
             kValid,
             {},
             "0 stepped down"},
        Case{"PartitionDeafLeader",
             "partition-quorum",
             &kDeafLeaderUntilTheEnd,
             kInvalid,
             {2, 1},
             "let it reach 1 of 5 nodes"},
        Case{"PartitionBridge", "partition-quorum", &kBridgeLeader, kValid, {}, "0 stepped down"},
        Case{"PartitionNone",
             "partition-quorum",
             &kTermsRise,
             kValid,
             {},
             "no partitions in the history"},
        // split-brain
        Case{"SplitTermless",
             "split-brain",
             &kTermlessSplitBrain,
             kInvalid,
             {1, 2},
             "1 window(s) with two or more live leaders, 1.000 s in all; first at 2.000 s: n1 "
             "(i=1) and n2 (i=2)"},
        Case{"SplitTermlessHandOver",
             "split-brain",
             &kTermlessHandOver,
             kValid,
             {},
             "never two live leaders"},
        Case{"SplitTermed",
             "split-brain",
             &kTermedOverlap,
             kValid,
             {},
             "each between leaders of different terms"},
        Case{"SplitNoRoles", "split-brain", &kOverlappingLeases, kUnknown, {}, "no role events"}),
    [](const ::testing::TestParamInfo<Case>& param) { return std::string(param.param.name); });

TEST(PartitionQuorum, GraceIsAnOption) {
  CheckOptions options;
  options.partition_grace_s = 5.0;  // Longer than the 3 s stranding.
  EXPECT_EQ(CheckHistory("partition-quorum", kMinorityLeaderPastGrace, options).valid, kValid);
  options.partition_grace_s = 0.3;  // Shorter than the 0.4 s step-down.
  Verdict v = CheckHistory("partition-quorum", kStaleLeaderWithinGrace, options);
  EXPECT_EQ(v.valid, kInvalid);
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 2}));
}

TEST(PartitionQuorum, HistoryEndingInsideTheGraceIsFine) {
  const std::string history = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3","n4","n5"]]}
{"i":3,"t":3.0,"type":"run","f":"end"}
)";
  EXPECT_EQ(CheckHistory("partition-quorum", history).valid, kValid);
}

// n1 leads; its clock is set back 1 s at 1.5 s, so it stands still until 2.5 s;
// the partition at 2.0 s leaves it alone. It steps down at `down` s.
std::string SetBackLeader(const char* clock_start, const char* down) {
  return kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":1.5,"type":"nemesis","f":"clock","node":"n1","phase":"start","target":"leader",)" +
         std::string(clock_start) + R"(}
{"i":3,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3","n4","n5"]]}
{"i":4,"t":)" + std::string(down) + R"(,"type":"role","node":"n1","role":"follower","term":1}
)";
}

TEST(PartitionQuorum, TimeTheLeadersClockStoodStillIsNotCounted) {
  // 2.0 s cut off, but its clock moved it on only from 2.5 s: 1.5 s, the grace.
  Verdict v = CheckHistory("partition-quorum",
                           SetBackLeader(R"("mode":"bump","offset_ms":-1000,"setting":{"offset_ms":-1000,"rate":1})", "4.0"));
  EXPECT_EQ(v.valid, kValid) << v.reason;
  EXPECT_EQ(v.reason, "no leader outlasted the 1.500 s grace on a minority in 1 partitions (1 stepped "
                      "down in time; 1 of them in time only by the leader's own clock, which a "
                      "clock fault held back)");
  EXPECT_EQ(v.details["held_back_by_own_clock"], 1);
}

TEST(PartitionQuorum, AStrandingPastTheGraceOnTheLeadersOwnClockFails) {
  Verdict v = CheckHistory("partition-quorum",
                           SetBackLeader(R"("mode":"bump","offset_ms":-1000,"setting":{"offset_ms":-1000,"rate":1})", "4.6"));
  EXPECT_EQ(v.valid, kInvalid);
  EXPECT_EQ(v.reason, "n1 went on leading (claim i=1) for over 2.600 s (2.100 s by its own clock, "
                      "which a clock fault held back) while the partition of i=3 let it reach 1 of "
                      "5 nodes (grace 1.500 s)");
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 3}));
}

TEST(PartitionQuorum, ASlowClockGivesTheLeaderHalfTheTime) {
  // x0.5 from 1.5 s: 2.5 s cut off are 1.25 s of its own.
  Verdict v = CheckHistory("partition-quorum",
                           SetBackLeader(R"("mode":"rate","rate":0.5,"setting":{"offset_ms":750,"rate":0.5})", "4.5"));
  EXPECT_EQ(v.valid, kValid) << v.reason;
  EXPECT_EQ(v.details["held_back_by_own_clock"], 1);
}

TEST(PartitionQuorum, AFastClockGivesNoMoreThanTheControllersTime) {
  // x2: still 1.2 s of the controller's clock, within the grace; 1.6 s is not.
  const char* fast = R"("mode":"rate","rate":2,"setting":{"offset_ms":-1500,"rate":2})";
  EXPECT_EQ(CheckHistory("partition-quorum", SetBackLeader(fast, "3.2")).valid, kValid);
  Verdict v = CheckHistory("partition-quorum", SetBackLeader(fast, "3.6"));
  EXPECT_EQ(v.valid, kInvalid);
  EXPECT_EQ(v.reason.find("by its own clock"), std::string::npos) << v.reason;
}

TEST(PartitionQuorum, UnknownClusterSize) {
  const std::string history = R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":2.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2"]]}
)";
  EXPECT_EQ(CheckHistory("partition-quorum", history).valid, kUnknown);
}

TEST(SplitBrain, TermlessWindowsNeedNotFail) {
  CheckOptions options;
  options.split_brain_fails = false;
  Verdict v = CheckHistory("split-brain", kTermlessSplitBrain, options);
  EXPECT_EQ(v.valid, kValid);
  EXPECT_EQ(v.details["windows"], 1);
  EXPECT_DOUBLE_EQ(v.details["total_s"].get<double>(), 1.0);
}

TEST(SplitBrain, TermedWindowsAreReportedInTheDetails) {
  Verdict v = CheckHistory("split-brain", kTermedOverlap);
  ASSERT_EQ(v.details["reported"].size(), 1u);
  const nlohmann::json& w = v.details["reported"][0];
  EXPECT_EQ(w["leaders"], (nlohmann::json{"n1", "n2"}));
  EXPECT_EQ(w["claims_i"], (nlohmann::json{1, 2}));
  EXPECT_EQ(w["start_i"], 2);
  EXPECT_EQ(w["end_i"], 3);
}

}  // namespace
}  // namespace schism::checkers
