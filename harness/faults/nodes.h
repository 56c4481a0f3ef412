#pragma once
// The nodes' lives as the process faults (kill, term, pause) share them:
// which node is dead and by which fault, which is paused and how, which term
// op still waits for its node, and the roles the nodes last reported.
//
// The primitives here are those more than one kind (or the runner) needs:
// starting and restarting a node, killing a whole tree, resuming, and
// proving a tree gone.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

#include "harness/faults/mechanism.h"
#include "histories/event.h"

namespace schism::harness {

class NodeLives {
 public:
  explicit NodeLives(FaultContext& context);

  // Starts node k and records it.
  void Start(std::size_t k);
  // Starts nodes 0..count-1 as one cluster: each is frozen (its cgroup) as
  // soon as it is spawned, and all are thawed together and recorded then, so
  // no node runs alone while the others are still being spawned (at 101 nodes
  // that takes seconds once the first ones keep the cores busy). Without
  // cgroups, starts them one after the other.
  void StartAll(std::size_t count);
  // Starts node k again when a fault left it dead, closing that fault.
  void Restart(std::size_t k);
  // Restarts node k after `delay_s`; 0 leaves it dead until a restart op.
  void RestartAfter(std::size_t k, double delay_s);
  // Kills node k's whole tree (its cgroup, or its process group) and reaps it.
  void KillTree(std::size_t k);
  // Continues node k when it is paused, closing its pause.
  void Resume(std::size_t k);

  // Node k reported a role.
  void OnRole(std::size_t k, histories::Role role, std::optional<std::uint64_t> term);
  // The running node that last said it leads in the highest term, if any.
  std::optional<std::string> Leader() const;
  // Whether a running node other than `voter` and `candidate` last said it is
  // a candidate in `term`: a rival of that term's election.
  bool StandsAgainst(std::size_t voter, std::size_t candidate, std::uint64_t term) const;
  // Forgets node k's role (it died).
  void ForgetRole(std::size_t k);

  // The fault that killed node k (kill or term), to close when it restarts.
  void MarkDown(std::size_t k, const std::string& fault) { down_by_[k] = fault; }
  // Paused nodes: true when frozen, false when SIGSTOPped.
  const std::map<std::size_t, bool>& paused() const { return paused_; }
  void MarkPaused(std::size_t k, bool frozen) { paused_[k] = frozen; }

  // A term op sent SIGTERM to `pid` (node k) in the start event `of`.
  void Terminating(pid_t pid, std::uint64_t of);
  // Whether `pid` was sent SIGTERM by a term op and has not yet gone; forgets it.
  bool TakeTerminating(pid_t pid) { return terminating_.erase(pid) > 0; }
  // Records the proof of the open term op of `pid` (node k), once.
  void ProveTermEnded(std::size_t k, pid_t pid);

  // Whether node k's whole tree (cgroup or process group of `pid`) is gone, since `since_s`.
  nemesis::Proof ProveTreeGone(std::size_t k, pid_t pid, double since_s);

 private:
  // Starts node k's process (its clock prepared first); returns its pid.
  pid_t Spawn(std::size_t k);
  // Records node k's start as `pid`, with no role yet.
  void Started(std::size_t k, pid_t pid);

  FaultContext& context_;
  struct Role {
    std::optional<histories::Role> role;
    std::uint64_t term = 0;
  };
  std::map<std::size_t, Role> roles_;
  std::map<std::size_t, bool> paused_;
  std::map<std::size_t, std::string> down_by_;
  std::set<pid_t> terminating_;  // nodes sent SIGTERM by a term op
  struct OpenTerm {
    std::uint64_t of = 0;
    double start_s = 0;
  };
  std::map<pid_t, OpenTerm> open_terms_;  // term ops whose node has not gone yet
};

// "12 ms": a duration for a proof's words.
std::string Millis(double seconds);

}  // namespace schism::harness
