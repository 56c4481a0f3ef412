#include "harness/controller.h"

#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <sstream>

#include <boost/asio.hpp>
#include <nlohmann/json.hpp>

#include "checkers/report.h"
#include "harness/built_in.h"
#include "harness/check.h"
#include "harness/clock_probe.h"
#include "harness/elector.h"
#include "harness/errors.h"
#include "harness/node_process.h"
#include "harness/profiles/profile.h"
#include "harness/rootless.h"
#include "harness/run.h"
#include "harness/run_store.h"
#include "harness/sandbox.h"
#include "harness/sockets.h"
#include "harness/spawn.h"
#include "histories/writer.h"
#include "nemesis/bandwidth.h"
#include "nemesis/cgroup.h"
#include "nemesis/clock.h"
#include "nemesis/delay.h"
#include "nemesis/nft.h"
#include "nemesis/random.h"
#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::harness {
namespace asio = boost::asio;
using histories::Event;
using histories::EventType;
using histories::Role;
using Clock = std::chrono::steady_clock;

bool HasFaults(const RunConfig& c) {
  return c.timeline ? !c.timeline->empty() : !c.nemeses.empty();
}

double QuietPeriod(const RunConfig& c) {
  if (!HasFaults(c)) return 0;  // nothing to heal from
  return c.quiet_s > 0 ? c.quiet_s : std::max(5.0, 0.2 * c.time_s);
}

double StableWindow(const RunConfig& c) {
  return c.stable_window_s ? *c.stable_window_s : checkers::CheckOptions{}.stable_window_s;
}

double LivenessDeadline(const RunConfig& c) {
  if (c.liveness_deadline_s > 0) return c.liveness_deadline_s;
  // A leader stable from the deadline on must be seen to hold its window.
  const double room = HasFaults(c) ? QuietPeriod(c) : c.time_s;
  return std::max(0.0, std::min(0.8 * room, room - StableWindow(c)));
}

nlohmann::json RecordedChecks(const RunConfig& c) {
  nlohmann::json checks = checkers::ToJson(CheckOptionsFor(c));
  checks["checkers"] = c.checkers;
  if (c.checkers.empty()) {
    if (std::unique_ptr<Profile> profile = MakeProfile(c.profile)) {
      checks["checkers"] = profile->checkers();
    }
  }
  return checks;
}

checkers::CheckOptions CheckOptionsFor(const RunConfig& c) {
  checkers::CheckOptions options;
  options.liveness_deadline_s = LivenessDeadline(c);
  options.stable_window_s = StableWindow(c);
  options.split_brain_fails = c.split_brain_fails;
  if (c.partition_grace_s) {
    options.partition_grace_s = *c.partition_grace_s;
  } else if (std::unique_ptr<Profile> profile = MakeProfile(c.profile)) {
    options.partition_grace_s = profile->partition_grace_s();
  }
  return options;
}

namespace {

// How long nodes get to exit after SIGTERM at the end of a run.
constexpr auto kStopGrace = std::chrono::milliseconds(1500);
// run/start says every fault start in this history is followed by its
// "verified" event (version 1 of the proofs), so faults-applied requires one.
constexpr int kFaultProofs = 1;

std::vector<std::string> NodeCommandTemplate(const RunConfig& c) {
  if (!c.node_cmd.empty()) {
    try {
      return SplitCommandLine(c.node_cmd);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--node-cmd: ") + e.what());
    }
  }
  CheckBuiltInElector(c.elector);
  std::vector<std::string> words = {c.node_binary.string(), c.elector, "--id",   "{node}",
                                    "--listen", "{addr}:{port}", "--peers", "{peers}",
                                    "--data",   "{data_dir}",    "--seed",  "{seed}"};
  words.insert(words.end(), c.elector_args.begin(), c.elector_args.end());
  return words;
}

}  // namespace

