// The run's fault logic (harness/fault_runner.h) on fake seams: what it asks
// of the OS, when, and what it records, with no root and no waiting.
#include "harness/fault_runner.h"

#include <gtest/gtest.h>

#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include "harness/recorder.h"
#include "histories/reader.h"
#include "histories/writer.h"
#include "nemesis/fault_kind.h"
#include "nemesis/schedule.h"
#include "tests/harness/fake_seams.h"
#include "tests/harness/run_support.h"

namespace schism::harness {
namespace {

using histories::Event;
using histories::EventType;
using testing::FakeCgroups;
using testing::FakeClocks;
using testing::FakeNetwork;
using testing::FakeProcesses;
using testing::FakeTimers;

constexpr std::size_t kNodes = 5;

class FaultRunnerTest : public ::testing::Test {
 protected:
  // Makes the runner (with or without cgroups and clock support) and starts every node.
  void Make(bool with_cgroups = true, bool with_clocks = true) {
    history_ = std::make_unique<histories::HistoryWriter>(dir_.path() / "history.jsonl");
    recorder_ = std::make_unique<Recorder>(*history_, timers_, progress_);
    std::vector<std::string> names;
    for (std::size_t i = 1; i <= kNodes; ++i) names.push_back("n" + std::to_string(i));
    runner_ = std::make_unique<FaultRunner>(
        names, 42,
        FaultSeams{timers_, processes_, network_, with_cgroups ? &cgroups_ : nullptr,
                   with_clocks ? &clocks_ : nullptr,
                   with_clocks ? "" : "the elector is a Go binary"},
        *recorder_);
    runner_->StartNodes();
  }

  // Applies one op written as a timeline entry, e.g. {"f":"kill",...}, now.
  void Apply(nlohmann::json entry) {
    entry["t"] = timers_.Now();
    runner_->ApplyOp(nemesis::FromJson(nlohmann::json::array({entry})).at(0));
  }

  std::vector<Event> History() const {
    std::ifstream in(dir_.path() / "history.jsonl");
    histories::HistoryReader reader(in, "history.jsonl");
    std::vector<Event> events;
    for (Event e; reader.Next(e);) events.push_back(e);
    return events;
  }

  // Events of `type` and `f` (and, when given, of that "phase").
  std::vector<Event> Find(EventType type, const std::string& f, const std::string& phase = "") const {
    std::vector<Event> found;
    for (const Event& e : History()) {
      if (e.type != type || e.f != f) continue;
      if (!phase.empty() && (!e.detail.is_object() || e.detail.value("phase", "") != phase)) continue;
      found.push_back(e);
    }
    return found;
  }
  std::vector<Event> Verified(const std::string& f) const {
    return Find(EventType::kNemesis, f, "verified");
  }

  testing::TempDir dir_;
  std::ostringstream progress_;
  FakeTimers timers_;
  FakeProcesses processes_{kNodes};
  FakeNetwork network_;
  FakeCgroups cgroups_;
  FakeClocks clocks_{timers_};
  std::unique_ptr<histories::HistoryWriter> history_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<FaultRunner> runner_;
};

TEST_F(FaultRunnerTest, NodesStartFrozenAndAreThawedTogether) {
  Make();
  const std::vector<std::string> expected = {"freeze n1", "freeze n2", "freeze n3", "freeze n4",
                                             "freeze n5", "thaw n1",   "thaw n2",   "thaw n3",
                                             "thaw n4",   "thaw n5"};
  EXPECT_EQ(cgroups_.calls, expected);
  EXPECT_TRUE(cgroups_.frozen.empty());
  const auto starts = Find(EventType::kProcess, "start");
  ASSERT_EQ(starts.size(), kNodes);
  for (std::size_t k = 0; k < kNodes; ++k) {
    EXPECT_TRUE(processes_.Running(k));
    EXPECT_EQ(starts[k].node, "n" + std::to_string(k + 1));
    EXPECT_EQ(starts[k].detail["pid"], processes_.Pid(k));
  }
}

TEST_F(FaultRunnerTest, WithoutCgroupsNodesStartOneAfterTheOther) {
  Make(/*with_cgroups=*/false);
  EXPECT_TRUE(cgroups_.calls.empty());
  EXPECT_EQ(Find(EventType::kProcess, "start").size(), kNodes);
}

TEST_F(FaultRunnerTest, AKillTakesTheWholeTreeProvesItAndRestartsOnTime) {
  Make();
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n2"}, {"restart_after", 2}});
  EXPECT_FALSE(processes_.Running(1));
  EXPECT_EQ(cgroups_.killed, std::vector<std::string>{"n2"});
  const auto start = Find(EventType::kNemesis, "kill", "start");
  ASSERT_EQ(start.size(), 1u);
  const auto verified = Verified("kill");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["of"], start[0].index);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_EQ(verified[0].detail["left"], 0);

