// Property test: every built-in elector, driven by the seeded random scheduler
// of tests/sim/random_run.h (message loss, delay and reordering, kills and
// restarts, random two-way partitions), writes histories that the safety
// checkers judge. Correct raft, zab and lease are never flagged; each bug, and
// bully and ring (no quorum by design), is flagged exactly as measured below.
// Logical time only: each step is one 10 ms tick, 3000 steps a run.

#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "histories/reader.h"
#include "tests/sim/random_run.h"

namespace schism::checkers {
namespace {

using sim::Chaos;
using sim::ClusterSpec;
using sim::RandomRun;

constexpr int kSteps = 3000;

// The default chaos with the partitions only (bully and ring are judged on
// what a partition does to them, not a kill).
Chaos PartitionsOnly() {
  Chaos chaos;
  chaos.kill_per_mille = 0;
  return chaos;
}

// Frequent kills with quick restarts, and most messages held back a step or
// more: a restarted voter then often meets a request of a term it voted in
// before the restart, which forget-vote and accept-old-epoch need.
Chaos RestartHeavy() {
  Chaos chaos;
  chaos.kill_per_mille = 30;
  chaos.restart_min_s = 0.02;
  chaos.restart_span_s = 0.2;
  chaos.delay_percent = 60;
  return chaos;
}

// The safety checkers (liveness and kpis judge progress, not safety).
std::vector<Verdict> CheckSafety(const std::string& history) {
  std::istringstream in(history);
  histories::HistoryReader reader(in, "simulated.jsonl");
  std::vector<std::unique_ptr<Checker>> list;
  for (const std::string& name : CheckerNames()) {
    if (name != "liveness" && name != "kpis") list.push_back(MakeChecker(name, {}));
  }
  return RunCheckers(reader, list);
}

std::string SimulatedHistory(ClusterSpec spec, std::uint64_t seed, const Chaos& chaos) {
  spec.seed = seed;
  RandomRun run(std::move(spec), chaos);
  run.Run(kSteps);
  return run.history();
}

// The names of the checkers that flag the run, each with its reason.
std::map<std::string, std::string> Flags(const std::string& history) {
  std::map<std::string, std::string> flags;
  for (const Verdict& v : CheckSafety(history)) {
    if (v.valid == Validity::kInvalid) flags[v.checker] = v.reason;
  }
  return flags;
}

std::set<std::string> Names(const std::map<std::string, std::string>& flags) {
  std::set<std::string> names;
  for (const auto& [name, reason] : flags) names.insert(name);
  return names;
}

// Correct electors: measured unflagged for seeds 1..20 under both the default
// chaos and RestartHeavy(); two seeds of each here, to stay fast.
class SimCorrect : public ::testing::TestWithParam<const char*> {};

TEST_P(SimCorrect, IsNeverFlagged) {
  for (const Chaos& chaos : {Chaos{}, RestartHeavy()}) {
    for (std::uint64_t seed = 1; seed <= 2; ++seed) {
      const auto flags = Flags(SimulatedHistory({GetParam(), 5}, seed, chaos));
      for (const auto& [checker, reason] : flags) {
        ADD_FAILURE() << GetParam() << " seed " << seed << ": " << checker << ": " << reason;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Electors, SimCorrect, ::testing::Values("raft", "zab", "lease"),
                         [](const auto& p) { return std::string(p.param); });

TEST(SimProperty, TheHistoryExercisesTheCheckers) {
  std::map<std::string, Verdict> by_name;
  for (Verdict& v : CheckSafety(SimulatedHistory({"raft", 5}, 3, {}))) {
    by_name[v.checker] = std::move(v);
  }
  EXPECT_EQ(by_name["election-safety"].valid, Validity::kValid);
  EXPECT_EQ(by_name["quorum"].valid, Validity::kValid);
  EXPECT_EQ(by_name["term-monotonic"].valid, Validity::kValid);
  EXPECT_EQ(by_name["agreement"].valid, Validity::kValid);
  EXPECT_GT(by_name["partition-quorum"].details["partitions"].get<int>(), 0);
  EXPECT_GT(by_name["election-safety"].details["terms_with_leader"].get<int>(), 1);
}

// One measured outcome: the run of `spec` with `seed` under `chaos` is flagged
// by exactly `checkers`. `measured` says what the first 20 seeds gave.
struct Measured {
  const char* name;
  ClusterSpec spec;
  Chaos chaos;
  std::uint64_t seed;
  std::set<std::string> checkers;
  const char* measured;
};

void PrintTo(const Measured& m, std::ostream* os) { *os << m.name; }

const Measured kMeasured[] = {
    {"RaftDoubleVote",
     {"raft", 5, "double-vote"},
     {},
     1,
     {"election-safety", "split-brain", "vote-once"},
     "19 of 20 seeds flagged"},
    // Not found under the default chaos (0 of 20): a restart seldom meets a
    // rival's request of the term the voter forgot.
    {"RaftForgetVote",
     {"raft", 5, "forget-vote"},
     RestartHeavy(),
     1,
     {"vote-once"},
     "17 of 20 seeds flagged; 0 of 20 under the default chaos"},
    {"RaftNoStepDown",
     {"raft", 5, "no-step-down"},
     {},
     1,
     {"partition-quorum"},
     "20 of 20 seeds flagged"},
    // Not a bug of the table, an option: without check-quorum a leader cut
    // off from the majority leads until the partition heals.
    {"RaftNoCheckQuorum",
     {"raft", 5, "", {{"no-check-quorum", 1}}},
     {},
     1,
     {"partition-quorum"},
     "17 of 20 seeds flagged, by partition-quorum only"},
    // Not found under the default chaos (0 of 20) nor with RestartHeavy()'s
    // kills but 20 % delay (0 of 20): it needs stale epochs held in flight.
    {"ZabAcceptOldEpoch",
     {"zab", 5, "accept-old-epoch"},
     RestartHeavy(),
     3,
     {"vote-once"},
     "4 of 20 seeds flagged (3, ...), seeds 1 and 2 not"},
    {"ZabNoQuorum",
     {"zab", 5, "no-quorum"},
     {},
     1,
     {"election-safety", "partition-quorum", "quorum", "split-brain"},
     "20 of 20 seeds flagged"},
    {"LeaseLongLease",
     {"lease", 5, "long-lease"},
     {},
     1,
     {"lease", "partition-quorum"},
     "19 of 20 seeds flagged"},
    {"LeaseNoFencing", {"lease", 5, "no-fencing"}, {}, 1, {"fencing"}, "20 of 20 seeds flagged"},
    {"BullyUnderPartitions",
     {"bully", 5},
     PartitionsOnly(),
     1,
     {"partition-quorum", "split-brain"},
     "20 of 20 seeds flagged"},
    {"RingUnderPartitions",
     {"ring", 5},
     PartitionsOnly(),
     1,
     {"partition-quorum", "split-brain"},
     "20 of 20 seeds flagged"},
};

class SimFlagged : public ::testing::TestWithParam<Measured> {};

TEST_P(SimFlagged, AsMeasured) {
  const Measured& m = GetParam();
  const auto flags = Flags(SimulatedHistory(m.spec, m.seed, m.chaos));
  std::string reasons;
  for (const auto& [checker, reason] : flags) reasons += "\n  " + checker + ": " + reason;
  EXPECT_EQ(Names(flags), m.checkers) << "measured: " << m.measured << reasons;
}

INSTANTIATE_TEST_SUITE_P(Electors, SimFlagged, ::testing::ValuesIn(kMeasured),
                         [](const auto& p) { return std::string(p.param.name); });

}  // namespace
}  // namespace schism::checkers
