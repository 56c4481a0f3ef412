#include "nemesis/schedule.h"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <set>
#include <stdexcept>
#include <string>

#include "nemesis/random.h"

namespace schism::nemesis {
namespace {

// No fault starts closer than this to the final heal.
constexpr double kMinFaultRoom = 0.5;
// The first fault comes this many seconds after the start, whatever the
// interval: the built-in Raft has elected a first leader by then (within
// about 0.3-1 s), and a run breaks it from its first seconds.
constexpr double kFirstFaultMin = 1.0;
constexpr double kFirstFaultMax = 2.0;
// Share of cycles that partition when both nemeses are on.
constexpr double kPartitionShare = 0.7;
// Chance that a partition also kills a node while it holds.
constexpr double kKillDuringPartition = 0.5;
// Share of cycles per nemesis, in kNemesisNames order (renormalised over the
// enabled ones). With only partition and kill and no weights, the original
// two-way choice (kPartitionShare) is kept so that existing seeds are unchanged.
constexpr double kDefaultWeights[] = {0.40, 0.25, 0.20, 0.15, 0.20, 0.15, 0.15, 0.15, 0.10};
static_assert(std::size(kDefaultWeights) == std::size(kNemesisNames));

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

// Returns a kill at `t`, or nullopt when none fits before `end`. Without
// `voter_ok` it never waits for a voter: nothing may be electing then.
std::optional<Op> MakeKill(std::mt19937_64& rng, double t, double end, double interval,
                           bool voter_ok) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kKill;
  op.target = static_cast<KillTarget>(
      Pick(rng, {{voter_ok ? 0.45 : 0.0, static_cast<int>(KillTarget::kVoter)},
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
  // Half the pauses freeze the node's cgroup: no SIGSTOP for it (or a
  // parent) to notice, as in a VM or container that is suspended.
  op.freeze = Chance(rng, 0.5);
  return op;
}

// A delay of 5 to 200 ms, with no jitter or up to half of it: slow links,
// and reordering between packets of one pair.
Op MakeDelay(std::mt19937_64& rng, double t) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kDelay;
  op.loss_target = static_cast<LossTarget>(Pick(rng, {{0.35, static_cast<int>(LossTarget::kPair)},
                                                      {0.35, static_cast<int>(LossTarget::kInto)},
                                                      {0.30, static_cast<int>(LossTarget::kAll)}}));
  op.delay_ms = Pick(rng, {{0.2, 5}, {0.3, 20}, {0.3, 50}, {0.15, 100}, {0.05, 200}});
  op.jitter_ms = op.delay_ms * Pick(rng, {{0.4, 0}, {0.3, 1}, {0.3, 2}}) / 4.0;
  return op;
}

// A clock bump of up to ±5 s, a strobe between two offsets, or a rate of
// ×0.5 .. ×2, on one node, the leader or a minority.
Op MakeClock(std::mt19937_64& rng, double t) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kClock;
  op.target = static_cast<KillTarget>(Pick(rng, {{0.4, static_cast<int>(KillTarget::kLeader)},
                                                 {0.4, static_cast<int>(KillTarget::kRandom)},
                                                 {0.2, static_cast<int>(KillTarget::kMinority)}}));
  op.clock_mode = static_cast<ClockMode>(Pick(rng, {{0.5, static_cast<int>(ClockMode::kBump)},
                                                    {0.25, static_cast<int>(ClockMode::kStrobe)},
                                                    {0.25, static_cast<int>(ClockMode::kRate)}}));
  const double sign = Chance(rng, 0.5) ? 1.0 : -1.0;
  switch (op.clock_mode) {
    case ClockMode::kBump:
      op.clock_offset_ms = sign * std::round(UniformReal(rng, 100, 5000));
      break;
    case ClockMode::kStrobe:
      op.clock_offset2_ms = sign * std::round(UniformReal(rng, 100, 2000));
      op.clock_period_s = Millis(UniformReal(rng, 0.1, 1.0));
      break;
    case ClockMode::kRate:
      op.clock_rate = Pick(rng, {{0.3, 50}, {0.2, 90}, {0.2, 110}, {0.3, 200}}) / 100.0;
      break;
  }
  return op;
}

// A SIGTERM to a node, the leader or a minority; SIGKILL after a grace.
Op MakeTerm(std::mt19937_64& rng, double t) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kTerm;
  op.target = static_cast<KillTarget>(Pick(rng, {{0.4, static_cast<int>(KillTarget::kLeader)},
                                                 {0.4, static_cast<int>(KillTarget::kRandom)},
                                                 {0.2, static_cast<int>(KillTarget::kMinority)}}));
  op.grace_s = Millis(UniformReal(rng, 0.2, 2.0));
  op.restart_after_s = Millis(UniformReal(rng, 0.1, 1.5));
  return op;
}

Op MakeBandwidth(std::mt19937_64& rng, double t) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kBandwidth;
  op.target = static_cast<KillTarget>(Pick(rng, {{0.5, static_cast<int>(KillTarget::kLeader)},
                                                 {0.3, static_cast<int>(KillTarget::kRandom)},
                                                 {0.2, static_cast<int>(KillTarget::kAll)}}));
  op.rate_kbit = Pick(rng, {{0.3, 32}, {0.4, 256}, {0.3, 2048}});
  return op;
}