  timers_.RunUntil(1.99);
  EXPECT_FALSE(processes_.Running(1));
  timers_.RunUntil(2.0);
  EXPECT_TRUE(processes_.Running(1));
  EXPECT_EQ(processes_.starts[1], 2);
  const auto end = Find(EventType::kNemesis, "kill", "end");
  ASSERT_EQ(end.size(), 1u);
  EXPECT_DOUBLE_EQ(end[0].time, 2.0);
}

TEST_F(FaultRunnerTest, AKillIsNotProvenWhileTheCgroupStillHoldsAProcess) {
  Make();
  cgroups_.left["n2"] = {4242};
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n2"}});
  const auto verified = Verified("kill");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], false);
  EXPECT_NE(verified[0].detail["why"].get<std::string>().find("n2's cgroup still holds 1 process"),
            std::string::npos);
  EXPECT_NE(progress_.str().find("kill on n2 not proven"), std::string::npos);
}

TEST_F(FaultRunnerTest, WithoutCgroupsAKillIsProvenByItsProcessGroup) {
  Make(/*with_cgroups=*/false);
  const pid_t pid = processes_.Pid(2);
  processes_.lingering.insert(pid);
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n3"}});
  const auto verified = Verified("kill");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], false);
  EXPECT_EQ(verified[0].detail["why"],
            "n3's process group " + std::to_string(pid) + " still has processes");
}

TEST_F(FaultRunnerTest, ATermEscalatesToAKillWhenItsGraceRunsOut) {
  Make();
  Apply({{"f", "term"}, {"target", "node"}, {"node", "n3"}, {"grace", 2}, {"restart_after", 1}});
  ASSERT_EQ(processes_.signals.size(), 1u);
  EXPECT_EQ(processes_.signals[0], (std::pair<std::size_t, int>{2, SIGTERM}));
  timers_.RunUntil(1.99);
  EXPECT_TRUE(processes_.Running(2));  // the node ignores SIGTERM
  EXPECT_TRUE(Verified("term").empty());
  timers_.RunUntil(2.0);
  EXPECT_FALSE(processes_.Running(2));
  EXPECT_EQ(processes_.kills[2], 1);
  const auto escalated = Find(EventType::kProcess, "kill");
  ASSERT_EQ(escalated.size(), 1u);
  EXPECT_EQ(escalated[0].detail["escalated"], "term grace over");
  const auto verified = Verified("term");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_DOUBLE_EQ(verified[0].detail["took_ms"].get<double>(), 2000.0);
  timers_.RunUntil(2.99);
  EXPECT_FALSE(processes_.Running(2));
  timers_.RunUntil(3.0);
  EXPECT_TRUE(processes_.Running(2));
  EXPECT_EQ(Find(EventType::kNemesis, "term", "end").size(), 1u);
}

TEST_F(FaultRunnerTest, ATermThatEndsTheNodeWithinItsGraceIsNotEscalated) {
  Make();
  Apply({{"f", "term"}, {"target", "node"}, {"node", "n3"}, {"grace", 2}, {"restart_after", 1}});
  const pid_t pid = processes_.Pid(2);
  timers_.RunUntil(0.5);
  processes_.Exit(2);
  EXPECT_TRUE(runner_->OnExit(2, pid, 0));
  const auto exits = Find(EventType::kProcess, "exit");
  ASSERT_EQ(exits.size(), 1u);
  EXPECT_EQ(exits[0].detail["after"], "term");
  const auto verified = Verified("term");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_DOUBLE_EQ(verified[0].detail["took_ms"].get<double>(), 500.0);
  timers_.RunUntil(2.5);
  EXPECT_EQ(processes_.kills[2], 0);  // nothing left to escalate
  EXPECT_FALSE(processes_.Running(2));
  timers_.RunUntil(3.0);  // restarted restart_after after the grace
  EXPECT_TRUE(processes_.Running(2));
  EXPECT_FALSE(runner_->OnExit(2, processes_.Pid(2), 1));  // no term waits for this one
}

