// delay: the packets of some directed pairs are held delay_ms ± jitter_ms,
// until a delay-end.
#include <stdexcept>
#include <utility>

#include "nemesis/faults/faults.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis::faults {
namespace {

// The election race's links: 100 ± 50 ms, slow enough that two candidates
// of one term overlap, and that the winner's first heartbeat reaches its
// rival well after a killed voter is back (at 60 ± 40 ms it came first in the
// run inspected, and 0 of 6 seeds x 30 s were flagged).
constexpr double kRaceDelayMs = 100;
constexpr double kRaceJitterMs = 50;

class DelayKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "delay"; }
  double DefaultWeight() const override { return 0.20; }
  OpKind StartOp() const override { return OpKind::kDelay; }
  OpKind EndOp() const override { return OpKind::kDelayEnd; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kDelay, "delay", {"delay_ms", "jitter_ms", "target", "node", "pairs"}},
            {OpKind::kDelayEnd, "delay-end", {}}};
  }
  TailSlot Tail() const override { return {TailStage::kLink, /*always=*/false}; }
  std::string_view Help() const override {
    return "hold the packets between some pairs of nodes for milliseconds, with jitter";
  }
  FaultDoc Doc() const override {
    return {
        "`delay`: `delay_ms` (≤ 60000), `jitter_ms` (≤ `delay_ms`, default 0); "
        "`target`/`node`/`pairs` as for `loss`. `delay-end`: no field",
        "replaces the delays in force: every packet of the pairs is held `delay_ms` ± "
        "`jitter_ms` (uniform), which reorders packets when jitter > 0. An NFQUEUE per "
        "receiving node namespace and a thread of the controller; `delay-end` clears every "
        "delay and records what each pair got",
        "the delay thread's hold times: the held packets' mean within 20% + 5 ms of "
        "`delay_ms`, plus 4 standard deviations of the mean of that many holds within ± "
        "`jitter_ms` (or its pairs idle while frames crossed the bridge between others)",
        "the mean outside the bound, or nothing held while no frame crossed the bridge"};
  }

  // 5 to 200 ms, with no jitter or up to half of it: slow links, and
  // reordering between packets of one pair. With kill on, half the delays
  // are an election race instead (DrawElectionRace).
  double DrawCycle(CycleDraw& draw) const override {
    if (draw.IsOn("kill") && Chance(draw.rng, kElectionRace)) {
      Op link;
      link.kind = OpKind::kDelay;
      link.loss_target = LossTarget::kAll;
      link.delay_ms = kRaceDelayMs;
      link.jitter_ms = kRaceJitterMs;
      if (auto next =
              DrawElectionRace(draw, std::move(link), OpKind::kDelayEnd, RaceShape::kContested)) {
        return *next;
      }
    }
    return HeldCycle(draw, OpKind::kDelayEnd, [&] {
      Op op;
      op.offset_s = Millis(draw.t);
      op.kind = OpKind::kDelay;
      op.loss_target = PickPairTarget(draw.rng);
      op.delay_ms = Pick(draw.rng, {{0.2, 5}, {0.3, 20}, {0.3, 50}, {0.15, 100}, {0.05, 200}});
      op.jitter_ms = op.delay_ms * Pick(draw.rng, {{0.4, 0}, {0.3, 1}, {0.3, 2}}) / 4.0;
      return op;
    });
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind != OpKind::kDelay) return;
    op.delay_ms = in.Number("delay_ms", std::nullopt);
    op.jitter_ms = in.Number("jitter_ms", 0.0);
    if (op.jitter_ms > op.delay_ms) {
      in.Fail("jitter_ms " + nlohmann::json(op.jitter_ms).dump() + " is more than delay_ms " +
              nlohmann::json(op.delay_ms).dump() + " (a packet cannot be held less than 0 ms)");
    }
    if (op.delay_ms > 60000) in.Fail("delay_ms must be at most 60000");
    ReadPairTarget(in, op);
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind != OpKind::kDelay) return;
    WritePairTarget(op, out);
    out["delay_ms"] = op.delay_ms;
    out["jitter_ms"] = op.jitter_ms;
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind != OpKind::kDelay) return;
    if (out.op.jitter_ms > out.op.delay_ms || out.op.delay_ms < 0) {
      throw std::invalid_argument("nemesis: delay needs 0 <= jitter_ms <= delay_ms");
    }
    out.pairs = ResolvePairs(out, view, rng);
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind != OpKind::kDelay) return;
    out["target"] = ToString(resolved.op.loss_target);
    if (!resolved.node.empty()) out["node"] = resolved.node;
    out["delay_ms"] = resolved.op.delay_ms;
    out["jitter_ms"] = resolved.op.jitter_ms;
    out["pairs"] = PairsJson(resolved.pairs);
  }
  // A delay replays as the pairs it held.
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind == OpKind::kDelay) {
      RebuildAsPairs(op, applied, where, out);
    } else {
      out.push_back(op);
    }
  }
};

}  // namespace

const FaultKind& Delay() {
  static const DelayKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
