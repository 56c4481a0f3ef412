#pragma once
// Internal to harness/: one `schism run` in progress (RunTest's worker).
//
// The Run makes everything a run needs and drives it on one io_context:
// controller.cc has its life (sandbox, nodes, history, schedule, stop),
// run_clocks.cc chooses the clock mechanism, and run_probes.cc watches the
// nodes with probes. The faults themselves are the FaultRunner's
// (fault_runner.h), which acts through the real seams (real_seams.h) the Run
// makes.

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "harness/controller.h"
#include "harness/fault_runner.h"
#include "harness/elector.h"
#include "harness/node_process.h"
#include "harness/probe_reader.h"
#include "harness/prober.h"
#include "harness/node_user.h"
#include "harness/profiles/profile.h"
#include "harness/profiles/service.h"
#include "harness/real_seams.h"
#include "harness/recorder.h"
#include "harness/run_status.h"
#include "harness/run_store.h"
#include "harness/sandbox.h"
#include "histories/event.h"
#include "histories/writer.h"
#include "nemesis/cgroup.h"
#include "nemesis/clock.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// Every program and file `server` needs must be installed: a missing one is
// the environment's fault (exit 70), named with its Debian packages. `kind`
// says what it is to the run ("profile", "service"); `more` are programs it is
// watched with (a probe). Throws std::runtime_error.
void CheckInstalled(const Server& server, std::string_view kind,
                    const std::vector<std::string>& more = {});

// One run. Lives on the stack of RunTest; everything it owns is torn down in
// reverse order of construction, so an exception anywhere still leaves no
// process, namespace or rule behind.
class Run {
 public:
  using Clock = std::chrono::steady_clock;
  using Event = histories::Event;
  using EventType = histories::EventType;

  // `schedule`: the ops to apply (a replayed timeline or a generated schedule).
  Run(const RunConfig& config, std::vector<nemesis::Op> schedule, std::ostream& progress)
      : config_(config),
        schedule_(std::move(schedule)),
        progress_(progress),
        profile_(MakeProfile(config.profile)),
        signals_(io_, SIGINT, SIGTERM) {}

  RunResult Execute();

 private:
  void Note(EventType type, std::string f, std::string node, nlohmann::json detail = nullptr) {
    recorder_->Note(type, std::move(f), std::move(node), std::move(detail));
  }
  std::vector<std::string> ElectorCommand(const std::vector<std::string>& addresses);
  void CheckProfilePrograms();
  // Makes the service's server, when the run has a service, and checks that
  // its programs are installed (run_services.cc).
  void MakeService();
  // Makes the service's members' vars and data dirs.
  void PrepareService(const std::string& data_root);
  // The command of each of the service's members, in order.
  std::vector<std::vector<std::string>> ServiceCommands() const;
  // The environment of member k, a member of the service.
  std::vector<std::pair<std::string, std::string>> ServiceEnvironment(std::size_t k) const;
  std::vector<std::string> ProbeTemplate(const std::vector<std::string>& addresses);
  void StartProbes(const std::vector<std::string>& probe, const std::vector<NodeVars>& vars);
  void OnSeen(std::size_t k, const Observation& seen, double sent);
  void OnProbeFailed(std::size_t k, const std::string& why, bool timed_out, double sent);
  // Ends the run as a setup error about node k's probe.
  void FailProbes(std::size_t k, const std::string& why);
  void OnLine(std::size_t k, const std::string& line);
  // Logs a line of node k that looks like a contract event but is not one, and counts it.
  void Ignore(std::size_t k, const std::string& line, const std::string& reason);
  void OnExit(std::size_t k, pid_t pid, int code);
  // Makes the seams and the fault runner, once the sandbox and nodes exist.
  void MakeFaultRunner();
  void ScheduleOps();
  // Every fsync_every_s, fdatasync of the history (when asked for).
  void ScheduleSync();
  // The progress line: redrawn every 0.5 s on a terminal, a plain line every
  // 10 s otherwise (run_status.h).
  void ScheduleStatus();
  // Picks who the nodes run as (run_user.cc): config_.node_user, root for a
  // profile that needs it, or root with a warning when the default user
  // cannot reach the store or `programs`. Throws UsageError when a user that
  // was asked for cannot.
  void ChooseNodeUser(const std::vector<std::string>& programs);
  // Checks that the node user reaches the data dirs, every argv[0] of `argvs`
  // and every existing absolute path among their arguments (a script), as
  // ChooseNodeUser does; then gives it the data dirs.
  void HandOverDataDirs(const std::string& data_root,
                        const std::vector<std::vector<std::string>>& argvs);
  // Falls back to root, or throws when the user was asked for, for `why`;
  // `fix` says what would let the user run the nodes.
  void CannotUseNodeUser(const std::string& why, const std::string& fix);
  // How member k is started: its namespace, cgroup, clock and user.
  ChildSetup NodeSetup(std::size_t k) const;
  bool WantsClockFaults() const;
  void SetUpClocks(const std::filesystem::path& elector);
  void SetUpTimeNamespaces();
  void Stop(bool interrupted);
  // Records what each running node's sockets are bound to (harness/sockets.h).
  void NoteSockets();
  // Writes results.json for a run whose elector did not start, and throws SetupError.
  [[noreturn]] void FailSetup(const RunDir& dir);
  // Ends everything the run made, in order, before the history is checked.
  void TearDown();

