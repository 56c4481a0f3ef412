// partition: a grudge replaces the one in force until a heal.
#include <stdexcept>

#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

// Chance that a partition also kills a node while it holds (kill on).
constexpr double kKillDuringPartition = 0.5;

void ResolveGrudge(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
  const auto& nodes = view.nodes;
  switch (out.op.grudge) {
    case GrudgeKind::kHalves:
      out.grudge = Halves(nodes, rng);
      break;
    case GrudgeKind::kOne:
      if (nodes.empty()) break;
      out.isolated = nodes[UniformIndex(rng, nodes.size())];
      out.grudge = IsolateOne(nodes, out.isolated);
      break;
    case GrudgeKind::kIsolateLeader:
      if (auto node = LeaderOrRandom(view, nodes, rng, out.fallback)) {
        out.isolated = *node;
        out.grudge = IsolateOne(nodes, out.isolated);
      }
      break;
    case GrudgeKind::kMajoritiesRing:
      out.grudge = MajoritiesRing(nodes, rng);
      break;
    case GrudgeKind::kBridge:
      out.grudge = Bridge(nodes, rng);
      break;
    case GrudgeKind::kComponents:
      for (const auto& group : out.op.components) {
        for (const auto& node : group) CheckKnown(view, node);
      }
      out.grudge = Complete(out.op.components);
      break;
    case GrudgeKind::kRandomHalves:
      out.grudge = RandomHalves(nodes, rng);
      break;
    case GrudgeKind::kMinorityThird:
      out.grudge = MinorityThird(nodes, rng);
      break;
    case GrudgeKind::kOneWay:
      out.grudge = RandomOneWay(nodes, rng);
      break;
    case GrudgeKind::kExplicit:
      for (const auto& [src, dst] : out.op.drops.drops) {
        CheckKnown(view, src);
        CheckKnown(view, dst);
      }
      out.grudge = out.op.drops;
      break;
  }
}

class PartitionKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "partition"; }
  double DefaultWeight() const override { return 0.40; }
  OpKind StartOp() const override { return OpKind::kPartition; }
  OpKind EndOp() const override { return OpKind::kHeal; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kPartition, "partition", {"grudge", "grouping", "components", "drops"}},
            {OpKind::kHeal, "heal", {}}};
  }
  TailSlot Tail() const override { return {TailStage::kCut, /*always=*/true}; }
  std::string_view Help() const override {
    return "cut the network by a grudge (halves, ring, bridge, ...) until a heal";
  }
  FaultDoc Doc() const override {
    return {
        "`partition`: `grudge` (shapes below; `components` takes `components`, `explicit` "
        "takes `drops`), or `grouping` (`\"n1,n2\\|n3\"`, short for `components`). `heal`: no "
        "field",
        "replaces the grudge in force: every directed pair of the grudge is cut; `heal` cuts no "
        "pair any more (loss stays). One transaction each: a netlink batch that flushes and "
        "refills the `drop_pairs` set on the hub's bridge",
        "the set's elements read back from the kernel at install equal the grudge (the start "
        "records a digest of the kernel's listing); before the heal or the next grudge, the drop "
        "rule's `cut` counter shows ≥1 packet dropped between cut pairs, or, the cut pairs "
        "being idle, the bridge's `forwarded` counter shows frames passed between other pairs, "
        "or, no frame having crossed the bridge at all, an ICMP echo the harness sends across "
        "the first cut pair is counted as dropped (the proof names the `probe`)",
        "the kernel held other pairs, or the harness's own frame was not dropped; a run in "
        "which every partition was proven only by that frame is unknown (\"does this elector "
        "talk over the network?\")"};
  }

  double DrawCycle(CycleDraw& draw) const override {
    const double hold = draw.interval * UniformReal(draw.rng, 0.6, 1.4);
    const double heal_at = std::min(draw.t + hold, draw.end);
    Op op;
    op.offset_s = Millis(draw.t);
    op.kind = OpKind::kPartition;
    op.grudge = PickGrudge(draw.rng, draw.node_count);
    draw.ops.push_back(op);
    if (draw.IsOn("kill") && Chance(draw.rng, kKillDuringPartition)) {
      // A kill while the network is split: a voter that restarts quickly
      // behind a bridge or ring is what shows a forgotten vote.
      if (auto k = DrawKill(draw.rng, draw.t + hold * UniformReal(draw.rng, 0.1, 0.6), draw.end,
                            draw.interval, /*voter_ok=*/true)) {
        draw.ops.push_back(*k);
      }
    }
    if (heal_at < draw.end) draw.ops.push_back(Simple(OpKind::kHeal, Millis(heal_at)));
    return heal_at + draw.interval * UniformReal(draw.rng, 0.5, 1.5);
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind == OpKind::kPartition) ReadGrudge(in, op);
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind == OpKind::kPartition) WriteGrudge(op, out);
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind == OpKind::kPartition) ResolveGrudge(out, view, rng);
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind != OpKind::kPartition) return;
    out["kind"] = ToString(resolved.op.grudge);
    nlohmann::json shape = ToJson(resolved.grudge, resolved.nodes);
    out["grudge"] = std::move(shape["grudge"]);
    if (shape.contains("components")) out["components"] = std::move(shape["components"]);
    if (!resolved.isolated.empty()) out["isolated"] = resolved.isolated;
  }

  // A partition replays as the components it cut (or, when it was not a
  // clean partition, the exact directed drops).
  void Rebuild(const Op& recorded, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    Op op = recorded;
    if (op.kind == OpKind::kPartition) {
      try {
        if (applied.contains("components")) {
          op.grudge = GrudgeKind::kComponents;
          op.components = applied["components"].get<Components>();
        } else {
          op.grudge = GrudgeKind::kExplicit;
          op.drops = GrudgeFromJson(applied.value("grudge", nlohmann::json::object()));
        }
      } catch (const std::exception& e) {
        throw std::invalid_argument(where + "applied: " + e.what());
      }
      op.components = op.grudge == GrudgeKind::kComponents ? op.components : Components{};
    }
    out.push_back(std::move(op));
  }
};

}  // namespace

const FaultKind& Partition() {
  static const PartitionKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
