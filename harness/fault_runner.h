#pragma once
// Internal to harness/: applies the nemesis's ops to a running cluster
// through the OS seams (harness/seams.h), and records each fault's start, its
// end and its proof.
//
// The runner holds everything a fault leaves open -- a partition in force, a
// paused node, a term op waiting out its grace, a flap between phases -- and
// the final heal closes all of it. It does no I/O of its own: the seams do,
// so tests drive it with fakes on a fake clock.
//
// Its work is split by mechanism: fault_runner.cc (dispatch, schedule, final
// heal), fault_network.cc (partition, flap, loss, duplicate, delay,
// bandwidth), fault_process.cc (kill, term, pause, restart), fault_clock.cc.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/recorder.h"
#include "harness/seams.h"
#include "histories/event.h"
#include "nemesis/proof.h"
#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// The seams a runner acts through. Those that may be missing are pointers.
struct FaultSeams {
  Timers& timers;
  Processes& processes;
  NetworkRules& network;
  Cgroups* cgroups = nullptr;  // null: no cgroup v2; signals to process groups instead
  ClockFaults* clocks = nullptr;  // null: clock ops are recorded as unsupported
  std::string clock_unsupported;  // why, when clocks is null
};

class FaultRunner {
 public:
  // `names`: the nodes, n1..nN, in index order. `seed`: the run's seed (its
  // resolve stream picks targets and flap phases).
  FaultRunner(std::vector<std::string> names, std::uint64_t seed, FaultSeams seams,
              Recorder& recorder);

  // Applies each of `ops` at its offset, then (when set) the final heal at
  // `final_heal_s`.
  void Schedule(const std::vector<nemesis::Op>& ops, std::optional<double> final_heal_s);
  // Resolves `op` against the cluster as it is now and applies it.
  void ApplyOp(const nemesis::Op& op);
  // The start of the quiet period: ends every fault still open (recording
  // its proof), resumes paused nodes and starts dead ones.
  void FinalHeal();

  // Starts node k and records it.
  void StartNode(std::size_t k);
  // Call with each contract event node k printed, after it is recorded:
  // tracks roles (for "leader" targets) and fires an armed voter kill.
  void OnEvent(std::size_t k, const histories::Event& e);
  // Call when node k's process `pid` exited; true when a term op was waiting
  // for it (its exit is then recorded here).
  bool OnExit(std::size_t k, pid_t pid, int code);
  // The run is ending: no op fires from now on; paused nodes resume, so that
  // they can act on the SIGTERM the run sends.
  void Stop();
  // Kills node k's whole process tree (its cgroup, or its process group) and reaps it.
  void KillTree(std::size_t k);

  // Every op as applied: {"t", "op", "applied"} (timeline.json's "ops").
  const nlohmann::json& timeline() const { return timeline_; }
  std::optional<std::string> CurrentLeader() const;

 private:
  using EventType = histories::EventType;

  double Now() const { return seams_.timers.Now(); }
  // Runs `then` after `delay_s` unless the run is stopping by then.
  void After(double delay_s, std::function<void()> then);
  std::size_t IndexOf(const std::string& node) const;
  // Appends an op as applied (its time, the op, its resolved targets) to the timeline.
  void AddToTimeline(const nemesis::ResolvedOp& resolved);
  void ApplyResolved(const nemesis::ResolvedOp& resolved);

  // fault_network.cc
  // Installs `resolved`'s grudge and opens its proof (closing the one it replaces).
  void Partition(const nemesis::ResolvedOp& resolved);
  void Heal();
  // Reads the counters of the partition in force before it goes; nullopt when none is open.
  std::optional<std::pair<std::uint64_t, nemesis::Proof>> MeasurePartition();
  // Records the proof of the partition that just ended, and counts it for a flap.
  void NotePartitionProof(const std::pair<std::uint64_t, nemesis::Proof>& proof);
  void Flap(const nemesis::ResolvedOp& resolved);
  void FlapPhase(nemesis::Op partition, double until_s, bool partition_next);
  // Ends a flap: its proof is that every partition it made was proven.
  void EndFlap();
  void StartLoss(const nemesis::ResolvedOp& resolved);
  void EndLoss();
  void StartDuplicate(const nemesis::ResolvedOp& resolved);
  void EndDuplicate();
  void StartDelay(const nemesis::ResolvedOp& resolved);
  void EndDelay();
  void LimitBandwidth(const nemesis::ResolvedOp& resolved);
  // Lifts the limit of `node`, or of every node when empty.
  void EndBandwidth(const std::string& node);
  nemesis::Proof ProveBandwidth(const std::string& node);
  // Frames the bridge has forwarded between node ports so far.
  std::uint64_t Forwarded();

