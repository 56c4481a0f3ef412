// FaultRunner: faults of the network (partition, flap, loss, duplicate,
// delay, bandwidth), each with its proof read back from the rules' counters
// just before they go. The judging is pure (nemesis/proof.h).
#include <algorithm>

#include "harness/fault_runner.h"
#include "nemesis/bandwidth.h"
#include "nemesis/random.h"

namespace schism::harness {

std::uint64_t FaultRunner::Forwarded() { return seams_.network.ReadPartition().forwarded; }

void FaultRunner::Partition(const nemesis::ResolvedOp& resolved) {
  std::optional<std::pair<std::uint64_t, nemesis::Proof>> ended = MeasurePartition();
  seams_.network.Partition(resolved.grudge);
  partitioned_ = true;
  if (ended) NotePartitionProof(*ended);  // the grudge it replaced
  const nemesis::PartitionCount kernel = seams_.network.ReadPartition();
  const std::string digest = seams_.network.KernelDigest();  // what the kernel now lists
  timeline_.back()["applied"]["digest"] = digest;
  const std::uint64_t of = recorder_.NoteFaultStart("partition", resolved, {{"digest", digest}});
  open_partition_ = OpenPartition{of, Now(), resolved.grudge.drops, kernel.pairs, kernel.forwarded};
}

void FaultRunner::Heal() {
  if (!partitioned_) return;
  const auto proof = MeasurePartition();  // the counters go with the rules
  seams_.network.Heal();
  partitioned_ = false;
  recorder_.Note(EventType::kNemesis, "partition", "", {{"phase", "end"}});
  if (proof) NotePartitionProof(*proof);
}

std::optional<std::pair<std::uint64_t, nemesis::Proof>> FaultRunner::MeasurePartition() {
  if (!open_partition_) return std::nullopt;
  const OpenPartition open = *open_partition_;
  open_partition_.reset();
  const nemesis::PartitionCount now = seams_.network.ReadPartition();
  nemesis::PartitionMeasure m;
  m.start_s = open.start_s;
  m.asked = open.asked;
  m.installed = open.installed;
  for (const nemesis::DirectedPair& pair : open.asked) {
    const auto it = now.dropped.find(pair);
    m.dropped[pair] = it == now.dropped.end() ? 0 : it->second;
  }
  m.forwarded = now.forwarded - open.forwarded;
  return std::pair{open.of, nemesis::JudgePartition(m)};
}

void FaultRunner::NotePartitionProof(const std::pair<std::uint64_t, nemesis::Proof>& proof) {
  recorder_.NoteVerified(proof.first, "partition", "", proof.second);
  if (!open_flap_) return;
  ++open_flap_->partitions;
  if (proof.second.proven) {
    ++open_flap_->proven;
  } else if (open_flap_->first_why.empty()) {
    open_flap_->first_why = proof.second.how;
  }
}

// Partitions and heals at random intervals for the op's hold, then heals.
// Each partition and heal is resolved, applied and recorded on its own, so a
// replay repeats the exact flips.
void FaultRunner::Flap(const nemesis::ResolvedOp& resolved) {
  open_flap_ = OpenFlap{recorder_.NoteFaultStart("flap", resolved), 0, 0, {}};
  nemesis::Op partition = resolved.op;
  partition.kind = nemesis::OpKind::kPartition;
  flapping_ = true;
  FlapPhase(partition, Now() + resolved.op.hold_s, true);
}

void FaultRunner::FlapPhase(nemesis::Op partition, double until_s, bool partition_next) {
  if (!flapping_) return;
  const bool over = Now() >= until_s;
  nemesis::Op op = partition;
  op.kind = partition_next && !over ? nemesis::OpKind::kPartition : nemesis::OpKind::kHeal;
  op.offset_s = Now();
  ApplyOp(op);
  if (over) {
    EndFlap();
    return;
  }
  const double phase =
      nemesis::UniformReal(resolve_rng_, partition.flap_min_s, partition.flap_max_s);
  const double next = std::min(phase, std::max(0.0, until_s - Now()));
  After(next, [this, partition, until_s, partition_next] {
    FlapPhase(partition, until_s, !partition_next);
  });
}

void FaultRunner::EndFlap() {
  if (!flapping_) return;
  flapping_ = false;
  recorder_.Note(EventType::kNemesis, "flap", "", {{"phase", "end"}});
  if (!open_flap_) return;
  const OpenFlap flap = *open_flap_;
  open_flap_.reset();
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
  recorder_.NoteVerified(flap.of, "flap", "", proof);
}

// A new loss replaces the old, which is judged on its own counters.
void FaultRunner::StartLoss(const nemesis::ResolvedOp& resolved) {
  EndLoss();
  seams_.network.SetLoss(resolved.loss);
  const std::uint64_t of = recorder_.NoteFaultStart("loss", resolved);
  loss_ = OpenShare{of, Forwarded(), 0};
}

// Clears every loss rule, recording the loss each pair actually suffered
// (read once from the rules' counters just before they go: proof and record agree).
void FaultRunner::EndLoss() {
  if (!loss_) return;
  const OpenShare open = *loss_;
  loss_.reset();
  const nemesis::LossCounts counts = seams_.network.ReadLoss();
  std::vector<nemesis::PairCount> pairs;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& [pair, count] : counts) {
    pairs.push_back({count.percent, count.seen, count.dropped});
    const double pct = count.seen ? 100.0 * static_cast<double>(count.dropped) /
                                        static_cast<double>(count.seen)
                                  : 0.0;
    achieved.push_back({{"from", pair.first}, {"to", pair.second}, {"percent", count.percent},
                        {"seen", count.seen}, {"dropped", count.dropped},
                        {"achieved_percent", pct}});
  }
  const nemesis::Proof proof =
      nemesis::JudgeRandomShare(pairs, "dropped", Forwarded() - open.forwarded);
  seams_.network.ClearLoss();
  recorder_.Note(EventType::kNemesis, "loss", "", {{"phase", "end"}, {"achieved", achieved}});
  recorder_.NoteVerified(open.of, "loss", "", proof);
}

