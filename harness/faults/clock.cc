// clock: the victims' clocks skewed, never the host's (libfaketime, through
// the ClockFaults seam; an elector it cannot reach gets its clock ops
// recorded as unsupported).
//   apply   bump, rate, or a strobe's first offset (its flips on a timer);
//   verify  a probe in the node's clock environment reads the setting
//           (ClockFaults::Prove), recorded when it answers;
//   undo    clock-end: that node's true clock back, or every node's.
#include "harness/faults/list.h"

namespace schism::harness {
namespace {

using histories::EventType;

class ClockMechanism final : public Mechanism {
 public:
  explicit ClockMechanism(FaultContext& context) : context_(context) {}
  std::string_view Kind() const override { return "clock"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    for (const std::string& node : resolved.Targets()) Skew(resolved, node);
  }
  void Undo(const nemesis::ResolvedOp& end) override { End(end.node); }
  void UndoAll() override { End(""); }

 private:
  void Skew(const nemesis::ResolvedOp& resolved, const std::string& node) {
    ClockFaults* clocks = context_.seams().clocks;
    const std::string unreachable = clocks ? clocks->Unreachable(node) : std::string();
    if (!clocks || !unreachable.empty()) {
      nlohmann::json detail = resolved.Describe();
      detail.erase("f");
      detail.erase("node");
      detail["unsupported"] = clocks ? unreachable : context_.seams().clock_unsupported;
      context_.recorder().Note(EventType::kNemesis, "clock", node, std::move(detail));
      return;
    }
    const std::size_t k = context_.IndexOf(node);
    const nemesis::Op& op = resolved.op;
    const std::uint64_t generation = ++generation_;  // stops a strobe already running
    skewed_[k] = generation;
    const nemesis::ClockSetting setting = clocks->Apply(node, op);
    if (op.clock_mode == nemesis::ClockMode::kStrobe) {
      context_.After(op.clock_period_s, [this, k, generation, op] { Flip(k, generation, op, true); });
    }
    const std::uint64_t of = context_.recorder().NoteFaultStartOn(
        "clock", resolved, node,
        {{"setting", {{"offset_ms", setting.offset_ms}, {"rate", setting.rate}}}});
    clocks->Prove(node, op, [this, of, node](const nemesis::Proof& proof) {
      context_.recorder().NoteVerified(of, "clock", node, proof);
    });
  }

  // One flip of a strobe; flips until a newer clock op or a clock-end.
  void Flip(std::size_t k, std::uint64_t generation, nemesis::Op op, bool second) {
    const auto it = skewed_.find(k);
    if (it == skewed_.end() || it->second != generation) return;
    context_.seams().clocks->SetOffset(context_.names()[k],
                                       second ? op.clock_offset2_ms : op.clock_offset_ms);
    context_.After(op.clock_period_s,
                   [this, k, generation, op, second] { Flip(k, generation, op, !second); });
  }

  // Restores the clock of `node`, or of every skewed node when empty.
  void End(const std::string& node) {
    for (auto it = skewed_.begin(); it != skewed_.end();) {
      const std::string& name = context_.names()[it->first];
      if (!node.empty() && name != node) {
        ++it;
        continue;
      }
      if (context_.seams().clocks) context_.seams().clocks->Restore(name);
      context_.recorder().Note(EventType::kNemesis, "clock", name, {{"phase", "end"}});
      it = skewed_.erase(it);
    }
  }

  FaultContext& context_;
  std::map<std::size_t, std::uint64_t> skewed_;  // nodes with a clock fault -> its generation
  std::uint64_t generation_ = 0;
};

}  // namespace

std::unique_ptr<Mechanism> MakeClockMechanism(FaultContext& context, NodeLives&) {
  return std::make_unique<ClockMechanism>(context);
}

}  // namespace schism::harness