  // fault_process.cc
  void ArmVoterKill(const nemesis::ResolvedOp& resolved);
  void KillNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void TermNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void RestartAfter(std::size_t k, double delay_s);
  void RestartNode(std::size_t k);
  void PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void ResumeNode(std::size_t k);
  // Whether node k's whole tree (cgroup or process group of `pid`) is gone, since `since_s`.
  nemesis::Proof ProveTreeGone(std::size_t k, pid_t pid, double since_s);
  // Whether node k is paused as asked: frozen, or every process stopped.
  nemesis::Proof ProvePaused(std::size_t k, bool freeze, bool frozen, double since_s);
  // Records the proof of an open term op of `pid` (node k), once.
  void ProveTermEnded(std::size_t k, pid_t pid);

  // fault_clock.cc
  void SkewClock(const nemesis::ResolvedOp& resolved, const std::string& node);
  void Strobe(std::size_t k, std::uint64_t generation, nemesis::Op op, bool second);
  // Restores the clock of `node`, or of every skewed node when empty.
  void EndClock(const std::string& node);

  const std::vector<std::string> names_;
  FaultSeams seams_;
  Recorder& recorder_;
  std::mt19937_64 resolve_rng_;
  nlohmann::json timeline_ = nlohmann::json::array();
  bool stopping_ = false;

  struct NodeState {
    std::optional<histories::Role> role;
    std::uint64_t term = 0;
  };
  std::vector<NodeState> state_;

  // Processes.
  std::optional<nemesis::ResolvedOp> pending_voter_kill_;  // armed "kill the next voter"
  std::uint64_t voter_kill_armings_ = 0;                   // which arming is pending
  std::map<std::size_t, bool> paused_;  // paused nodes: true when frozen, false when SIGSTOPped
  std::map<std::size_t, std::string> down_by_;  // dead nodes: the fault that killed them
  std::set<pid_t> terminating_;                  // nodes sent SIGTERM by a term op
  struct OpenTerm {
    std::uint64_t of = 0;
    double start_s = 0;
  };
  std::map<pid_t, OpenTerm> open_terms_;  // term ops whose node has not gone yet

  // Network: what is in force, and the proof each open fault will need.
  struct OpenPartition {
    std::uint64_t of = 0;
    double start_s = 0;
    std::set<nemesis::DirectedPair> asked, installed;
    std::uint64_t forwarded = 0;  // the bridge's counter at install
  };
  std::optional<OpenPartition> open_partition_;
  bool partitioned_ = false;
  struct OpenFlap {
    std::uint64_t of = 0;
    std::uint64_t partitions = 0, proven = 0;
    std::string first_why;  // of the first partition not proven
  };
  std::optional<OpenFlap> open_flap_;
  bool flapping_ = false;
  // A loss, duplication or delay in force: its start event and the bridge's
  // counter then.
  struct OpenShare {
    std::uint64_t of = 0;
    std::uint64_t forwarded = 0;
    double delay_ms = 0;  // delay only
  };
  std::optional<OpenShare> loss_, duplicate_, delay_;
  struct OpenLimit {
    std::uint64_t of = 0;
    double start_s = 0;
    std::uint64_t forwarded = 0;
    std::uint64_t rate_kbit = 0;
  };
  std::map<std::string, OpenLimit> limits_;  // bandwidth, per node

  // Clocks.
  std::map<std::size_t, std::uint64_t> skewed_;  // nodes with a clock fault -> its generation
  std::uint64_t clock_generation_ = 0;
};

}  // namespace schism::harness