nlohmann::json ConfigJson(const RunConfig& c, const std::vector<std::string>& command) {
  return {{"test", c.test},         {"elector", c.elector},
          {"profile", c.profile},   {"service", c.service},
          {"probe_cmd", c.probe_cmd},
          {"probe_every_ms", c.probe_every_ms}, {"probe_timeout_ms", c.probe_timeout_ms},
          {"partition_grace_s", c.partition_grace_s ? nlohmann::json(*c.partition_grace_s)
                                                    : nlohmann::json()},
          {"node_cmd", command},    {"nodes", c.nodes},
          {"time_s", c.time_s},     {"seed", c.seed},
          {"nemesis", c.nemeses},   {"nemesis_weights", c.weights},
          {"nemesis_interval_s", c.interval_s},
          {"quiet_s", QuietPeriod(c)}, {"liveness_deadline_s", LivenessDeadline(c)},
          {"stable_window_s", StableWindow(c)},
          {"split_brain_fails", c.split_brain_fails},
          {"checkers", c.checkers},
          {"port", c.port},
          {"fsync_every_s", c.fsync_every_s},
          {"node_user", c.node_user},
          {"node_cmd_template", c.node_cmd},
          {"elector_args", c.elector_args},
          {"replay_of", c.replay_of}};
}

nemesis::ScheduleOptions ScheduleOptionsFor(const RunConfig& c) {
  nemesis::ScheduleOptions options;
  options.duration_s = c.time_s;
  options.interval_s = c.interval_s;
  options.quiet_s = QuietPeriod(c);
  options.nemeses = c.nemeses;
  options.weights = c.weights;
  options.node_count = c.nodes;
  options.seed = c.seed;
  return options;
}

void Run::Ignore(std::size_t k, const std::string& line, const std::string& reason) {
  nodes_[k]->Log("schism: ignored a contract line (" + reason + "): " + line);
  IgnoredLines& ignored = ignored_[k];
  if (ignored.count++ > 0) return;
  constexpr std::size_t kShown = 120;
  ignored.first = line.size() > kShown ? line.substr(0, kShown) + "..." : line;
  ignored.reason = reason;
}

void Run::OnLine(std::size_t k, const std::string& line) {
  if (k >= names_.size()) {  // a service member: its output is its log
    nodes_[k]->Log(line);
    return;
  }
  std::optional<Event> e;
  try {
    e = histories::ParseNodeLine(line);
  } catch (const histories::HistoryError& err) {
    Ignore(k, line, err.what());
    return;
  }
  if (!e) {
    const std::string why = histories::WhyNotContract(line);
    if (why.empty()) {
      nodes_[k]->Log(line);  // plain log text
    } else {
      Ignore(k, line, why);
    }
    return;
  }
  if (e->type == EventType::kVote &&
      std::find(names_.begin(), names_.end(), e->vote_for) == names_.end()) {
    Ignore(k, line, "a vote for \"" + e->vote_for + "\", which is no node of this cluster (n1 to n" +
                        std::to_string(names_.size()) + ")");
    return;
  }
  e->node = names_[k];
  spoke_[k] = true;
  const Event seen = *e;
  recorder_->Record(std::move(*e));
  if (!stopping_) faults_->OnEvent(k, seen);
}

void Run::OnExit(std::size_t k, pid_t pid, int code) {
  if (expected_exits_.erase(pid)) return;
  if (faults_->OnExit(k, pid, code)) return;  // a term op: it exited within its grace
  Note(EventType::kProcess, "exit", members_[k], {{"pid", pid}, {"code", code}});
  if (stopping_) return;
  if (k >= names_.size()) {
    progress_ << "schism: service member " << members_[k] << " exited by itself (status " << code
              << "); see " << dir_->NodeLog(members_[k]).string() << "\n";
    return;
  }
  if (!spoke_[k]) {
    // It never printed a contract line: the elector did not start, and the
    // rest of the run would only judge a cluster that was never there.
    setup_error_ = names_[k] + " exited with status " + std::to_string(code) +
                   (prober_ ? " before its probe ever observed it: the server did not start"
                            : " before it printed any contract line: the elector did not start");
    setup_log_ = dir_->NodeLog(names_[k]);
    Stop(false);
    return;
  }
  progress_ << "schism: node " << names_[k] << " exited by itself (status " << code << "); see "
            << dir_->NodeLog(names_[k]).string() << "\n";
}