TEST_F(FaultRunnerTest, AFlapAlternatesItsPhasesAndEndsHealed) {
  Make();
  Apply({{"f", "flap"}, {"grouping", "n1,n2|n3,n4,n5"}, {"hold", 3}, {"every", {0.5, 0.5}}});
  EXPECT_EQ(network_.cut.size(), 12u);  // 2 x 3 nodes, both ways
  timers_.RunUntil(0.5);
  EXPECT_TRUE(network_.cut.empty());
  timers_.RunUntil(1.0);
  EXPECT_EQ(network_.cut.size(), 12u);
  timers_.RunUntil(10);
  EXPECT_TRUE(network_.cut.empty());
  EXPECT_EQ(network_.partitions, 3);
  EXPECT_EQ(network_.heals, 3);
  EXPECT_EQ(Verified("partition").size(), 3u);
  const auto flap = Verified("flap");
  ASSERT_EQ(flap.size(), 1u);
  EXPECT_EQ(flap[0].detail["proven"], true);
  EXPECT_EQ(flap[0].detail["by"], "each of its 3 partitions was proven");
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "flap", "end").at(0).time, 3.0);
  // The flap, its 3 partitions and 4 heals: one after each, and one at its end.
  EXPECT_EQ(runner_->timeline().size(), 8u);
}

TEST_F(FaultRunnerTest, AFlapIsNotProvenWhenItsPartitionsCutNothing) {
  Make();
  network_.drops_per_pair = 0;
  network_.forwarded_per_read = 0;  // and no frame crossed the bridge
  network_.drops_probes = false;    // nor was the harness's own frame dropped
  Apply({{"f", "flap"}, {"grouping", "n1,n2|n3,n4,n5"}, {"hold", 1}, {"every", {0.5, 0.5}}});
  timers_.RunUntil(5);
  const auto flap = Verified("flap");
  ASSERT_EQ(flap.size(), 1u);
  EXPECT_EQ(flap[0].detail["proven"], false);
  const std::string why = flap[0].detail["why"];
  EXPECT_EQ(why.rfind("1 of its 1 partitions not proven: partition at 0", 0), 0u) << why;
  EXPECT_NE(why.find("a frame the harness sent n1->n3 itself was not dropped either"),
            std::string::npos)
      << why;
}

TEST_F(FaultRunnerTest, ASilentPartitionIsProvenByOneFrameTheHarnessSendsAcrossItsFirstCutPair) {
  Make();
  network_.drops_per_pair = 0;
  network_.forwarded_per_read = 0;  // the nodes sent nothing while it held
  Apply({{"f", "partition"}, {"grouping", "n1,n2|n3,n4,n5"}});
  EXPECT_TRUE(network_.probes.empty());  // nothing is sent while it holds
  Apply({{"f", "heal"}});
  ASSERT_EQ(network_.probes.size(), 1u);
  EXPECT_EQ(network_.probes[0], (nemesis::DirectedPair{"n1", "n3"}));
  const auto verified = Verified("partition");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_EQ(verified[0].detail["probe"], "n1->n3");
  EXPECT_EQ(verified[0].detail["dropped"], 0);  // the nodes' packets only
  // A partition the nodes sent packets across is proven by them: no frame of the harness's.
  network_.drops_per_pair = 5;
  Apply({{"f", "partition"}, {"grouping", "n1,n2|n3,n4,n5"}});
  Apply({{"f", "heal"}});
  EXPECT_EQ(network_.probes.size(), 1u);
  EXPECT_FALSE(Verified("partition").at(1).detail.contains("probe"));
}

