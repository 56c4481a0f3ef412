// Verdicts a person can trust: paused and resumed nodes, liveness that means a
// stable leader, termless electors, skipped faults, same-term split brains and
// the end of a run, each on a small hand-written history.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "check_history.h"
#include "checkers/contract_watch.h"
#include "histories/reader.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

const std::string kStart5 =
    R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"]})";

// Bully-like (no terms, no votes): n5 leads, is frozen for 2 s and thawed
// while the four others go on following it. It leads again from the thaw.
const std::string kBullyLeaderFrozenAndThawed = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n5","role":"leader"}
{"i":2,"t":0.6,"type":"role","node":"n1","role":"follower","leader":"n5"}
{"i":3,"t":0.6,"type":"role","node":"n2","role":"follower","leader":"n5"}
{"i":4,"t":0.6,"type":"role","node":"n3","role":"follower","leader":"n5"}
{"i":5,"t":0.6,"type":"role","node":"n4","role":"follower","leader":"n5"}
{"i":6,"t":3.0,"type":"nemesis","f":"pause","node":"n5","phase":"start","how":"freeze"}
{"i":7,"t":3.0,"type":"process","f":"pause","node":"n5","pid":5,"how":"freeze"}
{"i":8,"t":5.0,"type":"process","f":"resume","node":"n5","pid":5,"how":"thaw"}
{"i":9,"t":5.0,"type":"nemesis","f":"pause","node":"n5","phase":"end"}
{"i":10,"t":6.0,"type":"nemesis","f":"final-heal","phase":"end"}
{"i":11,"t":10.0,"type":"run","f":"stopping"}
{"i":12,"t":10.1,"type":"process","f":"stop","node":"n1"}
{"i":13,"t":10.2,"type":"run","f":"end"}
)";

// Termless: n1 leads, is paused, n2 takes over with a majority, then n1 is
// resumed still claiming leadership: two live leaders from 4.0 to 10.0.
const std::string kResumedStaleLeader = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader"}
{"i":2,"t":1.0,"type":"process","f":"pause","node":"n1","pid":1,"signal":19}
{"i":3,"t":2.0,"type":"role","node":"n2","role":"leader"}
{"i":4,"t":2.1,"type":"role","node":"n3","role":"follower","leader":"n2"}
{"i":5,"t":4.0,"type":"process","f":"resume","node":"n1","pid":1,"signal":18}
{"i":6,"t":10.0,"type":"role","node":"n1","role":"follower","leader":"n2"}
{"i":7,"t":12.0,"type":"run","f":"end"}
)";

// The same without the pause and resume: the overlap runs from 2.0 to 10.0.
const std::string kStaleLeaderNoPause = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader"}
{"i":2,"t":2.0,"type":"role","node":"n2","role":"leader"}
{"i":3,"t":2.1,"type":"role","node":"n3","role":"follower","leader":"n2"}
{"i":4,"t":10.0,"type":"role","node":"n1","role":"follower","leader":"n2"}
{"i":5,"t":12.0,"type":"run","f":"end"}
)";

// Raft: a leader of term 3 paused, n2 elected in term 4, then the old leader
// resumes: an old leader of an older term, a normal brief overlap.
const std::string kResumedLeaderOlderTerm = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader","term":3}
{"i":2,"t":1.0,"type":"process","f":"pause","node":"n1","pid":1,"signal":19}
{"i":3,"t":2.0,"type":"role","node":"n2","role":"leader","term":4}
{"i":4,"t":4.0,"type":"process","f":"resume","node":"n1","pid":1,"signal":18}
{"i":5,"t":4.1,"type":"role","node":"n1","role":"follower","term":4,"leader":"n2"}
{"i":6,"t":12.0,"type":"run","f":"end"}
)";

// Two live leaders of the same term at once.
const std::string kSameTermOverlap = kStart5 + R"(
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":4}
{"i":2,"t":1.5,"type":"role","node":"n2","role":"leader","term":4}
{"i":3,"t":2.0,"type":"role","node":"n1","role":"follower","term":5}
{"i":4,"t":3.0,"type":"run","f":"end"}
)";