void Run::MakeFaultRunner() {
  timers_ = std::make_unique<AsioTimers>(io_, Clock::now());
  recorder_ = std::make_unique<Recorder>(*history_, *timers_, progress_);
  processes_ = std::make_unique<NodeProcesses>(nodes_);
  if (cgroups_) cgroup_seam_ = std::make_unique<NodeCgroupSeam>(*cgroups_);
  if (clocks_) {
    clock_faults_ = std::make_unique<FaketimeClockFaults>(io_, *clocks_, config_.node_binary,
                                                          *sandbox_, names_);
  }
  faults_ = std::make_unique<FaultRunner>(
      members_, config_.seed,
      FaultSeams{*timers_, *processes_, *network_, cgroup_seam_.get(), clock_faults_.get(),
                 clock_unsupported_},
      *recorder_);
  faults_->SpoolTimelineTo(dir_->TimelineSpool());
}

void Run::ScheduleSync() {
  if (config_.fsync_every_s <= 0 || stopping_) return;
  if (!sync_timer_) sync_timer_ = std::make_unique<asio::steady_timer>(io_);
  sync_timer_->expires_after(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(config_.fsync_every_s)));
  sync_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec) return;
    history_->Sync();
    ScheduleSync();
  });
}

void Run::ScheduleStatus() {
  if (stopping_) return;
  if (!status_timer_) {
    status_timer_ = std::make_unique<asio::steady_timer>(io_);
    if (&progress_ == &std::cerr && ::isatty(STDERR_FILENO) == 1) {
      status_line_ = std::make_unique<StatusLineGuard>(std::cerr);
    }
  }
  status_timer_->expires_after(status_line_ ? std::chrono::milliseconds(500)
                                            : std::chrono::milliseconds(10'000));
  status_timer_->async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    const std::string line = status_.Line(timers_->Now(), config_.time_s);
    if (status_line_) {
      status_line_->Show("schism: " + line);
    } else {
      progress_ << "schism: " << line << "\n";
    }
    ScheduleStatus();
  });
}

void Run::ScheduleOps() {
  std::optional<double> final_heal;
  if (HasFaults(config_)) final_heal = config_.time_s - QuietPeriod(config_);
  faults_->Schedule(schedule_, final_heal);
  timers_->After(config_.time_s - timers_->Now(), [this] { Stop(false); });
}

void Run::NoteSockets() {
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    if (!nodes_[k]->running()) continue;
    const pid_t pid = nodes_[k]->pid();
    nlohmann::json detail = {{"pid", pid}};
    try {
      nlohmann::json bound = nlohmann::json::array(), foreign = nlohmann::json::array();
      for (const BoundSocket& s : BoundSockets(pid)) {
        bound.push_back(s.ToString());
        if (!OnOwnAddress(s, NodeAddress(k + 1))) foreign.push_back(s.ToString());
      }
      detail["bound"] = std::move(bound);
      detail["foreign"] = std::move(foreign);
    } catch (const std::exception& e) {
      detail["why"] = e.what();
    }
    Note(EventType::kProcess, "sockets", members_[k], std::move(detail));
  }
}

