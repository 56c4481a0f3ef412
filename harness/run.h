#pragma once
// Internal to harness/: one `schism run` in progress (RunTest's worker).
//
// The Run owns everything a run makes and drives it on one io_context:
// controller.cc has its life (sandbox, nodes, history, schedule, stop),
// run_faults.cc applies the nemesis's ops to processes and the network,
// run_clocks.cc sets up and applies clock faults, and run_clock_proofs.cc
// proves each clock op with a probe in the node's clock environment.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "harness/clock_probe.h"
#include "harness/controller.h"
#include "harness/node_process.h"
#include "harness/run_store.h"
#include "harness/sandbox.h"
#include "histories/event.h"
#include "histories/writer.h"
#include "nemesis/bandwidth.h"
#include "nemesis/cgroup.h"
#include "nemesis/clock.h"
#include "nemesis/delay.h"
#include "nemesis/duplicate.h"
#include "nemesis/nft.h"
#include "nemesis/proof.h"
#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// One run. Lives on the stack of RunTest; everything it owns is torn down in
// reverse order of construction, so an exception anywhere still leaves no
// process, namespace or rule behind.
class Run {
 public:
  using Clock = std::chrono::steady_clock;
  using Event = histories::Event;
  using EventType = histories::EventType;
  using Role = histories::Role;

  // `schedule`: the ops to apply (a replayed timeline or a generated schedule).
  Run(const RunConfig& config, std::vector<nemesis::Op> schedule, std::ostream& progress)
      : config_(config),
        schedule_(std::move(schedule)),
        progress_(progress),
        signals_(io_, SIGINT, SIGTERM) {}

  RunResult Execute();

