// duplicate: a share of the packets of some directed pairs is delivered
// twice, until a duplicate-end (mechanism: nemesis/duplicate.h).
#include <stdexcept>
#include <string>

#include "nemesis/faults/faults.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis::faults {
namespace {

// Throws std::invalid_argument ("duplicate 0% is outside 1..100").
void CheckPercent(int percent) {
  if (percent < 1 || percent > 100) {
    throw std::invalid_argument("duplicate " + std::to_string(percent) + "% is outside 1..100");
  }
}

class DuplicateKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "duplicate"; }
  double DefaultWeight() const override { return 0.10; }
  OpKind StartOp() const override { return OpKind::kDuplicate; }
  OpKind EndOp() const override { return OpKind::kDuplicateEnd; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kDuplicate, "duplicate", {"percent", "target", "node", "pairs"}},
            {OpKind::kDuplicateEnd, "duplicate-end", {}}};
  }
  TailSlot Tail() const override { return {TailStage::kLink, /*always=*/false}; }
  std::string_view Help() const override {
    return "deliver a share of the packets between some pairs of nodes twice";
  }
  FaultDoc Doc() const override {
    return {
        "`duplicate`: `percent` (integer 1..100, default 100: the share of each pair's "
        "packets delivered twice); `target`/`node`/`pairs` as for `loss`. `duplicate-end`: "
        "no field",
        "replaces the duplication in force: that share of the packets of each pair, drawn at "
        "random, reaches its receiver twice: per percent, a set of the pairs and an nft `dup` "
        "rule on the egress of every node's bridge port, in a netdev table of the hub, changed "
        "in one netlink batch ([mechanisms/duplicate.md](mechanisms/duplicate.md)); "
        "`duplicate-end` clears it",
        "the seen/duplicated counters of each percent, read before the rules go: the total "
        "duplicated within 4 sigma (+1) of the sum of seen × percent, and packets seen (or its "
        "pairs idle while frames crossed the bridge between others)",
        "the duplicated share outside the bound, or nothing seen while no frame crossed the "
        "bridge"};
  }

  // As loss: a pair, the pairs into a node or every pair, at 10 to 100 %.
  double DrawCycle(CycleDraw& draw) const override {
    return HeldCycle(draw, OpKind::kDuplicateEnd, [&] {
      Op op;
      op.offset_s = Millis(draw.t);
      op.kind = OpKind::kDuplicate;
      op.loss_target = PickPairTarget(draw.rng);
      op.loss_percent = Pick(draw.rng, {{0.25, 10}, {0.35, 30}, {0.25, 60}, {0.15, 100}});
      return op;
    });
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind != OpKind::kDuplicate) return;
    op.loss_percent = in.Has("percent") ? in.Integer("percent") : 100;
    try {
      CheckPercent(op.loss_percent);
    } catch (const std::invalid_argument& e) {
      in.Fail(e.what());
    }
    ReadPairTarget(in, op);
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind != OpKind::kDuplicate) return;
    WritePairTarget(op, out);
    out["percent"] = op.loss_percent;
  }

  // Resolves to directed pairs with the percent, in ResolvedOp::loss.
  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind != OpKind::kDuplicate) return;
    CheckPercent(out.op.loss_percent);
    for (const auto& pair : ResolvePairs(out, view, rng)) out.loss[pair] = out.op.loss_percent;
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind == OpKind::kDuplicate) DescribePairShare(resolved, out);
  }
  // A duplicate replays as the pairs it hit, at the percent it asked.
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind == OpKind::kDuplicate) {
      RebuildAsPairs(op, applied, where, out);
    } else {
      out.push_back(op);
    }
  }
};

}  // namespace

const FaultKind& Duplicate() {
  static const DuplicateKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