// Ends the run: SIGTERM to every node, a grace period to drain their last
// lines, then SIGKILL for any that linger, then the final history line.
void Run::Stop(bool interrupted) {
  if (stopping_) return;
  stopping_ = true;
  interrupted_ = interrupted;
  // From here on the nodes are being stopped on purpose: checkers judge up to this line.
  Note(EventType::kRun, "stopping", "",
       {{"why", interrupted ? "interrupted" : !setup_error_.empty() ? "setup error" : "end of run"}});
  timers_->CancelAll();
  if (sync_timer_) sync_timer_->cancel();
  if (status_timer_) status_timer_->cancel();
  status_line_.reset();  // the last state stays on screen
  faults_->Stop();  // no op fires from here, and paused nodes resume
  if (prober_) prober_->Stop();
  signals_.cancel();
  NoteSockets();
  for (auto& n : nodes_) {
    if (n->running()) {
      expected_exits_.insert(n->pid());
      n->Signal(SIGTERM);
      n->Signal(SIGCONT);  // a paused node must run to act on SIGTERM
    }
  }
  auto grace = std::make_shared<asio::steady_timer>(io_, kStopGrace);
  auto poll = std::make_shared<std::function<void(boost::system::error_code)>>();
  *poll = [this, grace, poll](boost::system::error_code) {
    bool any = std::any_of(nodes_.begin(), nodes_.end(), [](auto& n) { return n->running(); });
    if (any && Clock::now() < grace->expiry()) {
      auto tick = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(20));
      tick->async_wait([poll, tick](boost::system::error_code ec) { (*poll)(ec); });
      return;
    }
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
      faults_->KillTree(k);
      Note(EventType::kProcess, "stop", members_[k]);
    }
    nlohmann::json end = nlohmann::json::object();
    if (interrupted_) end["interrupted"] = true;
    if (interrupt_signal_ == SIGTERM) end["signal"] = "SIGTERM";
    if (interrupt_signal_ == SIGINT) end["signal"] = "SIGINT";
    if (!setup_error_.empty()) end["error"] = setup_error_;
    for (const auto& [k, ignored] : ignored_) {
      end["ignored_lines"][names_[k]] = {
          {"count", ignored.count}, {"first", ignored.first}, {"reason", ignored.reason}};
    }
    for (std::size_t k = 0; prober_ && k < names_.size(); ++k) {
      const Prober::Counts& c = prober_->counts(k);
      end["probes"][names_[k]] = {{"sent", c.sent}, {"observed", c.observed},
                                  {"failed", c.failed}, {"timed_out", c.timed_out}};
    }
    for (std::size_t k = 0; k < nodes_.size(); ++k) {
      if (nodes_[k]->unkept_lines() == 0) continue;
      end["unkept_log"][members_[k]] = {{"lines", nodes_[k]->unkept_lines()},
                                      {"bytes", nodes_[k]->unkept_bytes()}};
    }
    Note(EventType::kRun, "end", "", end.empty() ? nlohmann::json() : end);
    if (config_.fsync_every_s > 0) history_->Sync();
    io_.stop();
  };
  (*poll)({});
}

// The elector's command template, checked: its program exists and is
// executable, and every placeholder is known. Throws UsageError otherwise.
std::vector<std::string> Run::ElectorCommand(const std::vector<std::string>& addresses) {
  std::vector<std::string> command = NodeCommandTemplate(config_);
  if (FindExecutable(command[0]).empty()) {
    if (config_.node_cmd.empty()) {
      throw std::runtime_error("the built-in elector runtime is missing: " + command[0] +
                               " (build it with scripts/build, or pass --node-bin)");
    }
    if (command[0].find('/') != std::string::npos &&
        std::filesystem::is_regular_file(command[0])) {
      throw UsageError("--node-cmd: \"" + command[0] +
                       "\" is not executable: chmod +x it, or name its interpreter first "
                       "(python3 " + command[0] + ")");
    }
    throw UsageError("--node-cmd: no executable file \"" + command[0] + "\"" +
                     (command[0].find('/') == std::string::npos ? " on PATH" : ""));
  }
  command[0] = FindExecutable(command[0]).string();
  try {  // a bad placeholder is a usage error, found before anything is made
    ExpandTemplate(command, ClusterVars(addresses, config_.port, "/", config_.seed)[0]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--node-cmd: ") + e.what());
  }
  return command;
}

namespace {

double SecondsSince(Run::Clock::time_point since) {
  return std::chrono::duration<double>(Run::Clock::now() - since).count();
}

// What the controller's own process used so far (all its threads, not the nodes').
nlohmann::json OwnUsage() {
  struct rusage usage {};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) { return static_cast<double>(tv.tv_sec) + tv.tv_usec / 1e6; };
  return {{"cpu_s", seconds(usage.ru_utime) + seconds(usage.ru_stime)},
          {"max_rss_kib", usage.ru_maxrss}};
}

}  // namespace