 private:
  double Now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::uint64_t Record(Event e);
  // Records an event of `type`/`f` about `node` ("" for none) with `detail`.
  void Note(EventType type, std::string f, std::string node, nlohmann::json detail = nullptr);
  // Records the start of a nemesis fault, described as the nemesis resolved
  // it; returns the event's index, which its verified event names as "of".
  std::uint64_t NoteFaultStart(const std::string& f, const nemesis::ResolvedOp& resolved,
                               nlohmann::json extra = nlohmann::json::object());
  // The same for one `node` of a fault that hit several.
  std::uint64_t NoteFaultStartOn(const std::string& f, const nemesis::ResolvedOp& resolved,
                                 const std::string& node,
                                 nlohmann::json extra = nlohmann::json::object());
  // Records whether the fault started by event `of` took effect (its
  // "verified" event, which faults-applied judges).
  void NoteVerified(std::uint64_t of, const std::string& f, const std::string& node,
                    const nemesis::Proof& proof);
  // Records a fault the nemesis resolved to nothing, with its "skipped" reason.
  void NoteSkipped(const nemesis::ResolvedOp& resolved);
  // Appends an op as applied (its time, the op, its resolved targets) to timeline.json.
  void AddToTimeline(const nemesis::ResolvedOp& resolved);
  // Runs `then` after `delay_s` unless the run is stopping by then.
  void After(double delay_s, std::function<void()> then);
  void StartNode(std::size_t k);
  void OnLine(std::size_t k, const std::string& line);
  // Logs a line of node k that looks like a contract event but is not one, and counts it.
  void Ignore(std::size_t k, const std::string& line, const std::string& reason);
  void OnExit(std::size_t k, pid_t pid, int code);
  void ScheduleOps();
  void ApplyOp(const nemesis::Op& op);
  void ApplyResolved(const nemesis::ResolvedOp& resolved);
  void ArmVoterKill(const nemesis::ResolvedOp& resolved);
  void KillNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void TermNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void RestartAfter(std::size_t k, double delay_s);
  void RestartNode(std::size_t k);
  void EndLoss();
  void StartDuplicate(const nemesis::ResolvedOp& resolved);
  void EndDuplicate();
  void StartDelay(const nemesis::ResolvedOp& resolved);
  void EndDelay();
  void LimitBandwidth(const nemesis::ResolvedOp& resolved);
  void EndBandwidth(const std::string& node);
  bool WantsClockFaults() const;
  void SetUpClocks(const std::filesystem::path& elector);
  void SetUpTimeNamespaces();
  void SkewClock(const nemesis::ResolvedOp& resolved, const std::string& node);
  void Strobe(std::size_t k, std::uint64_t generation, nemesis::Op op, bool second);
  void EndClock(const std::string& node);
  // Clock proofs (run_clock_proofs.cc): starts the probe of the clock op
  // whose start event is `of`, just applied to node k; its verified event is
  // recorded when the probe is done.
  void ProveClock(std::size_t k, std::uint64_t of, const nemesis::Op& op);
  void FinishClockProof(std::uint64_t of, const AsyncClockProbe::Result& result);
  // Call just before node k's clock file is written again: readings after
  // this belong to the new setting, not to an open proof's op.
  void ClockRewritten(std::size_t k);
  void PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void ResumeNode(std::size_t k);
  // Kills node k's whole process tree (its cgroup, or its process group) and reaps it.
  void KillTree(std::size_t k);
  // Proofs (run_proofs.cc): reading back what the OS did for a fault.
  // Installs `grudge` and opens its proof (closing the one it replaces).
  void InstallGrudge(const nemesis::ResolvedOp& resolved);
  // Reads the partition in force's counters before it goes; nullopt when none is open.
  std::optional<std::pair<std::uint64_t, nemesis::Proof>> MeasurePartition();
  // Records the proof of the partition that just ended, and counts it for a flap.
  void NotePartitionProof(const std::pair<std::uint64_t, nemesis::Proof>& proof);
  // Ends a flap: its proof is that every partition it made was proven.
  void EndFlap();
  // Whether node k's whole tree (cgroup or process group of `pid`) is gone, since `since_s`.
  nemesis::Proof ProveTreeGone(std::size_t k, pid_t pid, double since_s);
  // Whether node k is paused as asked: frozen, or every process stopped.
  nemesis::Proof ProvePaused(std::size_t k, bool freeze, bool frozen, double since_s);
  // Records the proof of an open term op of `pid` (node k), once.
  void ProveTermEnded(std::size_t k, pid_t pid);
  // Frames the bridge has forwarded between node ports since the sandbox was made.
  std::uint64_t BridgeForwarded();
  // Judge the counts read once at the fault's end (and recorded with it).
  nemesis::Proof ProveLoss(const nemesis::LossCounts& counts);
  nemesis::Proof ProveDelay(const std::vector<nemesis::PacketDelayer::PairStats>& stats);
  nemesis::Proof ProveBandwidth(const std::string& node);
  void Flap(const nemesis::ResolvedOp& resolved);
  void FlapPhase(nemesis::Op partition, double until_s, bool partition_next);
  void FinalHeal();
  void Stop(bool interrupted);
  // Writes results.json for a run whose elector did not start, and throws SetupError.
  [[noreturn]] void FailSetup(const RunDir& dir);
  std::optional<std::string> CurrentLeader() const;
  std::size_t IndexOf(const std::string& node) const;