TEST_F(FaultRunnerTest, APartitionIsProvenByItsDropsAndNotWhenTheKernelHeldOtherPairs) {
  Make();
  Apply({{"f", "partition"}, {"grouping", "n1|n2,n3,n4,n5"}});
  Apply({{"f", "heal"}});
  network_.installs_other_pairs = true;
  Apply({{"f", "partition"}, {"grouping", "n1|n2,n3,n4,n5"}});
  Apply({{"f", "heal"}});
  const auto verified = Verified("partition");
  ASSERT_EQ(verified.size(), 2u);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_EQ(verified[1].detail["proven"], false);
  const auto starts = Find(EventType::kNemesis, "partition", "start");
  ASSERT_EQ(starts.size(), 2u);
  EXPECT_EQ(starts[0].detail["digest"], "fake-8");  // what the kernel listed
  EXPECT_EQ(verified[1].detail["of"], starts[1].index);
}

TEST_F(FaultRunnerTest, ALossIsJudgedOnTheShareItActuallyDropped) {
  Make();
  Apply({{"f", "loss"}, {"percent", 30}, {"target", "all"}});
  EXPECT_EQ(network_.loss.size(), 20u);
  Apply({{"f", "loss-end"}});
  EXPECT_TRUE(network_.loss.empty());
  network_.share_factor = 0.5;  // the rules dropped half what they should
  Apply({{"f", "loss"}, {"percent", 30}, {"target", "all"}});
  Apply({{"f", "loss"}, {"percent", 10}, {"target", "all"}});  // replaces it: judged on its own
  const auto verified = Verified("loss");
  ASSERT_EQ(verified.size(), 2u);
  EXPECT_EQ(verified[0].detail["proven"], true);
  EXPECT_EQ(verified[1].detail["proven"], false);
  const auto ends = Find(EventType::kNemesis, "loss", "end");
  ASSERT_EQ(ends.size(), 2u);
  // Counted per percent, as the kernel counts: 20 pairs of 5 nodes at 30 %,
  // each dropping 150 of its 1,000 packets (half of what was asked).
  EXPECT_EQ(ends[1].detail["achieved"][0]["percent"], 30);
  EXPECT_EQ(ends[1].detail["achieved"][0]["pairs"], 20);
  EXPECT_EQ(ends[1].detail["achieved"][0]["seen"], 20000);
  EXPECT_EQ(ends[1].detail["achieved"][0]["dropped"], 3000);
}

TEST_F(FaultRunnerTest, ADelayIsJudgedOnItsMeanHold) {
  Make();
  network_.delay_factor = 2.0;
  Apply({{"f", "delay"}, {"delay_ms", 100}, {"target", "pair"}});
  EXPECT_EQ(network_.delay.size(), 1u);
  Apply({{"f", "delay-end"}});
  EXPECT_TRUE(network_.delay.empty());
  const auto verified = Verified("delay");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], false);
}

TEST_F(FaultRunnerTest, APauseFreezesProvesAndResumesOnTime) {
  Make();
  Apply({{"f", "pause"}, {"target", "node"}, {"node", "n4"}, {"how", "freeze"}, {"resume_after", 1}});
  EXPECT_EQ(cgroups_.frozen, std::set<std::string>{"n4"});
  ASSERT_EQ(Verified("pause").size(), 1u);
  EXPECT_EQ(Verified("pause")[0].detail["proven"], true);
  timers_.RunUntil(1.0);
  EXPECT_TRUE(cgroups_.frozen.empty());
  const auto resumed = Find(EventType::kProcess, "resume");
  ASSERT_EQ(resumed.size(), 1u);
  EXPECT_EQ(resumed[0].detail["how"], "thaw");

  cgroups_.freezes = false;  // cgroup.events never says frozen
  Apply({{"f", "pause"}, {"target", "node"}, {"node", "n4"}, {"how", "freeze"}});
  ASSERT_EQ(Verified("pause").size(), 2u);
  EXPECT_EQ(Verified("pause")[1].detail["proven"], false);
}

TEST_F(FaultRunnerTest, WithoutCgroupsAFreezeFallsBackToSigstopAndIsProvenByProcessStates) {
  Make(/*with_cgroups=*/false);
  processes_.not_stopping.insert(processes_.Pid(0));
  Apply({{"f", "pause"}, {"target", "node"}, {"node", "n1"}, {"how", "freeze"}});
  EXPECT_EQ(processes_.signals.back(), (std::pair<std::size_t, int>{0, SIGSTOP}));
  const auto start = Find(EventType::kNemesis, "pause", "start");
  ASSERT_EQ(start.size(), 1u);
  EXPECT_EQ(start[0].detail["fallback"], "no cgroup v2: SIGSTOP instead of a freeze");
  const auto verified = Verified("pause");
  ASSERT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified[0].detail["proven"], false);
  Apply({{"f", "resume"}, {"node", "n1"}});
  EXPECT_EQ(processes_.signals.back(), (std::pair<std::size_t, int>{0, SIGCONT}));
}