RunResult Run::Execute() {
  const Clock::time_point began = Clock::now();
  for (std::size_t i = 1; i <= config_.nodes; ++i) names_.push_back("n" + std::to_string(i));
  std::vector<std::string> addresses;
  for (std::size_t i = 1; i <= config_.nodes; ++i) addresses.push_back(NodeAddress(i));
  std::vector<std::string> command;  // the template; a profile's: n1's command
  if (profile_) {
    CheckProfilePrograms();
  } else {
    command = ElectorCommand(addresses);
  }
  const std::vector<std::string> probe = ProbeTemplate(addresses);
  MakeService();  // its programs are checked before anything is made
  std::vector<std::string> programs;  // what the node user must reach (more after the argvs)
  if (!command.empty()) programs.push_back(command[0]);
  if (WantsClockFaults()) programs.push_back(config_.node_binary.string());  // the clock self-test
  ChooseNodeUser(programs);
  RunDir dir = RunDir::Create(config_.store, config_.test, config_.seed);
  dir_ = std::make_unique<RunDir>(dir);
  const std::string data_root = std::filesystem::absolute(dir.path() / "data").string();
  members_ = names_;
  PrepareService(data_root);
  std::vector<NodeVars> vars = ClusterVars(addresses, config_.port, data_root, config_.seed);
  std::vector<std::vector<std::string>> argvs;
  for (NodeVars& v : vars) {
    v.service = ServiceAddresses(service_vars_);
    std::filesystem::create_directories(v.data_dir);
    if (profile_) {
      profile_->PrepareDataDir(v, vars);
      argvs.push_back(profile_->ServerCommand(v, vars));
      argvs.back()[0] = argvs.back()[0] == "schism-node" ? config_.node_binary.string()
                                                         : FindExecutable(argvs.back()[0]).string();
    } else {
      argvs.push_back(ExpandTemplate(command, v));
    }
  }
  if (profile_) command = argvs[0];
  for (std::vector<std::string>& argv : ServiceCommands()) argvs.push_back(std::move(argv));
  HandOverDataDirs(data_root, argvs);
  dir.WriteFile("config.json", ConfigJson(config_, command).dump(2) + "\n");
  progress_ << "schism: run dir " << dir.path().string() << "\n";

  sandbox_ = Sandbox::Create(members_);
  network_ = std::make_unique<SandboxNetwork>(
      *sandbox_, nemesis::StreamSeed(config_.seed, nemesis::Stream::kDelayJitter));
  std::string no_cgroups;
  cgroups_ = nemesis::NodeCgroups::Create(members_, &no_cgroups);
  if (!cgroups_) {
    progress_
        << "schism: no per-node cgroups (" << no_cgroups
        << "); kills and pauses use process-group signals, and a freeze falls back to SIGSTOP\n";
  }
  if (WantsClockFaults()) SetUpClocks(command[0]);
  history_ = std::make_unique<histories::HistoryWriter>(dir.History());
  spoke_.assign(config_.nodes, false);

  MakeFaultRunner();  // time 0 of the run
  recorder_->Watch(&status_);
  nlohmann::json mechanisms = {{"cgroups", cgroups_ ? nlohmann::json(cgroups_->run_dir())
                                                     : nlohmann::json(nullptr)},
                                {"rootless", IsRootless()},
                                {"node_user", {{"name", node_user_.name},
                                               {"uid", node_user_.uid},
                                               {"gid", node_user_.gid}}}};
  if (!cgroups_) mechanisms["cgroups_unavailable"] = no_cgroups;
  if (!clock_mechanism_.is_null()) mechanisms.update(clock_mechanism_);
  nlohmann::json start = {{"nodes", names_}, {"seed", config_.seed}, {"test", config_.test},
                          {"mechanisms", mechanisms}, {"config", ConfigJson(config_, command)},
                          {"checks", RecordedChecks(config_)}, {"fault_proofs", kFaultProofs}};
  // The controller's CLOCK_MONOTONIC (steady_clock on Linux) at t = 0: a node
  // that stamps its own lines on that clock shows how long capture took
  // (scripts/bench capture).
  start["monotonic_ns_at_0"] = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   timers_->start().time_since_epoch())
                                   .count();
  if (service_) {
    start["service"] = {{"server", service_->name()},
                        {"members", std::vector<std::string>(members_.begin() + names_.size(),
                                                             members_.end())}};
  }
  Note(EventType::kRun, "start", "", std::move(start));
  for (std::size_t k = 0; k < members_.size(); ++k) {
    const bool elector = k < names_.size();
    auto env = elector ? ContractEnvironment(vars[k]) : ServiceEnvironment(k);
    if (profile_ && elector) {
      for (auto& var : profile_->ServerEnvironment(vars[k])) env.push_back(std::move(var));
    }
    if (clocks_ && elector) {
      for (auto& var : clocks_->Environment(members_[k])) env.push_back(std::move(var));
    }
    nodes_.push_back(std::make_unique<NodeProcess>(
        io_, members_[k], argvs[k], std::move(env),
        NodeSetup(k),
        dir.NodeLog(members_[k]),
        [this, k](const std::string& line) { OnLine(k, line); },
        [this, k](pid_t pid, int code) { OnExit(k, pid, code); }));
  }
  faults_->StartNodes();
  if (!probe.empty() || (profile_ && !profile_->ProbeCommand(vars[0]).empty())) {
    StartProbes(probe, vars);
  }
  signals_.async_wait([this](boost::system::error_code ec, int signal) {
    if (!ec) {
      interrupt_signal_ = signal;
      progress_ << "\nschism: interrupted (" << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
                << "); stopping the nodes and cleaning up\n";
      Stop(true);
    }
  });
  ScheduleOps();
  ScheduleSync();
  progress_ << "schism: " << config_.nodes << " nodes up; running " << config_.time_s
            << " s with nemesis seed " << config_.seed << "\n";
  const double start_s = SecondsSince(began);
  ScheduleStatus();
  io_.run();

  const nlohmann::json timeline = faults_->timeline();
  const Clock::time_point tearing_down = Clock::now();
  TearDown();
  nlohmann::json controller = OwnUsage();
  controller["start_s"] = start_s;
  controller["teardown_s"] = SecondsSince(tearing_down);
  controller["wall_s"] = SecondsSince(began);
  dir.WriteFile("timeline.json", nlohmann::json{{"seed", config_.seed}, {"ops", timeline}}.dump(2) + "\n");
  std::error_code spool_gone;  // timeline.json now holds every op the spool did
  std::filesystem::remove(dir.TimelineSpool(), spool_gone);

  if (!setup_error_.empty()) FailSetup(dir);

  CheckSettings settings;  // the options and checkers are those run/start recorded
  settings.title = config_.test + ", seed " + std::to_string(config_.seed);
  CheckOutcome outcome = CheckHistory(dir.History(), settings);
  outcome.controller = std::move(controller);
  WriteReports(dir, outcome, settings.title, config_.time_s);
  if (profile_ && outcome.overall == checkers::Validity::kValid) {
    // A real server's data (etcd preallocates 64 MB of WAL per member) is
    // kept only where someone may want to look into it: an invalid or unknown run.
    std::error_code ignored;
    std::filesystem::remove_all(dir.path() / "data", ignored);
  }
  RunResult result;
  result.run_dir = dir.path();
  result.overall = outcome.overall;
  result.verdicts = outcome.verdicts;
  result.interrupted = interrupted_;
  result.interrupt_signal = interrupt_signal_;
  result.warnings = outcome.warnings;
  result.evidence_events = outcome.evidence_events;
  return result;
}

