#include "nemesis/schedule.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>

#include "nemesis/random.h"

namespace schism::nemesis {
namespace {

// Decorrelates the schedule's stream from other users of the run's seed.
constexpr std::uint64_t kScheduleStream = 0x5c415d0e3e515eedULL;
// No fault starts closer than this to the final heal.
constexpr double kMinFaultRoom = 0.5;
// Share of cycles that partition when both nemeses are on.
constexpr double kPartitionShare = 0.7;
// Chance that a partition also kills a node while it holds.
constexpr double kKillDuringPartition = 0.5;
// Share of cycles per nemesis once "loss" or "pause" is on (renormalised over
// the enabled ones). With only partition and kill, the original two-way
// choice (kPartitionShare) is kept so that existing seeds are unchanged.
constexpr double kPartitionWeight = 0.40;
constexpr double kKillWeight = 0.25;
constexpr double kLossWeight = 0.20;
constexpr double kPauseWeight = 0.15;

double Millis(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

Op Simple(OpKind kind, double offset_s) {
  Op op;
  op.kind = kind;
  op.offset_s = offset_s;
  return op;
}

struct Weighted {
  double weight;
  int value;
};

int Pick(std::mt19937_64& rng, const std::vector<Weighted>& choices) {
  double total = 0;
  for (const auto& c : choices) total += c.weight;
  double x = Uniform01(rng) * total;
  for (const auto& c : choices) {
    if (x < c.weight) return c.value;
    x -= c.weight;
  }
  return choices.back().value;
}

GrudgeKind PickGrudge(std::mt19937_64& rng, std::size_t node_count) {
  // Non-transitive shapes get most of the weight: they expose double voting.
  std::vector<Weighted> choices = {{0.15, static_cast<int>(GrudgeKind::kHalves)},
                                   {0.10, static_cast<int>(GrudgeKind::kOne)},
                                   {0.15, static_cast<int>(GrudgeKind::kIsolateLeader)}};
  if (node_count >= 3) {
    choices.push_back({0.30, static_cast<int>(GrudgeKind::kMajoritiesRing)});
    choices.push_back({0.30, static_cast<int>(GrudgeKind::kBridge)});
  }
  return static_cast<GrudgeKind>(Pick(rng, choices));
}

// Returns a kill at `t`, or nullopt when none fits before `end`.
std::optional<Op> MakeKill(std::mt19937_64& rng, double t, double end, double interval) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kKill;
  op.target = static_cast<KillTarget>(Pick(rng, {{0.45, static_cast<int>(KillTarget::kVoter)},
                                                 {0.35, static_cast<int>(KillTarget::kLeader)},
                                                 {0.20, static_cast<int>(KillTarget::kRandom)}}));
  // Mostly very short downtimes, so the node rejoins while an election runs.
  op.restart_after_s =
      Millis(Chance(rng, 0.55) ? UniformReal(rng, 0.05, 0.3) : UniformReal(rng, 0.3, 2.0));
  if (op.target == KillTarget::kVoter) {
    // A voter comes back within 20-120 ms (the same draw, folded), while a
    // rival candidate of the same term may still be asking: the window in
    // which an elector that forgot its vote votes again.
    op.restart_after_s = Millis(0.02 + std::fmod(op.restart_after_s, 0.1));
  }
  double room = end - t - op.restart_after_s;
  if (op.target == KillTarget::kVoter) {
    op.voter_wait_s = Millis(std::min({std::clamp(1.5 * interval, 1.0, 5.0), room - 0.1}));
    if (op.voter_wait_s < 0.2) {
      op.target = KillTarget::kLeader;
      op.voter_wait_s = 0;
    } else {
      room -= op.voter_wait_s;
    }
  }
  if (room < 0) return std::nullopt;
  return op;
}

Op MakeLoss(std::mt19937_64& rng, double t) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kLoss;
  op.loss_target = static_cast<LossTarget>(Pick(rng, {{0.35, static_cast<int>(LossTarget::kPair)},
                                                      {0.35, static_cast<int>(LossTarget::kInto)},
                                                      {0.30, static_cast<int>(LossTarget::kAll)}}));
  // Light loss stresses retries and timeouts; heavy loss is nearly a cut.
  op.loss_percent = Pick(rng, {{0.25, 10}, {0.35, 30}, {0.25, 60}, {0.15, 100}});
  return op;
}

// Returns a pause at `t` whose resume falls before `end`, or nullopt.
std::optional<Op> MakePause(std::mt19937_64& rng, double t, double end, double interval) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kPause;
  op.target = static_cast<KillTarget>(Pick(rng, {{0.5, static_cast<int>(KillTarget::kLeader)},
                                                 {0.5, static_cast<int>(KillTarget::kRandom)}}));
  // Around an election timeout or longer: a paused leader wakes up stale.
  op.resume_after_s = Millis(std::min(UniformReal(rng, 0.2, 1.5 * interval), end - op.offset_s));
  if (op.resume_after_s < 0.05) return std::nullopt;
  return op;
}