TEST_F(FaultRunnerTest, AVoterKillWaitsForTheNextVoteForAnotherNode) {
  Make();
  Apply({{"f", "kill"}, {"target", "voter"}, {"voter_wait", 5}, {"restart_after", 1}});
  Event own;
  own.type = EventType::kVote;
  own.vote_for = "n2";
  runner_->OnEvent(1, own);  // n2 votes for itself: not a voter for another
  EXPECT_TRUE(processes_.Running(1));
  Event vote = own;
  vote.vote_for = "n1";
  runner_->OnEvent(2, vote);
  EXPECT_FALSE(processes_.Running(2));
  ASSERT_EQ(Verified("kill").size(), 1u);
  EXPECT_EQ(Verified("kill")[0].node, "n3");

  Apply({{"f", "kill"}, {"target", "voter"}, {"voter_wait", 5}});
  timers_.RunUntil(timers_.Now() + 5);
  const auto skipped = Find(EventType::kNemesis, "kill");
  ASSERT_FALSE(skipped.empty());
  EXPECT_TRUE(skipped.back().detail.contains("skipped")) << skipped.back().detail.dump();
  EXPECT_EQ(Verified("kill").size(), 1u);
}

TEST_F(FaultRunnerTest, ACandidateKillKillsTheNodeTheNextVoteIsFor) {
  Make();
  Apply({{"f", "kill"}, {"target", "candidate"}, {"voter_wait", 5}, {"restart_after", 1}});
  Event vote;
  vote.type = EventType::kVote;
  vote.vote_for = "n9";
  runner_->OnEvent(2, vote);  // a vote for no node of the cluster: nothing dies
  vote.vote_for = "n1";
  runner_->OnEvent(2, vote);  // n3 votes for n1: n1, the candidate, dies
  EXPECT_FALSE(processes_.Running(0));
  EXPECT_TRUE(processes_.Running(2));
  ASSERT_EQ(Verified("kill").size(), 1u);
  EXPECT_EQ(Verified("kill")[0].node, "n1");
  timers_.RunUntil(timers_.Now() + 1);
  EXPECT_TRUE(processes_.Running(0));  // back at exactly restart_after
}

TEST_F(FaultRunnerTest, ARivalVoterKillWaitsForAVoteInAContestedTerm) {
  Make();
  Apply({{"f", "kill"}, {"target", "voter"}, {"voter_wait", 5}, {"rival", true}});
  Event role;
  role.type = EventType::kRole;
  role.role = histories::Role::kCandidate;
  role.term = 3;
  runner_->OnEvent(0, role);  // n1 stands in term 3
  Event vote;
  vote.type = EventType::kVote;
  vote.vote_for = "n1";
  vote.term = 3;
  runner_->OnEvent(2, vote);  // n3 votes for n1, the only candidate: no kill
  EXPECT_TRUE(processes_.Running(2));
  role.term = 4;
  runner_->OnEvent(0, role);  // n1 stands in term 4
  runner_->OnEvent(3, role);  // and so does n4
  vote.term = 4;
  runner_->OnEvent(2, vote);  // n3 votes for n1 while n4 stands too: n3 dies
  EXPECT_FALSE(processes_.Running(2));
  ASSERT_EQ(Verified("kill").size(), 1u);
  EXPECT_EQ(Verified("kill")[0].node, "n3");
}