// Replaces the duplication in force; the one it replaces is judged on its own counters.
void FaultRunner::StartDuplicate(const nemesis::ResolvedOp& resolved) {
  EndDuplicate();
  seams_.network.SetDuplicate(resolved.loss);
  const std::uint64_t of = recorder_.NoteFaultStart("duplicate", resolved);
  duplicate_ = OpenShare{of, Forwarded(), 0};
}

// Clears every duplication, recording what each pair actually got.
void FaultRunner::EndDuplicate() {
  if (!duplicate_) return;
  const OpenShare open = *duplicate_;
  duplicate_.reset();
  std::vector<nemesis::PairCount> counts;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& [pair, count] : seams_.network.ReadDuplicate()) {
    counts.push_back({count.percent, count.seen, count.duplicated});
    achieved.push_back({{"from", pair.first}, {"to", pair.second}, {"percent", count.percent},
                        {"seen", count.seen}, {"duplicated", count.duplicated}});
  }
  const nemesis::Proof proof =
      nemesis::JudgeRandomShare(counts, "duplicated", Forwarded() - open.forwarded);
  seams_.network.ClearDuplicate();
  recorder_.Note(EventType::kNemesis, "duplicate", "", {{"phase", "end"}, {"achieved", achieved}});
  recorder_.NoteVerified(open.of, "duplicate", "", proof);
}

// Replaces the delays in force (as a partition replaces the grudge).
void FaultRunner::StartDelay(const nemesis::ResolvedOp& resolved) {
  EndDelay();
  std::vector<nemesis::PairDelay> pairs;
  for (const auto& [from, to] : resolved.pairs) {
    pairs.push_back({from, to, resolved.op.delay_ms, resolved.op.jitter_ms});
  }
  seams_.network.SetDelay(pairs);
  const std::uint64_t of = recorder_.NoteFaultStart("delay", resolved);
  delay_ = OpenShare{of, Forwarded(), resolved.op.delay_ms};
}

// Clears every delay, recording what each pair actually got.
void FaultRunner::EndDelay() {
  if (!delay_) return;
  const OpenShare open = *delay_;
  delay_.reset();
  const std::vector<nemesis::PacketDelayer::PairStats> stats = seams_.network.ReadDelay();
  std::vector<nemesis::DelayCount> pairs;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& p : stats) {
    pairs.push_back({p.packets, p.mean_ms});
    achieved.push_back({{"from", p.from}, {"to", p.to}, {"packets", p.packets},
                        {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
                        {"max_ms", p.max_ms}, {"reordered", p.reordered}});
  }
  const nemesis::Proof proof =
      nemesis::JudgeDelay(pairs, open.delay_ms, Forwarded() - open.forwarded);
  seams_.network.ClearDelay();
  recorder_.Note(EventType::kNemesis, "delay", "", {{"phase", "end"}, {"achieved", achieved}});
  recorder_.NoteVerified(open.of, "delay", "", proof);
}

void FaultRunner::LimitBandwidth(const nemesis::ResolvedOp& resolved) {
  const auto rate = static_cast<std::uint64_t>(resolved.op.rate_kbit);
  for (const std::string& node : resolved.Targets()) {
    if (limits_.count(node)) EndBandwidth(node);  // judged on its own bytes
    seams_.network.SetBandwidth(node, rate);
    const std::uint64_t of = recorder_.NoteFaultStartOn("bandwidth", resolved, node);
    limits_[node] = OpenLimit{of, Now(), Forwarded(), rate};
  }
}

void FaultRunner::EndBandwidth(const std::string& node) {
  std::vector<std::string> limited;
  for (const auto& [name, open] : limits_) {
    if (node.empty() || name == node) limited.push_back(name);
  }
  for (const std::string& name : limited) {
    const nemesis::Proof proof = ProveBandwidth(name);
    seams_.network.ClearBandwidth(name);
    recorder_.Note(EventType::kNemesis, "bandwidth", name, {{"phase", "end"}});
    recorder_.NoteVerified(limits_.at(name).of, "bandwidth", name, proof);
    limits_.erase(name);
  }
}

nemesis::Proof FaultRunner::ProveBandwidth(const std::string& node) {
  const OpenLimit& open = limits_.at(node);
  nemesis::BandwidthMeasure m;
  m.held_s = Now() - open.start_s;
  m.forwarded = Forwarded() - open.forwarded;
  m.rate_kbit = open.rate_kbit;
  m.burst_bytes = nemesis::TbfBurstBytes(m.rate_kbit);
  m.sent_bytes = seams_.network.BandwidthSent(node);
  return nemesis::JudgeBandwidth(m);
}

}  // namespace schism::harness
