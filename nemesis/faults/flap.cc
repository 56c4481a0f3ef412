// flap: a grudge switched on and off at random short intervals, ending healed.
#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

class FlapKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "flap"; }
  double DefaultWeight() const override { return 0.15; }
  OpKind StartOp() const override { return OpKind::kFlap; }
  OpKind EndOp() const override { return OpKind::kHeal; }  // partition's
  std::vector<OpSpec> Ops() const override {
    return {
        {OpKind::kFlap, "flap", {"hold", "every", "grudge", "grouping", "components", "drops"}}};
  }
  TailSlot Tail() const override { return {TailStage::kCut, /*always=*/true}; }
  std::string_view Help() const override {
    return "partition and heal in turn every fraction of a second, for a few seconds";
  }
  FaultDoc Doc() const override {
    return {
        "`flap`: `grudge` (+`components` or `drops`), or `grouping`, as for `partition`; "
        "`hold` (s); `every`: `[min, max]` (s, default `[0.2, 1.0]`)",
        "partition and heal in turn, each phase a random `min`…`max` long, for `hold` seconds; "
        "ends healed. Each partition and heal is one nft transaction, resolved and recorded as "
        "its own `partition`/`heal` entry (a replay repeats them, not the `flap`)",
        "every `partition` it made was proven, as a partition is",
        "any of its partitions was not proven"};
  }

  double DrawCycle(CycleDraw& draw) const override {
    const double interval = draw.interval;
    Op op;
    op.offset_s = Millis(draw.t);
    op.kind = OpKind::kFlap;
    op.grudge = PickGrudge(draw.rng, draw.node_count);
    op.hold_s = Millis(std::min(interval * UniformReal(draw.rng, 0.8, 1.6), draw.end - draw.t));
    op.flap_min_s = Millis(std::clamp(0.05 * interval, 0.05, 0.5));
    op.flap_max_s = Millis(std::clamp(0.3 * interval, op.flap_min_s, 2.0));
    draw.ops.push_back(op);
    return draw.t + (op.hold_s + interval * UniformReal(draw.rng, 0.5, 1.5));
  }

  void Read(const EntryReader& in, Op& op) const override {
    ReadGrudge(in, op);
    op.hold_s = in.Positive("hold", std::nullopt);
    if (const nlohmann::json* every = in.Find("every")) {
      if (!every->is_array() || every->size() != 2 || !(*every)[0].is_number() ||
          !(*every)[1].is_number()) {
        in.Fail("\"every\" must be [min, max] seconds");
      }
      op.flap_min_s = (*every)[0].get<double>();
      op.flap_max_s = (*every)[1].get<double>();
      if (!(op.flap_min_s >= 0.05 && op.flap_max_s >= op.flap_min_s && op.flap_max_s < 1e6)) {
        in.Fail("\"every\" must be [min, max] with 0.05 <= min <= max");
      }
    }
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    WriteGrudge(op, out);
    out["hold"] = op.hold_s;
    out["every"] = {op.flap_min_s, op.flap_max_s};
  }

  // A flap resolves to nothing: the harness applies it as partition and heal
  // ops of its own, each resolved and recorded.
  void Resolve(const ClusterView&, std::mt19937_64&, ResolvedOp&) const override {}
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    nlohmann::json spec = ToJson(resolved.op);
    spec.erase("t");
    spec["kind"] = spec["grudge"];
    spec.erase("grudge");
    out.update(spec);
  }
  // Its partitions and heals are entries of their own.
  void Rebuild(const Op&, const nlohmann::json&, const std::string&,
               std::vector<Op>&) const override {}
};

}  // namespace

const FaultKind& Flap() {
  static const FlapKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