enum class Cycle { kPartition, kKill, kLoss, kPause };

}  // namespace

double QuietPeriod(const ScheduleOptions& options) {
  if (options.quiet_s) return *options.quiet_s;
  return std::min(options.duration_s, std::max(5.0, 0.2 * options.duration_s));
}

std::vector<Op> Generate(const ScheduleOptions& options) {
  if (!(options.duration_s > 0)) throw std::invalid_argument("schedule: duration must be > 0");
  if (!(options.interval_s > 0)) throw std::invalid_argument("schedule: interval must be > 0");
  const double quiet = QuietPeriod(options);
  if (!(quiet >= 0 && quiet <= options.duration_s)) {
    throw std::invalid_argument("schedule: quiet period must lie within [0, duration]");
  }
  if (options.node_count == 0) throw std::invalid_argument("schedule: no nodes");
  bool partition = false;
  bool kill = false;
  bool loss = false;
  bool pause = false;
  for (const auto& name : options.nemeses) {
    if (name == "partition") {
      partition = true;
    } else if (name == "kill") {
      kill = true;
    } else if (name == "loss") {
      loss = true;
    } else if (name == "pause") {
      pause = true;
    } else {
      throw std::invalid_argument("schedule: unknown nemesis \"" + name +
                                  "\" (known: partition, kill, loss, pause)");
    }
  }
  std::vector<Op> ops;
  if (!partition && !kill && !loss && !pause) return ops;
  std::vector<Weighted> cycles;
  if (partition) cycles.push_back({kPartitionWeight, static_cast<int>(Cycle::kPartition)});
  if (kill) cycles.push_back({kKillWeight, static_cast<int>(Cycle::kKill)});
  if (loss) cycles.push_back({kLossWeight, static_cast<int>(Cycle::kLoss)});
  if (pause) cycles.push_back({kPauseWeight, static_cast<int>(Cycle::kPause)});

  std::mt19937_64 rng(options.seed ^ kScheduleStream);
  const double interval = options.interval_s;
  const double end = Millis(options.duration_s - quiet);
  // Let the cluster elect a first leader before anything breaks.
  double t = interval * UniformReal(rng, 0.8, 1.2);
  while (t < end - kMinFaultRoom) {
    Cycle cycle;
    if (!loss && !pause) {
      // The original draw, kept bit for bit (see schedule_pin_test.cc).
      cycle =
          partition && (!kill || Chance(rng, kPartitionShare)) ? Cycle::kPartition : Cycle::kKill;
    } else {
      cycle = static_cast<Cycle>(Pick(rng, cycles));
    }
    if (cycle == Cycle::kLoss) {
      const double hold = interval * UniformReal(rng, 0.6, 1.4);
      const double end_at = std::min(t + hold, end);
      ops.push_back(MakeLoss(rng, t));
      if (end_at < end) ops.push_back(Simple(OpKind::kLossEnd, Millis(end_at)));
      t = end_at + interval * UniformReal(rng, 0.5, 1.5);
    } else if (cycle == Cycle::kPause) {
      if (auto p = MakePause(rng, t, end, interval)) ops.push_back(*p);
      t += interval * UniformReal(rng, 0.7, 1.3);
    } else if (cycle == Cycle::kPartition) {
      const double hold = interval * UniformReal(rng, 0.6, 1.4);
      const double heal_at = std::min(t + hold, end);
      Op op;
      op.offset_s = Millis(t);
      op.kind = OpKind::kPartition;
      op.grudge = PickGrudge(rng, options.node_count);
      ops.push_back(op);
      if (kill && Chance(rng, kKillDuringPartition)) {
        // A kill while the network is split: a voter that restarts quickly
        // behind a bridge or ring is what shows a forgotten vote.
        if (auto k = MakeKill(rng, t + hold * UniformReal(rng, 0.1, 0.6), end, interval)) {
          ops.push_back(*k);
        }
      }
      if (heal_at < end) ops.push_back(Simple(OpKind::kHeal, Millis(heal_at)));
      t = heal_at + interval * UniformReal(rng, 0.5, 1.5);
    } else {
      if (auto k = MakeKill(rng, t, end, interval)) ops.push_back(*k);
      t += interval * UniformReal(rng, 0.7, 1.3);
    }
  }
  // Always finish healed and whole, then leave the quiet period alone.
  ops.push_back(Simple(OpKind::kHeal, end));
  if (loss) ops.push_back(Simple(OpKind::kLossEnd, end));
  if (pause) ops.push_back(Simple(OpKind::kResume, end));
  ops.push_back(Simple(OpKind::kRestart, end));
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return a.offset_s < b.offset_s; });
  return ops;
}

}  // namespace schism::nemesis