// After the final heal a leader is followed for 0.1 s, then every node
// exits by itself: a crash loop.
const std::string kCrashLoopAfterHeal = kStart5 + R"(
{"i":1,"t":1.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":2,"t":5.0,"type":"nemesis","f":"final-heal","phase":"end"}
{"i":3,"t":5.05,"type":"role","node":"n1","role":"leader","term":2}
{"i":4,"t":5.06,"type":"role","node":"n2","role":"follower","term":2,"leader":"n1"}
{"i":5,"t":5.06,"type":"role","node":"n3","role":"follower","term":2,"leader":"n1"}
{"i":6,"t":5.2,"type":"process","f":"exit","node":"n1","pid":1,"code":1}
{"i":7,"t":5.2,"type":"process","f":"exit","node":"n2","pid":2,"code":1}
{"i":8,"t":5.2,"type":"process","f":"exit","node":"n3","pid":3,"code":1}
{"i":9,"t":5.2,"type":"process","f":"exit","node":"n4","pid":4,"code":1}
{"i":10,"t":5.2,"type":"process","f":"exit","node":"n5","pid":5,"code":1}
{"i":11,"t":30.0,"type":"run","f":"end"}
)";

// A majority follows n1 for 0.5 s only; from 7.0 on n2 holds for good.
const std::string kFirstLeaderDoesNotHold = kStart5 + R"(
{"i":1,"t":1.0,"type":"nemesis","f":"partition","phase":"start"}
{"i":2,"t":5.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":3,"t":5.1,"type":"role","node":"n1","role":"leader","term":2}
{"i":4,"t":5.2,"type":"role","node":"n2","role":"follower","term":2,"leader":"n1"}
{"i":5,"t":5.2,"type":"role","node":"n3","role":"follower","term":2,"leader":"n1"}
{"i":6,"t":5.7,"type":"role","node":"n3","role":"candidate","term":3}
{"i":7,"t":6.9,"type":"role","node":"n2","role":"leader","term":3}
{"i":8,"t":7.0,"type":"role","node":"n3","role":"follower","term":3,"leader":"n2"}
{"i":9,"t":7.0,"type":"role","node":"n4","role":"follower","term":3,"leader":"n2"}
{"i":10,"t":30.0,"type":"run","f":"end"}
)";

// The leader is stable when the controller starts stopping the nodes; the
// nodes' exits and stops after that are the end of the run, not a failure.
const std::string kEndOfRunStop = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":0.6,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":0.6,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1"}
{"i":4,"t":1.0,"type":"nemesis","f":"final-heal","phase":"end"}
{"i":5,"t":10.0,"type":"run","f":"stopping","why":"end of run"}
{"i":6,"t":10.1,"type":"process","f":"exit","node":"n2","pid":2,"code":0}
{"i":7,"t":10.2,"type":"process","f":"stop","node":"n1"}
{"i":8,"t":10.2,"type":"process","f":"stop","node":"n2"}
{"i":9,"t":10.3,"type":"run","f":"end"}
)";

// Every node is down when four kills come due: they are skipped. Skipped
// and unsupported faults neither start nor end a fault for liveness.
const std::string kSkippedKills = kStart5 + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":0.6,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":0.6,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1"}
{"i":4,"t":1.0,"type":"nemesis","f":"kill","node":"n4","phase":"start","target":"random"}
{"i":5,"t":2.0,"type":"nemesis","f":"kill","skipped":"no live node","target":"random"}
{"i":6,"t":3.0,"type":"nemesis","f":"kill","skipped":"no live node","target":"random"}
{"i":7,"t":4.0,"type":"nemesis","f":"kill","skipped":"no vote within voter_wait","target":"voter"}
{"i":8,"t":5.0,"type":"nemesis","f":"kill","node":"n4","phase":"end"}
{"i":9,"t":9.0,"type":"nemesis","f":"kill","skipped":"no live node","target":"random"}
{"i":10,"t":20.0,"type":"run","f":"end"}
)";

// Only skipped faults: the run tested none.
const std::string kOnlySkipped = kStart5 + R"(
{"i":1,"t":2.0,"type":"nemesis","f":"kill","skipped":"no live node","target":"random"}
{"i":2,"t":20.0,"type":"run","f":"end"}
)";

Verdict Liveness(const std::string& history, double deadline = 4.0) {
  CheckOptions options;
  options.liveness_deadline_s = deadline;
  return CheckHistory("liveness", history, options);
}

// --- a paused node is the same process when it resumes -----------------------

TEST(PauseResume, AFrozenAndThawedLeaderThatAllFollowIsLive) {
  Verdict v = Liveness(kBullyLeaderFrozenAndThawed);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("stable leader n5 with 5 of 5 nodes following 0.000 s after the "
                                  "final heal"));
}