// Nothing of the run outlives this, and the history is complete.
void Run::TearDown() {
  prober_.reset();  // kills and reaps a probe still running
  faults_.reset();
  clock_faults_.reset();  // kills and reaps a clock probe still running
  processes_.reset();
  nodes_.clear();
  cgroup_seam_.reset();
  cgroups_.reset();
  network_.reset();
  clocks_.reset();
  sandbox_.reset();
  recorder_.reset();
  history_.reset();
  timers_.reset();
}

namespace {

// The last `count` lines of a file, each indented, for an error message.
std::string LastLines(const std::filesystem::path& file, std::size_t count) {
  std::ifstream in(file);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(line);
    if (lines.size() > count) lines.erase(lines.begin());
  }
  std::string out;
  for (const std::string& line : lines) out += "\n  | " + line;
  return out.empty() ? "\n  (its log is empty)" : out;
}

}  // namespace

void Run::FailSetup(const RunDir& dir) {
  const std::filesystem::path& log = setup_log_;
  const nlohmann::json results = checkers::ResultsJson(
      {}, checkers::Validity::kUnknown, {{"error", setup_error_}, {"interrupted", false}});
  dir.WriteFile("results.json", results.dump(2) + "\n");
  throw SetupError(setup_error_ + " (see " + log.string() + "); its last lines:" +
                   LastLines(log, 5));
}