  const RunConfig& config_;
  const std::vector<nemesis::Op> schedule_;
  std::ostream& progress_;
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  Clock::time_point start_;
  std::unique_ptr<RunDir> dir_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<nemesis::NftPartitioner> partitioner_;
  // One cgroup per node, for whole-tree kills and freezes; empty when cgroup
  // v2 is unusable (then process-group signals do both, and the run says so).
  std::optional<nemesis::NodeCgroups> cgroups_;
  // Made on first use: a delay binds a packet queue in every node namespace.
  std::unique_ptr<nemesis::PacketDelayer> delayer_;
  std::unique_ptr<nemesis::BandwidthLimiter> bandwidth_;
  // Made on first use: a netdev table of its own in the hub.
  std::unique_ptr<nemesis::PacketDuplicator> duplicator_;
  // Clock faults: libfaketime when the elector takes it and the self-test
  // passed; otherwise clock ops are recorded as unsupported, and each node
  // starts in a time namespace with a monotonic offset of its own.
  std::unique_ptr<nemesis::FaketimeClocks> clocks_;
  nlohmann::json clock_mechanism_;  // for the run/start event
  std::string clock_unsupported_;
  std::vector<std::int64_t> time_offsets_ns_;  // per node, when in time namespaces
  std::map<std::size_t, std::uint64_t> skewed_;  // nodes with a clock fault -> its generation
  std::uint64_t clock_generation_ = 0;
  struct OpenClockProof {
    std::size_t node = 0;
    nemesis::Op op;
    nemesis::ExpectedClocks expected;  // what the op's setting gives
    std::int64_t applied_ns = 0;       // monotonic, when the op set the node's clock
    std::int64_t changed_at_ns = 0;    // monotonic, when the node's clock was set again
    std::unique_ptr<AsyncClockProbe> probe;
  };
  std::map<std::uint64_t, OpenClockProof> clock_proofs_;  // by the op's start event
  std::unique_ptr<histories::HistoryWriter> history_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::mt19937_64 resolve_rng_;
  nlohmann::json timeline_ = nlohmann::json::array();

  struct NodeState {
    std::optional<Role> role;
    std::uint64_t term = 0;
  };
  std::vector<NodeState> state_;
  std::vector<bool> spoke_;         // per node: printed a contract line in this run
  struct IgnoredLines {
    std::uint64_t count = 0;
    std::string first;   // the first one, cut to a readable length
    std::string reason;  // why it was ignored
  };
  std::map<std::size_t, IgnoredLines> ignored_;  // per node, only nodes with any
  std::string setup_error_;         // set when a node exits before it ever spoke
  std::size_t setup_node_ = 0;
  std::set<pid_t> expected_exits_;
  std::optional<nemesis::ResolvedOp> pending_voter_kill_;  // armed "kill the next voter"
  std::uint64_t voter_kill_armings_ = 0;                   // which arming is pending
  std::map<std::size_t, bool> paused_;  // paused nodes: true when frozen, false when SIGSTOPped
  std::map<std::size_t, std::string> down_by_;  // dead nodes: the fault that killed them
  std::set<pid_t> terminating_;                  // nodes sent SIGTERM by a term op
  // Proofs still open: the fault's start event index and what its proof needs.
  struct OpenPartition {
    std::uint64_t of = 0;
    double start_s = 0;
    std::set<nemesis::DirectedPair> asked, installed;
    std::uint64_t forwarded = 0;  // the bridge's counter at install
  };
  std::optional<OpenPartition> open_partition_;
  struct OpenFlap {
    std::uint64_t of = 0;
    std::uint64_t partitions = 0, proven = 0;
    std::string first_why;  // of the first partition not proven
  };
  std::optional<OpenFlap> open_flap_;
  std::uint64_t loss_of_ = 0;
  std::uint64_t loss_forwarded_ = 0;  // the bridge's counter when it started
  std::uint64_t delay_of_ = 0;
  std::uint64_t delay_forwarded_ = 0;
  double delay_ms_ = 0;
  struct OpenLimit {
    std::uint64_t of = 0;
    double start_s = 0;
    std::uint64_t forwarded = 0;
  };
  std::map<std::string, OpenLimit> open_limits_;  // bandwidth, per node
  struct OpenTerm {
    std::uint64_t of = 0;
    double start_s = 0;
  };
  std::map<pid_t, OpenTerm> open_terms_;  // term ops whose node has not gone yet
  bool flapping_ = false;
  bool partitioned_ = false;
  bool lossy_ = false;
  bool delayed_ = false;
  bool duplicating_ = false;
  std::uint64_t duplicate_of_ = 0;
  std::uint64_t duplicate_forwarded_ = 0;
  bool stopping_ = false;
  bool interrupted_ = false;
};

}  // namespace schism::harness
