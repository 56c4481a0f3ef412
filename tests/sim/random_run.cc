#include "tests/sim/random_run.h"

#include <utility>
#include <vector>

namespace schism::sim {

namespace {

ClusterSpec WithoutWireCheck(ClusterSpec spec) {
  spec.check_wire = false;  // The script tests check the wire; here it would only cost time.
  return spec;
}

}  // namespace

RandomRun::RandomRun(ClusterSpec spec, Chaos chaos)
    : cluster_(WithoutWireCheck(std::move(spec))), chaos_(chaos), rng_(cluster_.spec().seed) {
  history_.RunStart(cluster_.ids(), cluster_.spec().seed);
  for (const std::string& id : cluster_.ids()) history_.ProcessStart(id);
  Record();
}

void RandomRun::Run(int steps) {
  for (int s = 0; s < steps; ++s) Step();
}

std::string RandomRun::history() const {
  HistoryRecorder end = history_;  // A copy, so that the run may go on.
  end.RunEnd();
  return end.text();
}

void RandomRun::Step() {
  ++steps_;
  history_.set_now(static_cast<double>(steps_) * cluster_.spec().tick_ms / 1000.0);
  Restarts();
  MaybeKill();
  MaybePartition();
  cluster_.TickAll();
  Record();
  // Only the messages in flight before this step's deliveries are decided on:
  // those they cause wait for the next step, a tick of latency.
  cluster_.Sweep([this](const Envelope& m) { return Decide(m); });
  Record();
}

void RandomRun::Restarts() {
  for (auto it = restart_at_.begin(); it != restart_at_.end();) {
    if (it->second > history_.now()) {
      ++it;
      continue;
    }
    history_.ProcessStart(it->first);
    cluster_.Restart(it->first);
    Record();
    it = restart_at_.erase(it);
  }
}

void RandomRun::MaybeKill() {
  if (static_cast<int>(rng_() % 1000) >= chaos_.kill_per_mille) return;
  const std::string& victim = cluster_.ids()[rng_() % cluster_.ids().size()];
  if (!cluster_.up(victim)) return;
  cluster_.Crash(victim);
  history_.ProcessKill(victim);
  restart_at_[victim] = history_.now() + Draw(chaos_.restart_min_s, chaos_.restart_span_s);
}

void RandomRun::MaybePartition() {
  if (partition_ends_ >= 0.0 && history_.now() >= partition_ends_) {
    cluster_.Heal();
    history_.PartitionEnd();
    partition_ends_ = -1.0;
    return;
  }
  if (partition_ends_ >= 0.0) return;
  if (static_cast<int>(rng_() % 1000) >= chaos_.partition_per_mille) return;
  std::vector<std::vector<std::string>> sides(2);
  for (const std::string& id : cluster_.ids()) sides[rng_() % 2].push_back(id);
  std::erase_if(sides, [](const std::vector<std::string>& side) { return side.empty(); });
  cluster_.Partition(sides);
  history_.PartitionStart(sides);
  partition_ends_ = history_.now() + Draw(chaos_.partition_min_s, chaos_.partition_span_s);
}

Fate RandomRun::Decide(const Envelope&) {
  const int roll = static_cast<int>(rng_() % 100);
  if (roll < chaos_.loss_percent) return Fate::kDrop;
  if (roll < chaos_.loss_percent + chaos_.delay_percent) return Fate::kHold;
  return Fate::kDeliver;  // Lost all the same if the link is cut or the addressee down.
}

double RandomRun::Draw(double min_s, double span_s) {
  return min_s + span_s * static_cast<double>(rng_() % 1001) / 1000.0;
}

void RandomRun::Record() { history_.Record(cluster_.TakeOutputs()); }

}  // namespace schism::sim
