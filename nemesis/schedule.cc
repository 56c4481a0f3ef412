// Generate (schedule.h): the seeded schedule, one cycle at a time, each drawn
// by the fault kind it picks (fault_kind.h).
#include "nemesis/schedule.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <set>
#include <stdexcept>
#include <string>

#include "nemesis/fault_kind.h"
#include "nemesis/faults/faults.h"
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
// Share of cycles that partition when only partition and kill are on, with
// no weights: the original two-way choice, kept so that their seeds keep
// their schedules (schedule_pin_test.cc).
constexpr double kPartitionShare = 0.7;

// The enabled kinds with their weights, in list order (so the user's order
// on the command line does not change the schedule).
struct Enabled {
  const FaultKind* kind;
  double weight;
};

std::vector<Enabled> EnabledKinds(const ScheduleOptions& options, const std::set<std::string>& on) {
  std::vector<Enabled> enabled;
  for (const FaultKind* kind : AllFaultKinds()) {
    const std::string name(kind->Name());
    if (!on.count(name)) continue;
    const auto custom = options.weights.find(name);
    enabled.push_back(
        {kind, custom != options.weights.end() ? custom->second : kind->DefaultWeight()});
  }
  return enabled;
}

// One enabled kind, by weight (one draw).
const FaultKind* PickKind(std::mt19937_64& rng, const std::vector<Enabled>& enabled) {
  std::vector<faults::Weighted> choices;
  for (std::size_t i = 0; i < enabled.size(); ++i) {
    choices.push_back({enabled[i].weight, static_cast<int>(i)});
  }
  return enabled[static_cast<std::size_t>(faults::Pick(rng, choices))].kind;
}

// The end op of every kind that is on (or always ends), once each, by tail
// stage and then in list order.
std::vector<OpKind> TailEnds(const std::set<std::string>& on) {
  std::vector<const FaultKind*> kinds;
  for (const FaultKind* kind : AllFaultKinds()) {
    if (kind->Tail().always || on.count(std::string(kind->Name()))) kinds.push_back(kind);
  }
  std::stable_sort(kinds.begin(), kinds.end(), [](const FaultKind* a, const FaultKind* b) {
    return a->Tail().stage < b->Tail().stage;
  });
  std::vector<OpKind> ends;
  for (const FaultKind* kind : kinds) {
    if (std::find(ends.begin(), ends.end(), kind->EndOp()) == ends.end()) {
      ends.push_back(kind->EndOp());
    }
  }
  return ends;
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
    if (FaultKindNamed(name) == nullptr) {
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
  const FaultKind* partition = FaultKindNamed("partition");
  const FaultKind* kill = FaultKindNamed("kill");
  const bool classic = options.weights.empty() &&
                       std::all_of(on.begin(), on.end(), [](const std::string& n) {
                         return n == "partition" || n == "kill";
                       });
  const std::vector<Enabled> enabled = EnabledKinds(options, on);
  double total_weight = 0;
  for (const auto& e : enabled) total_weight += e.weight;
  if (!(total_weight > 0)) throw std::invalid_argument("schedule: every weight is 0");

  std::mt19937_64 rng(StreamSeed(options.seed, Stream::kSchedule));
  CycleDraw draw{rng, ops};
  draw.interval = options.interval_s;
  draw.end = faults::Millis(options.duration_s - quiet);
  draw.node_count = options.node_count;
  draw.on = &on;
  draw.t = UniformReal(rng, kFirstFaultMin, kFirstFaultMax);
  while (draw.t < draw.end - kMinFaultRoom) {
    const FaultKind* cycle = nullptr;
    if (classic) {
      cycle = on.count("partition") && (!on.count("kill") || Chance(rng, kPartitionShare))
                  ? partition
                  : kill;
    } else {
      cycle = PickKind(rng, enabled);
    }
    draw.t = cycle->DrawCycle(draw);
  }
  // Always finish healed and whole, then leave the quiet period alone.
  for (OpKind end : TailEnds(on)) ops.push_back(faults::Simple(end, draw.end));
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return a.offset_s < b.offset_s; });
  return ops;
}

}  // namespace schism::nemesis
