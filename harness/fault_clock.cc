// FaultRunner: clock faults, each proven on the node's own clock by the
// ClockFaults seam (a probe in the node's clock environment).
#include "harness/fault_runner.h"

namespace schism::harness {

void FaultRunner::SkewClock(const nemesis::ResolvedOp& resolved, const std::string& node) {
  if (!seams_.clocks) {
    nlohmann::json detail = resolved.Describe();
    detail.erase("f");
    detail.erase("node");
    detail["unsupported"] = seams_.clock_unsupported;
    recorder_.Note(EventType::kNemesis, "clock", node, std::move(detail));
    return;
  }
  const std::size_t k = IndexOf(node);
  const nemesis::Op& op = resolved.op;
  const std::uint64_t generation = ++clock_generation_;  // stops a strobe already running
  skewed_[k] = generation;
  const nemesis::ClockSetting setting = seams_.clocks->Apply(node, op);
  if (op.clock_mode == nemesis::ClockMode::kStrobe) {
    After(op.clock_period_s, [this, k, generation, op] { Strobe(k, generation, op, true); });
  }
  const std::uint64_t of = recorder_.NoteFaultStartOn(
      "clock", resolved, node,
      {{"setting", {{"offset_ms", setting.offset_ms}, {"rate", setting.rate}}}});
  seams_.clocks->Prove(node, op, [this, of, node](const nemesis::Proof& proof) {
    recorder_.NoteVerified(of, "clock", node, proof);
  });
}

// One flip of a strobe; flips until a newer clock op or a clock-end.
void FaultRunner::Strobe(std::size_t k, std::uint64_t generation, nemesis::Op op, bool second) {
  const auto it = skewed_.find(k);
  if (it == skewed_.end() || it->second != generation) return;
  seams_.clocks->SetOffset(names_[k], second ? op.clock_offset2_ms : op.clock_offset_ms);
  After(op.clock_period_s,
        [this, k, generation, op, second] { Strobe(k, generation, op, !second); });
}

void FaultRunner::EndClock(const std::string& node) {
  for (auto it = skewed_.begin(); it != skewed_.end();) {
    const std::string& name = names_[it->first];
    if (!node.empty() && name != node) {
      ++it;
      continue;
    }
    if (seams_.clocks) seams_.clocks->Restore(name);
    recorder_.Note(EventType::kNemesis, "clock", name, {{"phase", "end"}});
    it = skewed_.erase(it);
  }
}

}  // namespace schism::harness