TEST_F(FaultRunnerTest, TwoArmedKillsFireOnOneVoteAndTimeOutAlone) {
  Make();
  Apply({{"f", "kill"}, {"target", "candidate"}, {"voter_wait", 5}, {"restart_after", 1}});
  Apply({{"f", "kill"}, {"target", "voter"}, {"voter_wait", 2}, {"restart_after", 0.05}});
  Event vote;
  vote.type = EventType::kVote;
  vote.vote_for = "n2";
  vote.term = 7;
  runner_->OnEvent(3, vote);  // n4 votes for n2: both die, in the order armed
  EXPECT_FALSE(processes_.Running(1));
  EXPECT_FALSE(processes_.Running(3));
  ASSERT_EQ(Verified("kill").size(), 2u);
  EXPECT_EQ(Verified("kill")[0].node, "n2");
  EXPECT_EQ(Verified("kill")[1].node, "n4");

  // A voter kill times out on its own; the candidate kill armed with it waits on.
  Apply({{"f", "kill"}, {"target", "candidate"}, {"voter_wait", 5}});
  Apply({{"f", "kill"}, {"target", "voter"}, {"voter_wait", 2}});
  timers_.RunUntil(timers_.Now() + 3);
  const auto skipped = Find(EventType::kNemesis, "kill");
  ASSERT_FALSE(skipped.empty());
  EXPECT_EQ(skipped.back().detail.value("target", ""), "voter") << skipped.back().detail.dump();
  EXPECT_TRUE(skipped.back().detail.contains("skipped"));
  vote.vote_for = "n3";
  runner_->OnEvent(4, vote);  // n5 votes for n3: the candidate kill still fires
  EXPECT_FALSE(processes_.Running(2));
  EXPECT_TRUE(processes_.Running(4));
  EXPECT_EQ(Verified("kill").size(), 3u);
}

TEST_F(FaultRunnerTest, ClockOpsOnAnElectorThatCannotTakeThemAreRecordedUnsupported) {
  Make(/*with_cgroups=*/true, /*with_clocks=*/false);
  Apply({{"f", "clock"}, {"target", "node"}, {"node", "n1"}, {"mode", "bump"}, {"offset_ms", 500}});
  const auto clock = Find(EventType::kNemesis, "clock");
  ASSERT_EQ(clock.size(), 1u);
  EXPECT_EQ(clock[0].detail["unsupported"], "the elector is a Go binary");
  EXPECT_TRUE(Verified("clock").empty());
}

TEST_F(FaultRunnerTest, AClockOpIsProvenWhenItsProbeAnswers) {
  Make();
  Apply({{"f", "clock"}, {"target", "node"}, {"node", "n2"}, {"mode", "bump"}, {"offset_ms", 500}});
  EXPECT_DOUBLE_EQ(clocks_.settings["n2"].offset_ms, 500);
  EXPECT_TRUE(Verified("clock").empty());  // the probe answers later
  timers_.RunUntil(0);
  ASSERT_EQ(Verified("clock").size(), 1u);
  EXPECT_EQ(Verified("clock")[0].detail["proven"], true);
  clocks_.proves = false;
  Apply({{"f", "clock"}, {"target", "node"}, {"node", "n3"}, {"mode", "rate"}, {"rate", 2}});
  timers_.RunUntil(0);
  ASSERT_EQ(Verified("clock").size(), 2u);
  EXPECT_EQ(Verified("clock")[1].detail["proven"], false);
}

TEST_F(FaultRunnerTest, AStrobeFlipsEveryPeriodUntilItsClockEnds) {
  Make();
  Apply({{"f", "clock"}, {"target", "node"}, {"node", "n2"}, {"mode", "strobe"},
         {"offset_ms", 100}, {"offset2_ms", -100}, {"period", 0.5}});
  timers_.RunUntil(1.6);
  ASSERT_EQ(clocks_.flips.size(), 3u);
  EXPECT_EQ(clocks_.flips[0], (std::pair<double, double>{0.5, -100}));
  EXPECT_EQ(clocks_.flips[1], (std::pair<double, double>{1.0, 100}));
  EXPECT_EQ(clocks_.flips[2], (std::pair<double, double>{1.5, -100}));
  Apply({{"f", "clock-end"}, {"node", "n2"}});
  EXPECT_FALSE(clocks_.settings.count("n2"));
  timers_.RunUntil(5);
  EXPECT_EQ(clocks_.flips.size(), 3u);
}

