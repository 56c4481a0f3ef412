// bandwidth: a node's link is limited to rate_kbit each way, until a
// bandwidth-end.
#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

class BandwidthKind final : public AnyNodeFault {
 public:
  std::string_view Name() const override { return "bandwidth"; }
  double DefaultWeight() const override { return 0.10; }
  OpKind StartOp() const override { return OpKind::kBandwidth; }
  OpKind EndOp() const override { return OpKind::kBandwidthEnd; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kBandwidth, "bandwidth", {"target", "node", "rate_kbit"}},
            {OpKind::kBandwidthEnd, "bandwidth-end", {"node"}}};
  }
  TailSlot Tail() const override { return {TailStage::kLink, /*always=*/false}; }
  std::string_view Help() const override { return "limit nodes' links to a few kbit/s each way"; }
  FaultDoc Doc() const override {
    return {
        "`bandwidth`: `target` (+`node`, below); `rate_kbit` (8 … 10,000,000). `bandwidth-end`: "
        "`node` (optional)",
        "the victims send and receive at most `rate_kbit` each way: tbf on both ends of the "
        "node's veth; `bandwidth-end` lifts that node's limit, or every limit (`tc qdisc "
        "del`)",
        "`tc -s` bytes of both token buckets, read before they go: no more than rate × time "
        "(+2%) + one burst + one frame per bucket, and some passed (or the node was idle "
        "while frames crossed the bridge)",
        "more than the rate allows passed, or nothing passed while no frame crossed the "
        "bridge"};
  }

  double DrawCycle(CycleDraw& draw) const override {
    return HeldCycle(draw, OpKind::kBandwidthEnd, [&] {
      Op op;
      op.offset_s = Millis(draw.t);
      op.kind = OpKind::kBandwidth;
      op.target = PickOf<KillTarget>(
          draw.rng,
          {{0.5, KillTarget::kLeader}, {0.3, KillTarget::kRandom}, {0.2, KillTarget::kAll}});
      op.rate_kbit = Pick(draw.rng, {{0.3, 32}, {0.4, 256}, {0.3, 2048}});
      return op;
    });
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind == OpKind::kBandwidthEnd) {
      ReadOptionalNode(in, op);
      return;
    }
    ReadTarget(in, op, /*voter_ok=*/false);
    op.rate_kbit = in.Integer("rate_kbit");
    if (op.rate_kbit < 8 || op.rate_kbit > 10'000'000) {
      in.Fail("rate_kbit " + std::to_string(op.rate_kbit) + " is outside 8..10000000");
    }
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind == OpKind::kBandwidthEnd) {
      WriteOptionalNode(op, out);
      return;
    }
    WriteTarget(op, out);
    out["rate_kbit"] = op.rate_kbit;
  }
};

}  // namespace

const FaultKind& Bandwidth() {
  static const BandwidthKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
