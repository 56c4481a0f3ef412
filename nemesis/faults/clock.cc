// clock: a node's clock jumps (bump), flips between two offsets (strobe) or
// runs at another rate, until a clock-end. Never the host's clock.
#include <algorithm>
#include <cmath>
#include <optional>

#include "nemesis/faults/faults.h"
#include "nemesis/names.h"
#include "nemesis/suggest.h"

namespace schism::nemesis::faults {
namespace {

// Chance that a clock cycle is a lease race (partition on): every clock at
// twice real speed, and the leader cut off while they run.
constexpr double kLeaseRace = 0.5;
// Twice real speed: far past any lease elector's drift bound (the built-in
// lease's is 10 %), so granters count a promised lease out in half the time.
constexpr double kRaceRate = 2.0;
// The leader is cut off this long after the clocks sped up, once leases have
// been granted and claimed on the fast clocks, for 1.5-3 s: longer than a
// built-in lease (1 s) and a new election.
constexpr double kRaceCutAfter = 0.5;

// A lease race from draw.t, held 0.6-1.4 intervals: every clock at
// kRaceRate, the leader isolated kRaceCutAfter later and healed before the
// clocks are restored. Granters whose clocks run fast count their promise out
// early and grant a new leader while the old one's claim still runs on real
// time: a lease elector is safe only while drift stays under its bound.
// Returns when the next cycle starts, or nullopt, having drawn and pushed
// nothing more than the random numbers, when it does not fit before draw.end.
std::optional<double> DrawLeaseRace(CycleDraw& draw) {
  const double hold = draw.interval * UniformReal(draw.rng, 0.6, 1.4);
  const double cut_at = draw.t + kRaceCutAfter;
  const double heal_at = cut_at + UniformReal(draw.rng, 1.5, 3.0);
  const double end_at = std::max(draw.t + hold, heal_at + 0.5);
  if (end_at >= draw.end) return std::nullopt;
  Op clock;
  clock.offset_s = Millis(draw.t);
  clock.kind = OpKind::kClock;
  clock.target = KillTarget::kAll;
  clock.clock_mode = ClockMode::kRate;
  clock.clock_rate = kRaceRate;
  draw.ops.push_back(clock);
  Op cut;
  cut.offset_s = Millis(cut_at);
  cut.kind = OpKind::kPartition;
  cut.grudge = GrudgeKind::kIsolateLeader;
  draw.ops.push_back(cut);
  draw.ops.push_back(Simple(OpKind::kHeal, Millis(heal_at)));
  draw.ops.push_back(Simple(OpKind::kClockEnd, Millis(end_at)));
  return Millis(end_at) + draw.interval * UniformReal(draw.rng, 0.5, 1.5);
}

class ClockKind final : public AnyNodeFault {
 public:
  std::string_view Name() const override { return "clock"; }
  double DefaultWeight() const override { return 0.15; }
  OpKind StartOp() const override { return OpKind::kClock; }
  OpKind EndOp() const override { return OpKind::kClockEnd; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kClock,
             "clock",
             {"target", "node", "mode", "offset_ms", "offset2_ms", "period", "rate"}},
            {OpKind::kClockEnd, "clock-end", {"node"}}};
  }
  TailSlot Tail() const override { return {TailStage::kClock, /*always=*/false}; }
  std::string_view Help() const override {
    return "skew nodes' clocks: a jump, a strobe between two offsets, or another rate";
  }
  FaultDoc Doc() const override {
    return {
        "`clock`: `target` (+`node`, below); `mode`: `bump` (+`offset_ms`, either sign), `strobe` "
        "(+`offset_ms`, `offset2_ms`, `period` s), `rate` (+`rate`, e.g. 2 or 0.5, at most "
        "100). `clock-end`: `node` (optional)",
        "changes the victims' clocks, never the host's: libfaketime for glibc programs "
        "(realtime and monotonic, changed at run time through a file); for other binaries "
        "the op is recorded as unsupported. `clock-end` restores that node's clock, or every "
        "clock",
        "a probe started in the node's namespace with its faketime settings as the op applies "
        "reads the asked offset (within 2 ms + the reading's spread, realtime and monotonic) "
        "or rate (within 0.5%) ([mechanisms/clock.md](mechanisms/clock.md))",
        "the elector is not a glibc program (the op is unsupported), the probe reads another "
        "offset or rate (libfaketime not loaded), or a rate op was overtaken before its second "
        "reading"};
  }

  // A bump of up to ±5 s, a strobe between two offsets, or a rate of ×0.5 ..
  // ×2, on one node, the leader or a minority.
  // With partition on, half the clock cycles are a lease race instead
  // (DrawLeaseRace).
  double DrawCycle(CycleDraw& draw) const override {
    if (draw.IsOn("partition") && Chance(draw.rng, kLeaseRace)) {
      if (auto next = DrawLeaseRace(draw)) return *next;
    }
    return HeldCycle(draw, OpKind::kClockEnd, [&] {
      auto& rng = draw.rng;
      Op op;
      op.offset_s = Millis(draw.t);
      op.kind = OpKind::kClock;
      op.target = PickOf<KillTarget>(
          rng,
          {{0.4, KillTarget::kLeader}, {0.4, KillTarget::kRandom}, {0.2, KillTarget::kMinority}});
      op.clock_mode = PickOf<ClockMode>(
          rng, {{0.5, ClockMode::kBump}, {0.25, ClockMode::kStrobe}, {0.25, ClockMode::kRate}});
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
    });
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind == OpKind::kClockEnd) {
      ReadOptionalNode(in, op);
      return;
    }
    ReadTarget(in, op, /*voter_ok=*/false);
    const std::string mode = in.String("mode");
    const auto parsed = ValueOf(kClockModeNames, mode);
    if (!parsed) {
      in.Fail("unknown clock mode \"" + mode + "\" (bump, strobe or rate)" +
              DidYouMean(mode, NamesOf(kClockModeNames)));
    }
    op.clock_mode = *parsed;
    switch (op.clock_mode) {
      case ClockMode::kBump:
        op.clock_offset_ms = in.SignedNumber("offset_ms", std::nullopt);
        break;
      case ClockMode::kStrobe:
        op.clock_offset_ms = in.SignedNumber("offset_ms", 0.0);
        op.clock_offset2_ms = in.SignedNumber("offset2_ms", std::nullopt);
        op.clock_period_s = in.Positive("period", std::nullopt);
        break;
      case ClockMode::kRate:
        op.clock_rate = in.Positive("rate", std::nullopt);
        if (op.clock_rate > 100) in.Fail("\"rate\" must be at most 100");
        break;
    }
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind == OpKind::kClockEnd) {
      WriteOptionalNode(op, out);
      return;
    }
    WriteTarget(op, out);
    out["mode"] = ToString(op.clock_mode);
    switch (op.clock_mode) {
      case ClockMode::kBump:
        out["offset_ms"] = op.clock_offset_ms;
        break;
      case ClockMode::kStrobe:
        out["offset_ms"] = op.clock_offset_ms;
        out["offset2_ms"] = op.clock_offset2_ms;
        out["period"] = op.clock_period_s;
        break;
      case ClockMode::kRate:
        out["rate"] = op.clock_rate;
        break;
    }
  }
};

}  // namespace

const FaultKind& Clock() {
  static const ClockKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