TEST(PauseResume, TheFreezeIsLeaderlessTimeAndAPausedLoss) {
  Verdict v = CheckHistory("kpis", kBullyLeaderFrozenAndThawed);
  EXPECT_EQ(v.details["losses"]["paused"], 1);
  EXPECT_EQ(v.details["losses"]["killed"], 0);
  // Leaderless before 0.6 s, and while frozen, 3.0 to 5.0: 2.6 s of 10 s.
  EXPECT_NEAR(v.details["leaderless_s"].get<double>(), 2.6, 1e-9);
  EXPECT_NEAR(v.details["leaderless_pct"].get<double>(), 26.0, 1e-9);
}

TEST(PauseResume, AResumedStaleLeaderOverlapsTheNewOne) {
  Verdict v = CheckHistory("split-brain", kResumedStaleLeader);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_THAT(v.reason, HasSubstr("1 window(s) with two or more live leaders, 6.000 s in all; "
                                  "first at 4.000 s: n1 (i=1) and n2 (i=3)"));
  ASSERT_EQ(v.details["reported"].size(), 1u);
  EXPECT_EQ(v.details["reported"][0]["start_i"], 5);
  EXPECT_EQ(v.details["reported"][0]["end_i"], 6);
}

TEST(PauseResume, WithoutThePauseTheOverlapIsLongerAndAlsoInvalid) {
  Verdict v = CheckHistory("split-brain", kStaleLeaderNoPause);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("8.000 s in all"));
}

TEST(PauseResume, AResumedLeaderOfAnOlderTermIsTheUsualOverlap) {
  Verdict v = CheckHistory("split-brain", kResumedLeaderOlderTerm);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_THAT(v.reason, HasSubstr("1 window(s) with two or more live leaders, 0.100 s in all "
                                  "(each between leaders of different terms"));
}

// --- split-brain names what it saw -------------------------------------------

TEST(SplitBrain, TwoLiveLeadersOfOneTermAreInvalidAndSaidSo) {
  Verdict v = CheckHistory("split-brain", kSameTermOverlap);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_EQ(v.reason,
            "1 of 1 window(s) with two or more live leaders, 0.500 s in all, with two leaders of "
            "the same term; first at 1.500 s: n1 (i=1) and n2 (i=2) both leading term 4 (see "
            "election-safety)");
  EXPECT_EQ(v.details["reported"][0]["shared_term"], 4);
}

// --- liveness means a leader that holds --------------------------------------

TEST(Liveness, ACrashLoopAfterTheFinalHealIsNotLive) {
  Verdict v = Liveness(kCrashLoopAfterHeal);
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{2, 6}));
  EXPECT_THAT(v.reason, HasSubstr("n1 exited by itself (status 1) 0.200 s after the final heal "
                                  "(i=6)"));
}

TEST(Liveness, TheStableWindowStartsWhenALeaderHolds) {
  Verdict v = Liveness(kFirstLeaderDoesNotHold);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.details["leader"], "n2");
  EXPECT_NEAR(v.details["seconds_to_stable"].get<double>(), 2.0, 1e-9);
  // With no window the first instant would do.
  CheckOptions options;
  options.stable_window_s = 0;
  Verdict instant = CheckHistory("liveness", kFirstLeaderDoesNotHold, options);
  EXPECT_EQ(instant.details["leader"], "n1");
  // A deadline before n2's window starts is missed.
  Verdict late = Liveness(kFirstLeaderDoesNotHold, 1.5);
  EXPECT_EQ(late.valid, Validity::kInvalid) << late.reason;
  EXPECT_THAT(late.reason, HasSubstr("no stable leader until 2.000 s after the final heal"));
}

TEST(Liveness, JudgesUpToTheStopOfTheRun) {
  Verdict v = Liveness(kEndOfRunStop);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(CheckHistory("kpis", kEndOfRunStop).details["losses"]["killed"], 0);
}

TEST(Liveness, SkippedFaultsNeitherStartNorEndAFault) {
  Verdict v = Liveness(kSkippedKills);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.details["final_heal_i"], 8);
}

// --- termless electors: not applicable is not unknown ------------------------

TEST(Termless, AStableTermlessRunIsValidOverall) {
  std::istringstream in(kBullyLeaderFrozenAndThawed);
  histories::HistoryReader reader(in, "bully.jsonl");
  CheckOptions options;
  options.liveness_deadline_s = 3.0;
  std::vector<std::unique_ptr<Checker>> list;
  for (const std::string& name : CheckerNames()) list.push_back(MakeChecker(name, options));
  Validity overall = Validity::kValid;
  for (const Verdict& v : RunCheckers(reader, list)) {
    EXPECT_NE(v.valid, Validity::kUnknown) << v.checker << ": " << v.reason;
    overall = Merge(overall, v.valid);
  }
  EXPECT_EQ(overall, Validity::kValid);
}