namespace {

// A profile, a probe and a node command each say what runs and how it is
// watched; only some combinations mean anything.
void CheckWatching(const RunConfig& config) {
  if (!config.profile.empty()) {
    if (!MakeProfile(config.profile)) {
      std::string known;
      for (const std::string& name : ProfileNames()) known += (known.empty() ? "" : ", ") + name;
      throw UsageError("--profile: unknown profile \"" + config.profile + "\"; known: " + known);
    }
    if (!config.node_cmd.empty()) throw UsageError("--profile and --node-cmd exclude each other");
    if (!config.probe_cmd.empty()) {
      throw UsageError("--profile brings its own probe; --probe is for --node-cmd");
    }
  }
  if (const std::string service = ServiceOf(config); !service.empty()) {
    try {
      const ServiceSpec spec = ParseService(service);
      if (config.nodes + spec.members > Sandbox::kMaxNodes) {
        throw UsageError("--nodes plus the service's members must be at most " +
                         std::to_string(Sandbox::kMaxNodes));
      }
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--service: ") + e.what());
    }
  }
  if (config.probe_every_ms < 0 || config.probe_timeout_ms < 0) {
    throw UsageError("--probe-every and --probe-timeout must be positive milliseconds");
  }
  if (config.partition_grace_s && !(*config.partition_grace_s >= 0)) {
    throw UsageError("--partition-grace must not be negative");
  }
}

}  // namespace

void CheckTimelineFits(const std::vector<nemesis::Op>& ops, const RunConfig& config) {
  // Applied offsets lag their schedule by a little; the final heal of a
  // recorded run lands just after the quiet period starts.
  constexpr double kSlack = 0.25;
  const double quiet_from = config.time_s - QuietPeriod(config);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const nemesis::Op& op = ops[i];
    const bool ends_a_fault = nemesis::EndsFaults(op.kind);
    double limit = ends_a_fault ? config.time_s : quiet_from + kSlack;
    if (op.offset_s > limit) {
      std::ostringstream msg;
      msg << "timeline[" << i << "]: " << nemesis::ToString(op.kind) << " at t=" << op.offset_s
          << " s is " << (ends_a_fault ? "after the run ends" : "inside the quiet period")
          << " (from " << quiet_from << " s of a " << config.time_s << " s run); raise --time";
      throw UsageError(msg.str());
    }
  }
}

void CheckRunConfig(const RunConfig& config) {
  if (config.nodes < 1 || config.nodes > Sandbox::kMaxNodes) {
    throw UsageError("--nodes must be between 1 and " + std::to_string(Sandbox::kMaxNodes) +
                     ", got " + std::to_string(config.nodes));
  }
  if (!(config.time_s > 0)) throw UsageError("--time must be positive");
  CheckWatching(config);
  if (!(config.interval_s > 0)) throw UsageError("--nemesis-interval must be positive");
  if (QuietPeriod(config) >= config.time_s) {
    throw UsageError("--time must be longer than the quiet period (" +
                     std::to_string(QuietPeriod(config)) + " s)");
  }
  const double room = HasFaults(config) ? QuietPeriod(config) : config.time_s;
  if (StableWindow(config) < 0 ||
      LivenessDeadline(config) + StableWindow(config) > room + 1e-9) {
    std::ostringstream msg;
    msg << "--liveness-deadline (" << LivenessDeadline(config) << " s) plus --stable-window ("
        << StableWindow(config) << " s) must fit in "
        << (HasFaults(config) ? "the quiet period (" : "the run (") << room
        << " s): a leader found at the deadline must be seen to hold; raise "
        << (HasFaults(config) ? "--quiet" : "--time");
    throw UsageError(msg.str());
  }
  for (const std::string& name : config.checkers) {
    try {
      checkers::MakeChecker(name, {});
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--checker: ") + e.what());
    }
  }
}

RunResult RunTest(const RunConfig& config, std::ostream& progress) {
  CheckRunConfig(config);
  std::vector<nemesis::Op> schedule;
  if (config.timeline) {
    CheckTimelineFits(*config.timeline, config);
    schedule = *config.timeline;
  } else {
    try {
      schedule = nemesis::Generate(ScheduleOptionsFor(config));  // checks names and weights too
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--nemesis: ") + e.what());
    }
  }
  Run run(config, std::move(schedule), progress);
  return run.Execute();
}

}  // namespace schism::harness