// One per nemesis, in kNemesisNames order.
enum class Cycle { kPartition, kKill, kLoss, kPause, kDelay, kClock, kFlap, kTerm, kBandwidth };

// A fault that holds for a while and is then ended by `end_kind`.
void HeldFault(std::vector<Op>& ops, Op fault, OpKind end_kind, double hold, double end) {
  const double end_at = std::min(fault.offset_s + hold, end);
  ops.push_back(std::move(fault));
  if (end_at < end) ops.push_back(Simple(end_kind, Millis(end_at)));
}

// A fault held 0.6-1.4 intervals and then ended by `end_kind`; returns when
// the next cycle starts. `make` draws the fault after the hold is drawn.
template <typename Make>
double HeldCycle(std::mt19937_64& rng, std::vector<Op>& ops, Make make, OpKind end_kind, double t,
                 double end, double interval) {
  const double hold = interval * UniformReal(rng, 0.6, 1.4);
  HeldFault(ops, make(), end_kind, hold, end);
  return std::min(t + hold, end) + interval * UniformReal(rng, 0.5, 1.5);
}

// The enabled nemeses with their weights, in kNemesisNames order (so the
// user's order on the command line does not change the schedule).
std::vector<Weighted> CycleWeights(const ScheduleOptions& options, const std::set<std::string>& on) {
  std::vector<Weighted> cycles;
  for (std::size_t i = 0; i < std::size(kNemesisNames); ++i) {
    const std::string name(kNemesisNames[i]);
    if (!on.count(name)) continue;
    const auto custom = options.weights.find(name);
    const double weight = custom != options.weights.end() ? custom->second : kDefaultWeights[i];
    cycles.push_back({weight, static_cast<int>(i)});
  }
  return cycles;
}

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
  std::set<std::string> on;
  for (const auto& name : options.nemeses) {
    if (std::find(std::begin(kNemesisNames), std::end(kNemesisNames), name) ==
        std::end(kNemesisNames)) {
      std::string known;
      for (std::string_view n : kNemesisNames) known += (known.empty() ? "" : ", ") + std::string(n);
      throw std::invalid_argument("schedule: unknown nemesis \"" + name + "\" (known: " + known + ")");
    }
    on.insert(name);
  }
  for (const auto& [name, weight] : options.weights) {
    if (!on.count(name)) throw std::invalid_argument("schedule: weight for \"" + name + "\", which is not on");
    if (!(weight >= 0) || !std::isfinite(weight)) {
      throw std::invalid_argument("schedule: weight for \"" + name + "\" must be a number >= 0");
    }
  }
  std::vector<Op> ops;
  if (on.empty()) return ops;
  const bool kill = on.count("kill") > 0;
  // The original two-way draw, kept bit for bit (see schedule_pin_test.cc).
  const bool classic = options.weights.empty() &&
                       std::all_of(on.begin(), on.end(), [](const std::string& n) {
                         return n == "partition" || n == "kill";
                       });
  std::vector<Weighted> cycles = CycleWeights(options, on);
  double total_weight = 0;
  for (const auto& c : cycles) total_weight += c.weight;
  if (!(total_weight > 0)) throw std::invalid_argument("schedule: every weight is 0");

  std::mt19937_64 rng(StreamSeed(options.seed, Stream::kSchedule));
  const double interval = options.interval_s;
  const double end = Millis(options.duration_s - quiet);
  double t = UniformReal(rng, kFirstFaultMin, kFirstFaultMax);
  while (t < end - kMinFaultRoom) {
    Cycle cycle;
    if (classic) {
      cycle = on.count("partition") && (!kill || Chance(rng, kPartitionShare)) ? Cycle::kPartition
                                                                               : Cycle::kKill;
    } else {
      cycle = static_cast<Cycle>(Pick(rng, cycles));
    }
    switch (cycle) {
      case Cycle::kLoss:
        t = HeldCycle(rng, ops, [&] { return MakeLoss(rng, t); }, OpKind::kLossEnd, t, end, interval);
        break;
      case Cycle::kDelay:
        t = HeldCycle(rng, ops, [&] { return MakeDelay(rng, t); }, OpKind::kDelayEnd, t, end, interval);
        break;
      case Cycle::kBandwidth:
        t = HeldCycle(rng, ops, [&] { return MakeBandwidth(rng, t); }, OpKind::kBandwidthEnd, t, end, interval);
        break;
      case Cycle::kClock:
        t = HeldCycle(rng, ops, [&] { return MakeClock(rng, t); }, OpKind::kClockEnd, t, end, interval);
        break;
      case Cycle::kFlap: {
        Op op;
        op.offset_s = Millis(t);
        op.kind = OpKind::kFlap;
        op.grudge = PickGrudge(rng, options.node_count);
        op.hold_s = Millis(std::min(interval * UniformReal(rng, 0.8, 1.6), end - t));
        op.flap_min_s = Millis(std::clamp(0.05 * interval, 0.05, 0.5));
        op.flap_max_s = Millis(std::clamp(0.3 * interval, op.flap_min_s, 2.0));
        ops.push_back(op);
        t += op.hold_s + interval * UniformReal(rng, 0.5, 1.5);
        break;
      }
      case Cycle::kTerm:
        ops.push_back(MakeTerm(rng, t));
        t += interval * UniformReal(rng, 0.7, 1.3);
        break;
      case Cycle::kPause:
        if (auto p = MakePause(rng, t, end, interval)) ops.push_back(*p);
        t += interval * UniformReal(rng, 0.7, 1.3);
        break;
      case Cycle::kPartition: {
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
          if (auto k = MakeKill(rng, t + hold * UniformReal(rng, 0.1, 0.6), end, interval,
                                /*voter_ok=*/true)) {
            ops.push_back(*k);
          }
        }
        if (heal_at < end) ops.push_back(Simple(OpKind::kHeal, Millis(heal_at)));
        t = heal_at + interval * UniformReal(rng, 0.5, 1.5);
        break;
      }
      case Cycle::kKill:
        // The first fault acts at once: a voter kill would wait, maybe in
        // vain, for an election in a cluster that has just settled.
        if (auto k = MakeKill(rng, t, end, interval, /*voter_ok=*/!ops.empty())) ops.push_back(*k);
        t += interval * UniformReal(rng, 0.7, 1.3);
        break;
    }
  }
  // Always finish healed and whole, then leave the quiet period alone.
  ops.push_back(Simple(OpKind::kHeal, end));
  if (on.count("loss")) ops.push_back(Simple(OpKind::kLossEnd, end));
  if (on.count("delay")) ops.push_back(Simple(OpKind::kDelayEnd, end));
  if (on.count("bandwidth")) ops.push_back(Simple(OpKind::kBandwidthEnd, end));
  if (on.count("clock")) ops.push_back(Simple(OpKind::kClockEnd, end));
  if (on.count("pause")) ops.push_back(Simple(OpKind::kResume, end));
  ops.push_back(Simple(OpKind::kRestart, end));
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return a.offset_s < b.offset_s; });
  return ops;
}

bool EndsFaults(OpKind kind) {
  switch (kind) {  // no default: a new kind must say which it is
    case OpKind::kHeal:
    case OpKind::kRestart:
    case OpKind::kResume:
    case OpKind::kLossEnd:
    case OpKind::kDelayEnd:
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      return true;
    case OpKind::kPartition:
    case OpKind::kKill:
    case OpKind::kLoss:
    case OpKind::kPause:
    case OpKind::kFlap:
    case OpKind::kTerm:
    case OpKind::kDelay:
    case OpKind::kBandwidth:
    case OpKind::kClock:
      return false;
  }
  return false;
}

}  // namespace schism::nemesis
