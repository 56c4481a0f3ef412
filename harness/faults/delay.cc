// delay: every packet of the chosen pairs held delay_ms ± jitter_ms (an
// NFQUEUE per receiving node namespace and a thread of the controller).
//   apply   replace the delays in force (the ones replaced are verified first);
//   verify  the held packets' mean hold within 20 % + 5 ms of delay_ms
//           (nemesis::JudgeDelay), read once with what each pair got;
//   undo    clear every delay.
#include "harness/faults/list.h"

namespace schism::harness {
namespace {

class DelayMechanism final : public Mechanism {
 public:
  explicit DelayMechanism(FaultContext& context) : context_(context) {}
  std::string_view Kind() const override { return "delay"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    UndoAll();
    std::vector<nemesis::PairDelay> pairs;
    for (const auto& [from, to] : resolved.pairs) {
      pairs.push_back({from, to, resolved.op.delay_ms, resolved.op.jitter_ms});
    }
    context_.network().SetDelay(pairs);
    const std::uint64_t of = context_.recorder().NoteFaultStart("delay", resolved);
    open_ = Open{of, context_.Forwarded(), resolved.op.delay_ms, resolved.op.jitter_ms};
  }

  void Undo(const nemesis::ResolvedOp&) override { UndoAll(); }

  void UndoAll() override {
    if (!open_) return;
    const Open open = *open_;
    open_.reset();
    const std::vector<nemesis::PacketDelayer::PairStats> stats = context_.network().ReadDelay();
    std::vector<nemesis::DelayCount> pairs;
    nlohmann::json achieved = nlohmann::json::array();
    for (const auto& p : stats) {
      pairs.push_back({p.packets, p.mean_ms});
      achieved.push_back({{"from", p.from}, {"to", p.to}, {"packets", p.packets},
                          {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
                          {"max_ms", p.max_ms}, {"reordered", p.reordered}});
    }
    const std::uint64_t forwarded = context_.Forwarded() - open.forwarded;
    const nemesis::Proof proof =
        nemesis::JudgeDelay(pairs, open.delay_ms, open.jitter_ms, forwarded);
    context_.network().ClearDelay();
    context_.recorder().Note(histories::EventType::kNemesis, "delay", "",
                             {{"phase", "end"}, {"achieved", achieved}});
    context_.recorder().NoteVerified(open.of, "delay", "", proof);
  }

 private:
  struct Open {
    std::uint64_t of = 0;
    std::uint64_t forwarded = 0;  // the bridge's counter when it started
    double delay_ms = 0;
    double jitter_ms = 0;
  };
  FaultContext& context_;
  std::optional<Open> open_;
};

}  // namespace

std::unique_ptr<Mechanism> MakeDelayMechanism(FaultContext& context, NodeLives&) {
  return std::make_unique<DelayMechanism>(context);
}

}  // namespace schism::harness
