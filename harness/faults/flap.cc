// flap: partition and heal in turn, each phase a random length, for the op's
// hold; it ends healed.
//   apply   start the phases: each partition and heal is resolved, applied
//           and recorded on its own (a replay repeats the exact flips);
//   verify  every partition it made was proven, as a partition is;
//   undo    at the end of its hold, or at the final heal (after the heal that
//           verifies its last partition).
#include "harness/faults/list.h"
#include "nemesis/random.h"

namespace schism::harness {
namespace {

using histories::EventType;

class FlapMechanism final : public Mechanism {
 public:
  explicit FlapMechanism(FaultContext& context) : context_(context) {}
  std::string_view Kind() const override { return "flap"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    UndoAll();  // a flap still flapping ends, on the proofs it has
    open_ = Open{context_.recorder().NoteFaultStart("flap", resolved), 0, 0, {}};
    context_.partition_proven = [this](const nemesis::Proof& proof) { Count(proof); };
    nemesis::Op partition = resolved.op;
    partition.kind = nemesis::OpKind::kPartition;
    Phase(partition, context_.Now() + resolved.op.hold_s, true, ++generation_);
  }

  void Undo(const nemesis::ResolvedOp&) override {}  // a heal is the partition's

  void UndoAll() override {
    if (!open_) return;
    const Open flap = *open_;
    open_.reset();
    context_.partition_proven = nullptr;
    context_.recorder().Note(EventType::kNemesis, "flap", "", {{"phase", "end"}});
    context_.recorder().NoteVerified(flap.of, "flap", "", Verify(flap));
  }

 private:
  struct Open {
    std::uint64_t of = 0;
    std::uint64_t partitions = 0, proven = 0;
    std::string first_why;  // of the first partition not proven
  };

  void Count(const nemesis::Proof& proof) {
    if (!open_) return;
    ++open_->partitions;
    if (proof.proven) {
      ++open_->proven;
    } else if (open_->first_why.empty()) {
      open_->first_why = proof.how;
    }
  }

  static nemesis::Proof Verify(const Open& flap) {
    nemesis::Proof proof;
    proof.measured = {{"partitions", flap.partitions}, {"proven_partitions", flap.proven}};
    proof.proven = flap.partitions > 0 && flap.proven == flap.partitions;
    if (proof.proven) {
      proof.how = "each of its " + std::to_string(flap.partitions) + " partitions was proven";
    } else if (flap.partitions == 0) {
      proof.how = "it made no partition";
    } else {
      proof.how = std::to_string(flap.partitions - flap.proven) + " of its " +
                  std::to_string(flap.partitions) + " partitions not proven: " + flap.first_why;
    }
    return proof;
  }

  // One phase of flap `generation`: a partition or a heal (a heal once the
  // hold is over, which ends the flap).
  void Phase(nemesis::Op partition, double until_s, bool partition_next, std::uint64_t generation) {
    if (!open_ || generation != generation_) return;
    const bool over = context_.Now() >= until_s;
    nemesis::Op op = partition;
    op.kind = partition_next && !over ? nemesis::OpKind::kPartition : nemesis::OpKind::kHeal;
    op.offset_s = context_.Now();
    context_.apply_op(op);
    if (over) {
      UndoAll();
      return;
    }
    const double phase =
        nemesis::UniformReal(context_.rng(), partition.flap_min_s, partition.flap_max_s);
    const double next = std::min(phase, std::max(0.0, until_s - context_.Now()));
    context_.After(next, [this, partition, until_s, partition_next, generation] {
      Phase(partition, until_s, !partition_next, generation);
    });
  }

  FaultContext& context_;
  std::optional<Open> open_;
  std::uint64_t generation_ = 0;  // stops the phases of a flap that ended
};

}  // namespace

std::unique_ptr<Mechanism> MakeFlapMechanism(FaultContext& context, NodeLives&) {
  return std::make_unique<FlapMechanism>(context);
}

}  // namespace schism::harness