  const RunConfig& config_;
  const std::vector<nemesis::Op> schedule_;
  std::ostream& progress_;
  const std::unique_ptr<Profile> profile_;  // null unless --profile
  boost::asio::io_context io_;
  boost::asio::signal_set signals_;
  std::unique_ptr<RunDir> dir_;
  std::unique_ptr<Sandbox> sandbox_;
  // One cgroup per node, for whole-tree kills and freezes; empty when cgroup
  // v2 is unusable (then process-group signals do both, and the run says so).
  std::optional<nemesis::NodeCgroups> cgroups_;
  // Clock faults: libfaketime when the elector takes it and the self-test
  // passed; otherwise clock ops are recorded as unsupported, and each node
  // starts in a time namespace with a monotonic offset of its own.
  std::unique_ptr<nemesis::FaketimeClocks> clocks_;
  nlohmann::json clock_mechanism_;  // for the run/start event
  std::string clock_unsupported_;
  NodeUser node_user_;  // who the nodes run as (root: uid 0)
  std::vector<std::int64_t> time_offsets_ns_;  // per node, when in time namespaces
  std::unique_ptr<histories::HistoryWriter> history_;
  std::unique_ptr<boost::asio::steady_timer> sync_timer_;
  RunStatus status_;
  std::unique_ptr<StatusLineGuard> status_line_;  // on a terminal only
  std::unique_ptr<boost::asio::steady_timer> status_timer_;
  // Every member the run starts: the electors (n1..nN, the first names_.size()),
  // then the service's members, which the nemesis treats as nodes too.
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<std::string> names_;    // the electors, whom the checkers judge
  std::vector<std::string> members_;  // names_, then the service's members
  std::unique_ptr<Server> service_;   // null without a service
  ServiceSpec service_spec_;           // what --service (or the profile) asked for
  std::vector<NodeVars> service_vars_;

  // The seams the faults act through, and the runner; declared after what
  // they use, so they go first.
  std::unique_ptr<AsioTimers> timers_;
  std::unique_ptr<Recorder> recorder_;
  std::unique_ptr<SandboxNetwork> network_;
  std::unique_ptr<NodeProcesses> processes_;
  std::unique_ptr<NodeCgroupSeam> cgroup_seam_;
  std::unique_ptr<FaketimeClockFaults> clock_faults_;
  std::unique_ptr<FaultRunner> faults_;
  std::unique_ptr<ProbeReader> reader_;
  std::unique_ptr<Prober> prober_;  // with --probe or a profile

  std::vector<bool> spoke_;  // per node: printed a contract line in this run
  struct IgnoredLines {
    std::uint64_t count = 0;
    std::string first;   // the first one, cut to a readable length
    std::string reason;  // why it was ignored
  };
  std::map<std::size_t, IgnoredLines> ignored_;  // per node, only nodes with any
  std::string setup_error_;       // set when a node or its probe cannot start
  std::filesystem::path setup_log_;  // the log that tells why
  std::vector<int> unanswered_;   // per node: unreadable probe answers in a row
  std::vector<bool> observed_;    // per node: its probe has observed it
  std::set<pid_t> expected_exits_;
  bool stopping_ = false;
  bool interrupted_ = false;
  int interrupt_signal_ = 0;  // SIGINT or SIGTERM, when one interrupted the run
};

}  // namespace schism::harness