// --- skipped faults are counted ----------------------------------------------

TEST(FaultsApplied, CountsSkippedFaultsInTheReason) {
  Verdict v = CheckHistory("faults-applied", kSkippedKills);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason,
            "1 fault(s) applied (this history records no proof that they took effect); 4 "
            "skipped: kill: no live node (x3); kill: no vote within voter_wait");
  EXPECT_EQ(v.details["skipped"]["kill: no live node"], 3);
}

TEST(FaultsApplied, OnlySkippedFaultsTestedNothing) {
  Verdict v = CheckHistory("faults-applied", kOnlySkipped);
  EXPECT_EQ(v.valid, Validity::kUnknown);
  EXPECT_EQ(v.reason,
            "no fault was applied, so the run tested none; 1 skipped: kill: no live node");
}

// --- how the nodes kept the contract -----------------------------------------

std::vector<std::string> ContractWarnings(const std::string& jsonl) {
  std::istringstream in(jsonl);
  histories::HistoryReader reader(in, "w.jsonl");
  ContractWatch watch;
  histories::Event e;
  while (reader.Next(e)) watch.Observe(e);
  return watch.Warnings();
}

TEST(ContractWatch, NamesABufferedNodeOnceAndIgnoredLines) {
  const std::string history = kStart5 + R"(
{"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":1}
{"i":2,"t":0.1,"type":"process","f":"start","node":"n2","pid":2}
{"i":3,"t":0.4,"type":"role","node":"n2","role":"leader","term":1}
{"i":4,"t":9.0,"type":"run","f":"stopping"}
{"i":5,"t":9.02,"type":"role","node":"n1","role":"candidate","term":1}
{"i":6,"t":9.02,"type":"vote","node":"n1","term":1,"for":"n2"}
{"i":7,"t":9.03,"type":"role","node":"n1","role":"follower","term":1,"leader":"n2"}
{"i":8,"t":9.1,"type":"process","f":"stop","node":"n1"}
{"i":9,"t":9.1,"type":"process","f":"stop","node":"n2"}
{"i":10,"t":9.2,"type":"run","f":"end","ignored_lines":{"n3":{"count":2,"first":"{\"event\":\"rol\"}","reason":"unknown event"}}}
)";
  EXPECT_EQ(
      ContractWarnings(history),
      (std::vector<std::string>{
          "n1: 3 of 3 contract lines arrived only as it exited, after 8.920 s of silence: its "
          "stdout is buffered, so schism stamped them late; flush after every line "
          "(docs/contract.md)",
          "n3: 2 contract line(s) ignored (first: {\"event\":\"rol\"}: unknown event); see "
          "nodes/n3.log"}));
}

TEST(ContractWatch, ALateFirstLineAloneIsWorthAWarning) {
  const std::string history = kStart5 + R"(
{"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":1}
{"i":2,"t":6.1,"type":"role","node":"n1","role":"leader"}
{"i":3,"t":20.0,"type":"run","f":"end"}
)";
  EXPECT_EQ(ContractWarnings(history),
            (std::vector<std::string>{
                "n1 printed its first contract line 6.000 s after it started (i=2): if it decided "
                "earlier, its stdout is buffered; flush after every line (docs/contract.md)"}));
  EXPECT_TRUE(ContractWarnings(kBullyLeaderFrozenAndThawed).empty());
}

// --- options a run records are the options a check uses ----------------------

TEST(CheckOptions, RoundTripThroughJson) {
  CheckOptions options;
  options.liveness_deadline_s = 2.5;
  options.stable_window_s = 0.25;
  options.partition_grace_s = 3;
  options.split_brain_fails = false;
  CheckOptions back;
  ApplyRecorded(ToJson(options), back);
  EXPECT_EQ(back.liveness_deadline_s, 2.5);
  EXPECT_EQ(back.stable_window_s, 0.25);
  EXPECT_EQ(back.partition_grace_s, 3);
  EXPECT_FALSE(back.split_brain_fails);
  EXPECT_EQ(back.nodes, 0u);
  EXPECT_THROW(ApplyRecorded({{"stable_window_s", "1"}}, back), std::invalid_argument);
}

}  // namespace
}  // namespace schism::checkers