TEST_F(FaultRunnerTest, TheFinalHealEndsEveryOpenFaultWithItsProof) {
  Make();
  Apply({{"f", "partition"}, {"grouping", "n1,n2|n3,n4,n5"}});
  Apply({{"f", "loss"}, {"percent", 20}, {"target", "all"}});
  Apply({{"f", "duplicate"}, {"percent", 50}, {"target", "all"}});
  Apply({{"f", "delay"}, {"delay_ms", 50}, {"target", "all"}});
  Apply({{"f", "bandwidth"}, {"target", "node"}, {"node", "n1"}, {"rate_kbit", 800}});
  Apply({{"f", "clock"}, {"target", "node"}, {"node", "n2"}, {"mode", "bump"}, {"offset_ms", 50}});
  Apply({{"f", "pause"}, {"target", "node"}, {"node", "n3"}});
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n4"}});
  timers_.RunUntil(5);
  runner_->FinalHeal();

  EXPECT_TRUE(network_.cut.empty());
  EXPECT_TRUE(network_.loss.empty());
  EXPECT_TRUE(network_.duplicate.empty());
  EXPECT_TRUE(network_.delay.empty());
  EXPECT_TRUE(network_.limits.empty());
  EXPECT_TRUE(clocks_.settings.empty());
  for (std::size_t k = 0; k < kNodes; ++k) EXPECT_TRUE(processes_.Running(k)) << k;
  EXPECT_EQ(processes_.signals.back(), (std::pair<std::size_t, int>{2, SIGCONT}));
  // Every fault that started has ended, and has its proof.
  std::size_t starts = 0, ends = 0, verified = 0;
  for (const Event& e : History()) {
    if (e.type != EventType::kNemesis || !e.detail.is_object()) continue;
    const std::string phase = e.detail.value("phase", "");
    starts += phase == "start";
    ends += phase == "end" && e.f != "final-heal";
    verified += phase == "verified";
  }
  EXPECT_EQ(starts, 8u);
  EXPECT_EQ(ends, 8u);
  EXPECT_EQ(verified, 8u);
  for (const std::string f : {"partition", "loss", "duplicate", "delay", "bandwidth", "clock",
                              "pause", "kill"}) {
    const auto v = Verified(f);
    ASSERT_EQ(v.size(), 1u) << f;
    EXPECT_EQ(v[0].detail["proven"], true) << f << ": " << v[0].detail.dump();
  }
  ASSERT_EQ(Find(EventType::kNemesis, "final-heal").size(), 1u);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "final-heal")[0].time, 5.0);
}

TEST_F(FaultRunnerTest, TheFinalHealMakesTheNetworkWholeBeforeItStartsNodes) {
  Make();
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n1"}});
  Apply({{"f", "loss"}, {"percent", 20}, {"target", "all"}});
  Apply({{"f", "partition"}, {"grouping", "n1,n2|n3,n4,n5"}});
  runner_->FinalHeal();
  std::vector<std::string> order;
  for (const Event& e : History()) {
    if (e.type == EventType::kNemesis && e.detail.is_object() && e.detail.value("phase", "") == "end") {
      order.push_back(e.f);
    }
  }
  EXPECT_EQ(order, (std::vector<std::string>{"partition", "loss", "kill", "final-heal"}));
}

TEST_F(FaultRunnerTest, ANewFlapEndsTheOneStillFlapping) {
  Make();
  Apply({{"f", "flap"}, {"grouping", "n1,n2|n3,n4,n5"}, {"hold", 10}, {"every", {0.5, 0.5}}});
  timers_.RunUntil(1.2);  // partitions at 0 and 1.0
  Apply({{"f", "flap"}, {"grouping", "n1|n2,n3,n4,n5"}, {"hold", 1}, {"every", {0.5, 0.5}}});
  const auto first = Verified("flap");
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].detail["by"], "each of its 1 partitions was proven");  // its second still held
  timers_.RunUntil(20);
  ASSERT_EQ(Verified("flap").size(), 2u);
  EXPECT_EQ(Find(EventType::kNemesis, "flap", "end").size(), 2u);
  EXPECT_TRUE(network_.cut.empty());
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "flap", "end").back().time, 2.2);
}

