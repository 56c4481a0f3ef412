// loss: a share of the packets of some directed pairs is dropped at random,
// until a loss-end.
#include <stdexcept>
#include <utility>

#include "nemesis/faults/faults.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis::faults {
namespace {

// The election race's links lose this share of every pair's packets: requests
// and answers go missing, so terms are contested and a leader-elect's epoch
// reaches only some of its followers.
constexpr int kRaceLossPercent = 50;

class LossKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "loss"; }
  double DefaultWeight() const override { return 0.20; }
  OpKind StartOp() const override { return OpKind::kLoss; }
  OpKind EndOp() const override { return OpKind::kLossEnd; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kLoss, "loss", {"percent", "target", "node", "pairs"}},
            {OpKind::kLossEnd, "loss-end", {}}};
  }
  TailSlot Tail() const override { return {TailStage::kLink, /*always=*/false}; }
  std::string_view Help() const override {
    return "drop a share of the packets between some pairs of nodes";
  }
  FaultDoc Doc() const override {
    return {
        "`loss`: `percent` (integer 0..100); `target`: `pair` (a random directed pair), "
        "`into` (every pair into `node`, or into a random node when `node` is absent), `all` "
        "(default: every directed pair), `pairs` (+`pairs`: `[[\"n1\",\"n2\"],…]`). "
        "`loss-end`: no field",
        "replaces the loss rules in force: that share of the packets of each pair is dropped "
        "at random. One netlink batch (one nft transaction) on the `loss` chain: per percent, "
        "a set of the pairs, one rule and two named counters; `loss-end` clears every rule",
        "the named seen/dropped counters per percent, read before the rules go: the total dropped "
        "within 4 sigma (+1) of the sum of seen × percent, and packets seen (or its pairs idle "
        "while frames crossed the bridge between others)",
        "the drop share outside the bound, or nothing seen while no frame crossed the bridge"};
  }

  // With kill on, half the losses are an election race instead: half of
  // every pair's packets lost (DrawElectionRace).
  double DrawCycle(CycleDraw& draw) const override {
    if (draw.IsOn("kill") && Chance(draw.rng, kElectionRace)) {
      Op link;
      link.kind = OpKind::kLoss;
      link.loss_target = LossTarget::kAll;
      link.loss_percent = kRaceLossPercent;
      if (auto next =
              DrawElectionRace(draw, std::move(link), OpKind::kLossEnd, RaceShape::kKeepAway)) {
        return *next;
      }
    }
    return HeldCycle(draw, OpKind::kLossEnd, [&] {
      Op op;
      op.offset_s = Millis(draw.t);
      op.kind = OpKind::kLoss;
      op.loss_target = PickPairTarget(draw.rng);
      // Light loss stresses retries and timeouts; heavy loss is nearly a cut.
      op.loss_percent = Pick(draw.rng, {{0.25, 10}, {0.35, 30}, {0.25, 60}, {0.15, 100}});
      return op;
    });
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind != OpKind::kLoss) return;
    op.loss_percent = in.Integer("percent");
    try {
      CheckLossPercent(op.loss_percent);
    } catch (const std::invalid_argument& e) {
      in.Fail(e.what());
    }
    ReadPairTarget(in, op);
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind != OpKind::kLoss) return;
    WritePairTarget(op, out);
    out["percent"] = op.loss_percent;
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind != OpKind::kLoss) return;
    CheckLossPercent(out.op.loss_percent);
    for (const auto& pair : ResolvePairs(out, view, rng)) out.loss[pair] = out.op.loss_percent;
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind == OpKind::kLoss) DescribePairShare(resolved, out);
  }
  // A loss replays as the pairs it hit, at the percent it applied.
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind != OpKind::kLoss) {
      out.push_back(op);
      return;
    }
    const auto percent = applied.find("percent");
    if (percent == applied.end() || !percent->is_number_integer()) {
      throw std::invalid_argument(where + "\"applied\" lacks the loss \"percent\"");
    }
    const nlohmann::json spec = {{"t", op.offset_s},
                                 {"f", ToString(op.kind)},
                                 {"target", "pairs"},
                                 {"pairs", AppliedPairs(applied, where)},
                                 {"percent", *percent}};
    out.push_back(internal::ParseOp(spec, where + "applied: ", nullptr));
  }
};

}  // namespace

const FaultKind& Loss() {
  static const LossKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
