// bandwidth: the victims send and receive at most rate_kbit each way (tbf on
// both ends of the node's veth).
//   apply   limit each victim (a limit it replaces is verified first);
//   verify  the buckets' bytes no more than rate × time (+2 %) + one burst +
//           one frame each, and some passed (nemesis::JudgeBandwidth);
//   undo    lift one node's limit, or every limit.
#include "harness/faults/list.h"
#include "nemesis/bandwidth.h"

namespace schism::harness {
namespace {

class BandwidthMechanism final : public Mechanism {
 public:
  explicit BandwidthMechanism(FaultContext& context) : context_(context) {}
  std::string_view Kind() const override { return "bandwidth"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    const auto rate = static_cast<std::uint64_t>(resolved.op.rate_kbit);
    for (const std::string& node : resolved.Targets()) {
      if (limits_.count(node)) End(node);  // judged on its own bytes
      context_.network().SetBandwidth(node, rate);
      const std::uint64_t of = context_.recorder().NoteFaultStartOn("bandwidth", resolved, node);
      limits_[node] = Open{of, context_.Now(), context_.Forwarded(), rate};
    }
  }

  void Undo(const nemesis::ResolvedOp& end) override {
    if (end.node.empty()) {
      UndoAll();
    } else if (limits_.count(end.node)) {
      End(end.node);
    }
  }

  void UndoAll() override {
    while (!limits_.empty()) End(limits_.begin()->first);  // End takes a copy of the key
  }

 private:
  struct Open {
    std::uint64_t of = 0;
    double start_s = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t rate_kbit = 0;
  };

  nemesis::Proof Verify(const std::string& node, const Open& open) {
    nemesis::BandwidthMeasure m;
    m.held_s = context_.Now() - open.start_s;
    m.forwarded = context_.Forwarded() - open.forwarded;
    m.rate_kbit = open.rate_kbit;
    m.burst_bytes = nemesis::TbfBurstBytes(m.rate_kbit);
    m.sent_bytes = context_.network().BandwidthSent(node);
    return nemesis::JudgeBandwidth(m);
  }

  void End(std::string node) {
    const Open open = limits_.at(node);
    limits_.erase(node);
    const nemesis::Proof proof = Verify(node, open);
    context_.network().ClearBandwidth(node);
    context_.recorder().Note(histories::EventType::kNemesis, "bandwidth", node, {{"phase", "end"}});
    context_.recorder().NoteVerified(open.of, "bandwidth", node, proof);
  }

  FaultContext& context_;
  std::map<std::string, Open> limits_;  // per node
};

}  // namespace

std::unique_ptr<Mechanism> MakeBandwidthMechanism(FaultContext& context, NodeLives&) {
  return std::make_unique<BandwidthMechanism>(context);
}

}  // namespace schism::harness
