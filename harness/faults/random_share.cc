#include "harness/faults/random_share.h"

namespace schism::harness {

void RandomShareMechanism::Apply(const nemesis::ResolvedOp& resolved) {
  UndoAll();  // judged on its own counters
  rules_.set(resolved.loss);
  const std::uint64_t of = context_.recorder().NoteFaultStart(rules_.kind, resolved);
  open_ = Open{of, context_.Forwarded()};
}

void RandomShareMechanism::UndoAll() {
  if (!open_) return;
  const Open open = *open_;
  open_.reset();
  const nemesis::ShareCounts counts = rules_.read();  // one read: the proof and the record agree
  nlohmann::json achieved = nlohmann::json::array();
  for (const nemesis::ShareCount& c : counts) {
    const double pct =
        c.seen ? 100.0 * static_cast<double>(c.hit) / static_cast<double>(c.seen) : 0.0;
    achieved.push_back({{"percent", c.percent},
                        {"pairs", c.pairs},
                        {"seen", c.seen},
                        {rules_.hit, c.hit},
                        {"achieved_percent", pct}});
  }
  const std::uint64_t forwarded = context_.Forwarded() - open.forwarded;
  const nemesis::Proof proof = nemesis::JudgeRandomShare(counts, rules_.hit, forwarded);
  rules_.clear();
  context_.recorder().Note(histories::EventType::kNemesis, rules_.kind, "",
                           {{"phase", "end"}, {"achieved", achieved}});
  context_.recorder().NoteVerified(open.of, rules_.kind, "", proof);
}

}  // namespace schism::harness