TEST_F(FaultRunnerTest, AScheduleAppliesEachOpAtItsOffsetAndHealsAtTheQuietPeriod) {
  Make();
  const std::vector<nemesis::Op> ops = nemesis::FromJson(nlohmann::json::parse(R"([
    {"t": 1.0, "f": "kill", "target": "node", "node": "n1"},
    {"t": 2.5, "f": "restart", "node": "n1"},
    {"t": 3.25, "f": "partition", "grouping": "n1|n2,n3,n4,n5"}
  ])"));
  runner_->Schedule(ops, 8.0);
  timers_.RunUntil(10);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "kill", "start").at(0).time, 1.0);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "kill", "end").at(0).time, 2.5);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "partition", "start").at(0).time, 3.25);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "partition", "end").at(0).time, 8.0);
  EXPECT_DOUBLE_EQ(Find(EventType::kNemesis, "final-heal").at(0).time, 8.0);
  const nlohmann::json timeline = runner_->timeline();
  ASSERT_EQ(timeline.size(), 3u);  // the final heal is no op of the timeline
  EXPECT_DOUBLE_EQ(timeline[2]["t"].get<double>(), 3.25);
}

TEST_F(FaultRunnerTest, ASpooledTimelineKeepsAllButTheCurrentOpOnDisk) {
  Make();
  const std::filesystem::path spool = dir_.path() / "timeline.partial.jsonl";
  Apply({{"f", "kill"}, {"target", "node"}, {"node", "n1"}});  // kept in memory until spooling starts
  runner_->SpoolTimelineTo(spool);
  runner_->Schedule(nemesis::FromJson(nlohmann::json::parse(R"([
    {"t": 1.0, "f": "restart", "node": "n1"},
    {"t": 2.0, "f": "partition", "grouping": "n1|n2,n3,n4,n5"}
  ])")),
                    3.0);
  timers_.RunUntil(10);
  std::ifstream in(spool);
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 2u);  // the kill and the restart; the partition is still current
  EXPECT_EQ(lines[0]["op"]["f"], "kill");
  EXPECT_DOUBLE_EQ(lines[1]["t"].get<double>(), 1.0);
  const nlohmann::json timeline = runner_->timeline();
  ASSERT_EQ(timeline.size(), 3u);
  EXPECT_EQ(timeline[0], lines[0]);
  EXPECT_EQ(timeline[2]["op"]["f"], "partition");
  EXPECT_DOUBLE_EQ(timeline[2]["t"].get<double>(), 2.0);
}

TEST_F(FaultRunnerTest, ASpoolThatCannotBeCreatedIsNamed) {
  Make();
  const std::filesystem::path spool = dir_.path() / "missing" / "timeline.partial.jsonl";
  try {
    runner_->SpoolTimelineTo(spool);
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), spool.string() + ": cannot create the timeline spool");
  }
}

TEST_F(FaultRunnerTest, AfterStopNoOpFiresAndPausedNodesRun) {
  Make();
  Apply({{"f", "pause"}, {"target", "node"}, {"node", "n5"}});
  runner_->Schedule(nemesis::FromJson(nlohmann::json::parse(
                        R"([{"t": 2, "f": "kill", "target": "node", "node": "n1"}])")),
                    4.0);
  runner_->Stop();
  EXPECT_EQ(processes_.signals.back(), (std::pair<std::size_t, int>{4, SIGCONT}));
  timers_.RunUntil(10);
  EXPECT_TRUE(processes_.Running(0));
  EXPECT_TRUE(Find(EventType::kNemesis, "final-heal").empty());
}

}  // namespace
}  // namespace schism::harness

namespace schism::harness {
namespace {

// Every fault kind of the vocabulary has exactly one mechanism.
TEST(Mechanisms, OnePerFaultKind) {
  FakeTimers timers;
  FakeProcesses processes(3);
  FakeNetwork network;
  testing::TempDir dir;
  std::ostringstream progress;
  histories::HistoryWriter history(dir.path() / "history.jsonl");
  Recorder recorder(history, timers, progress);
  FaultContext context({"n1", "n2", "n3"}, FaultSeams{timers, processes, network, nullptr, nullptr, ""},
                       recorder, 1);
  NodeLives lives(context);
  std::multiset<std::string> kinds, mechanisms;
  for (const nemesis::FaultKind* kind : nemesis::AllFaultKinds()) kinds.emplace(kind->Name());
  for (const auto& m : MakeMechanisms(context, lives)) mechanisms.emplace(m->Kind());
  EXPECT_EQ(mechanisms, kinds);
}

}  // namespace
}  // namespace schism::harness
