// partition: the grudge's directed pairs cut on the hub's bridge.
//   apply   replace the grudge in force (the one it replaces is verified first);
//   verify  the set read back from the kernel at install, and the cut's drop
//           counter (or the bridge's, the cut pairs being idle; or, nothing
//           having crossed the bridge, a frame of the harness's own) at its end;
//   undo    heal: verify, then cut no pair.
#include <exception>

#include "harness/faults/list.h"

namespace schism::harness {
namespace {

using histories::EventType;

class PartitionMechanism final : public Mechanism {
 public:
  explicit PartitionMechanism(FaultContext& context) : context_(context) {}
  std::string_view Kind() const override { return "partition"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    std::optional<Ended> ended = Verify();
    context_.network().Partition(resolved.grudge);
    partitioned_ = true;
    if (ended) Record(*ended);  // the grudge it replaced
    const nemesis::PartitionCount kernel = context_.network().ReadPartition();
    const std::string digest = context_.network().KernelDigest();  // what the kernel now lists
    context_.current_entry()["applied"]["digest"] = digest;
    const std::uint64_t of =
        context_.recorder().NoteFaultStart("partition", resolved, {{"digest", digest}});
    open_ = Open{of,           context_.Now(),   resolved.grudge.drops,
                 kernel.pairs, kernel.forwarded, kernel.dropped};
  }

  void Undo(const nemesis::ResolvedOp&) override { UndoAll(); }

  void UndoAll() override {
    if (!partitioned_) return;
    const std::optional<Ended> ended = Verify();  // the counters go with the rules
    context_.network().Heal();
    partitioned_ = false;
    context_.recorder().Note(EventType::kNemesis, "partition", "", {{"phase", "end"}});
    if (ended) Record(*ended);
  }

 private:
  struct Open {
    std::uint64_t of = 0;
    double start_s = 0;
    std::set<nemesis::DirectedPair> asked, installed;
    std::uint64_t forwarded = 0;  // the bridge's counter at install
    std::uint64_t dropped = 0;    // the cut's counter at install
  };
  struct Ended {
    std::uint64_t of = 0;
    nemesis::Proof proof;
  };

  // Judges the partition in force on its counters, before they go; nullopt when none is open.
  std::optional<Ended> Verify() {
    if (!open_) return std::nullopt;
    const Open open = *open_;
    open_.reset();
    const nemesis::PartitionCount now = context_.network().ReadPartition();
    nemesis::PartitionMeasure m;
    m.start_s = open.start_s;
    m.asked = open.asked;
    m.installed = open.installed;
    m.dropped = now.dropped - open.dropped;
    m.forwarded = now.forwarded - open.forwarded;
    if (Silent(m)) ProbeAcross(m);
    return Ended{open.of, nemesis::JudgePartition(m)};
  }

  // Whether the kernel held the grudge but the nodes sent nothing across the
  // bridge while it held (a server still starting, a quiet moment): its
  // counters alone cannot show that it cut anything.
  static bool Silent(const nemesis::PartitionMeasure& m) {
    if (m.asked.empty() || m.installed != m.asked || m.forwarded > 0) return false;
    return m.dropped == 0;
  }

  // Sends the harness's own frame across the first cut pair.
  void ProbeAcross(nemesis::PartitionMeasure& m) {
    const nemesis::DirectedPair pair = *m.asked.begin();
    try {
      m.probe_dropped = context_.network().ProbeCutPair(pair.first, pair.second);
      m.probe = pair;
    } catch (const std::exception& e) {
      m.probe_error = e.what();
    }
  }

  void Record(const Ended& ended) {
    context_.recorder().NoteVerified(ended.of, "partition", "", ended.proof);
    if (context_.partition_proven) context_.partition_proven(ended.proof);
  }

  FaultContext& context_;
  std::optional<Open> open_;
  bool partitioned_ = false;
};

}  // namespace

std::unique_ptr<Mechanism> MakePartitionMechanism(FaultContext& context, NodeLives&) {
  return std::make_unique<PartitionMechanism>(context);
}

}  // namespace schism::harness
