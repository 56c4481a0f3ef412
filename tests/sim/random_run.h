#pragma once
// A seeded random schedule over a Cluster, in the spirit of Jepsen's
// generators: every step (one tick of logical time) each live node ticks and
// each message in flight is delivered, lost or held back behind newer ones
// (so reordered); now and then a node is killed and later restarted from its
// persisted state, or a random two-way partition starts and later heals. The
// same spec and chaos always give the same history, which the checkers judge.

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "tests/sim/cluster.h"
#include "tests/sim/history.h"

namespace schism::sim {

// How much goes wrong. Percentages are per message and step, per-mille values
// per step; durations are drawn uniformly from [min, min + span].
struct Chaos {
  int loss_percent = 10;
  int delay_percent = 20;
  int kill_per_mille = 3;  // Picks a node; nothing happens if it is down already.
  double restart_min_s = 0.05;
  double restart_span_s = 1.5;
  int partition_per_mille = 4;  // Only while no partition is on.
  double partition_min_s = 0.5;
  double partition_span_s = 3.0;
};

class RandomRun {
 public:
  // Builds the cluster (see Cluster::Cluster for errors) and writes the run's
  // start; spec.seed seeds the nodes and the schedule alike.
  explicit RandomRun(ClusterSpec spec, Chaos chaos = {});

  // Runs `steps` more steps of spec.tick_ms each.
  void Run(int steps);
  // The history so far, ended by a run-end event (which later steps would follow).
  std::string history() const;
  Cluster& cluster() { return cluster_; }

 private:
  void Step();
  void Restarts();
  void MaybeKill();
  void MaybePartition();
  Fate Decide(const Envelope& m);
  double Draw(double min_s, double span_s);
  void Record();

  Cluster cluster_;
  const Chaos chaos_;
  std::mt19937_64 rng_;
  HistoryRecorder history_;
  std::uint64_t steps_ = 0;
  std::map<std::string, double> restart_at_;
  double partition_ends_ = -1.0;  // Negative while the network is whole.
};

}  // namespace schism::sim
