#pragma once
// Resolving a scheduled op against the cluster as it is at apply time.
//
// An Op says "isolate the leader" or "kill the next voter"; a ResolvedOp says
// "cut n3 off" or "kill n2 with signal 9". Resolve() is pure: the harness
// passes in what it knows (ClusterView) and a seeded generator, applies the
// resolved op with its mechanisms, and records Describe() in the history, so
// the history always names the concrete targets.

#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "nemesis/grudge.h"
#include "nemesis/schedule.h"

namespace schism::nemesis {

// What the harness knows about the cluster when an op is due.
struct ClusterView {
  std::vector<std::string> nodes;     // Every node, in order (n1 ... nN).
  std::optional<std::string> leader;  // The current leader, if any is known.
  std::vector<std::string> alive;     // Nodes whose process is running.
  std::vector<std::string> paused;    // Running nodes stopped by a pause (SIGSTOP).
};

struct ResolvedOp {
  Op op;                           // The op as scheduled.
  std::vector<std::string> nodes;  // The cluster (for Describe).

  // kPartition: the concrete grudge; kHeal: empty.
  Grudge grudge;
  // kPartition kOne / kIsolateLeader: the isolated node.
  std::string isolated;

  // kKill, kTerm, kPause, kBandwidth or kClock with a one-node target: the
  // victim; empty while `awaits_voter`.
  std::string node;
  // The same ops with a minority, majority or all target: every victim, in
  // cluster order (`node` is then empty).
  std::vector<std::string> victims;
  // kKill with KillTarget::kVoter: the harness must wait (up to
  // op.voter_wait_s) for the next node that grants a vote to another node,
  // then call WithVoter() (or VoterTimedOut()) before killing.
  bool awaits_voter = false;

  // kRestart: the nodes to start again, in cluster order.
  std::vector<std::string> restart;

  // kLoss: the directed pairs and their percent, ready for NftPartitioner::SetLoss;
  // kDuplicate: the directed pairs and the percent of their packets to deliver twice.
  LossMap loss;

  // kResume: the nodes to continue (SIGCONT), in cluster order.
  std::vector<std::string> resume;

  // kDelay: the directed pairs to hold, each for op.delay_ms ± op.jitter_ms.
  std::vector<std::pair<std::string, std::string>> pairs;

  // Every node a process, bandwidth or clock op hits: `victims`, or `node`.
  std::vector<std::string> Targets() const;

  // Set when the op's own target was unknown and another was used, e.g.
  // "no leader" when a random node stood in for the leader.
  std::string fallback;
  // Set when the op does nothing, with the reason (e.g. "no live node").
  std::string skipped;

  // The fields to record in the history's nemesis/process event, e.g.
  //   {"f":"partition","kind":"bridge","grudge":{...}}
  //   {"f":"partition","kind":"halves","grudge":{...},"components":[[...],[...]]}
  //   {"f":"kill","target":"voter","node":"n3","signal":9,"restart_after":0.08}
  //   {"f":"restart","nodes":["n3"]}
  //   {"f":"heal"}
  //   {"f":"loss","target":"into","percent":30,"pairs":[["n1","n2"],["n3","n2"]]}
  //   {"f":"loss-end"}
  //   {"f":"pause","target":"leader","node":"n2","resume_after":1.5}
  //   {"f":"resume","nodes":["n2"]}
  //   {"f":"term","target":"minority","victims":["n1","n4"],"grace":2,"restart_after":1}
  //   {"f":"delay","target":"all","delay_ms":50,"jitter_ms":10,"pairs":[["n1","n2"],...]}
  //   {"f":"bandwidth","target":"node","node":"n1","rate_kbit":256}
  //   {"f":"clock","target":"leader","node":"n2","mode":"bump","offset_ms":-1500}
  //   {"f":"flap","kind":"halves","hold":4,"every":[0.2,1.0]}
  // plus "fallback" / "skipped" / "isolated" when set.
  nlohmann::json Describe() const;
};

// Resolves `op` against `view`, drawing random targets from `rng`. Random
// partition shapes and loss pairs span all nodes (dead ones included: they
// restart inside the partition); kills pick among live nodes only, pauses
// among live nodes that are not paused. Throws std::invalid_argument for an
// explicit grouping, pair or node that is not part of the cluster, or a loss
// percent outside 0..100. A flap resolves to nothing: the harness applies it
// as partition and heal ops of its own, each resolved and recorded.
ResolvedOp Resolve(const Op& op, const ClusterView& view, std::mt19937_64& rng);

// Completes a kill that awaited a voter: `voter` is the victim.
ResolvedOp WithVoter(ResolvedOp resolved, const std::string& voter);

// Completes a kill that awaited a voter when none voted in time: skipped.
ResolvedOp VoterTimedOut(ResolvedOp resolved);

}  // namespace schism::nemesis
