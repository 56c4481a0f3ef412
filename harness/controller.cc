#include "harness/controller.h"

#include <signal.h>

#include <algorithm>
#include <chrono>
#include <fstream>
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
#include "harness/check.h"
#include "harness/elector.h"
#include "harness/errors.h"
#include "harness/node_process.h"
#include "harness/run_store.h"
#include "harness/sandbox.h"
#include "harness/spawn.h"
#include "histories/writer.h"
#include "nemesis/nft.h"
#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::harness {
namespace asio = boost::asio;
using histories::Event;
using histories::EventType;
using histories::Role;
using Clock = std::chrono::steady_clock;

double QuietPeriod(const RunConfig& c) {
  return c.quiet_s > 0 ? c.quiet_s : std::max(5.0, 0.2 * c.time_s);
}

double LivenessDeadline(const RunConfig& c) {
  return c.liveness_deadline_s > 0 ? c.liveness_deadline_s : 0.8 * QuietPeriod(c);
}

namespace {

Clock::duration Seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

// How long nodes get to exit after SIGTERM at the end of a run.
constexpr auto kStopGrace = std::chrono::milliseconds(1500);

std::vector<std::string> NodeCommandTemplate(const RunConfig& c) {
  if (!c.node_cmd.empty()) {
    try {
      return SplitCommandLine(c.node_cmd);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--node-cmd: ") + e.what());
    }
  }
  if (c.elector != "raft") throw UsageError("unknown elector \"" + c.elector + "\"; built-in: raft");
  std::vector<std::string> words = {c.node_binary.string(), c.elector, "--id",   "{node}",
                                    "--listen", "{addr}:{port}", "--peers", "{peers}",
                                    "--data",   "{data_dir}",    "--seed",  "{seed}"};
  words.insert(words.end(), c.elector_args.begin(), c.elector_args.end());
  return words;
}

nlohmann::json ConfigJson(const RunConfig& c, const std::vector<std::string>& command) {
  return {{"test", c.test},         {"elector", c.elector},
          {"node_cmd", command},    {"nodes", c.nodes},
          {"time_s", c.time_s},     {"seed", c.seed},
          {"nemesis", c.nemeses},   {"nemesis_interval_s", c.interval_s},
          {"quiet_s", QuietPeriod(c)}, {"liveness_deadline_s", LivenessDeadline(c)},
          {"split_brain_fails", c.split_brain_fails},
          {"port", c.port},
          {"node_cmd_template", c.node_cmd},
          {"elector_args", c.elector_args},
          {"replay_of", c.replay_of}};
}

// One run. Lives on the stack of RunTest; everything it owns is torn down in
// reverse order of construction, so an exception anywhere still leaves no
// process, namespace or rule behind.
class Run {
 public:
  Run(const RunConfig& config, std::ostream& progress)
      : config_(config), progress_(progress), signals_(io_, SIGINT, SIGTERM) {}

  RunResult Execute();

 private:
  double Now() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }
  std::uint64_t Record(Event e);
  // Records an event of `type`/`f` about `node` ("" for none) with `detail`.
  void Note(EventType type, std::string f, std::string node, nlohmann::json detail = nullptr);
  // Records the start of a nemesis fault, described as the nemesis resolved it.
  void NoteFaultStart(const std::string& f, const nemesis::ResolvedOp& resolved,
                      nlohmann::json extra = nlohmann::json::object());
  // Appends an op as applied (its time, the op, its resolved targets) to timeline.json.
  void AddToTimeline(const nemesis::ResolvedOp& resolved);
  // Runs `then` after `delay_s` unless the run is stopping by then.
  void After(double delay_s, std::function<void()> then);
  void StartNode(std::size_t k);
  void OnLine(std::size_t k, const std::string& line);
  void OnExit(std::size_t k, pid_t pid, int code);
  void ScheduleOps();
  void ApplyOp(const nemesis::Op& op);
  void ApplyResolved(const nemesis::ResolvedOp& resolved);
  void ArmVoterKill(const nemesis::ResolvedOp& resolved);
  void KillNode(const nemesis::ResolvedOp& resolved);
  void RestartNode(std::size_t k);
  void EndLoss();
  void PauseNode(const nemesis::ResolvedOp& resolved);
  void ResumeNode(std::size_t k);
  void FinalHeal();
  void Stop(bool interrupted);
  std::optional<std::string> CurrentLeader() const;
  std::size_t IndexOf(const std::string& node) const;

  const RunConfig& config_;
  std::ostream& progress_;
  asio::io_context io_;
  asio::signal_set signals_;
  Clock::time_point start_;
  std::unique_ptr<RunDir> dir_;
  std::unique_ptr<Sandbox> sandbox_;
  std::unique_ptr<nemesis::NftPartitioner> partitioner_;
  std::unique_ptr<histories::HistoryWriter> history_;
  std::vector<std::unique_ptr<NodeProcess>> nodes_;
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<asio::steady_timer>> timers_;
  std::mt19937_64 resolve_rng_;
  nlohmann::json timeline_ = nlohmann::json::array();

  struct NodeState {
    std::optional<Role> role;
    std::uint64_t term = 0;
  };
  std::vector<NodeState> state_;
  std::set<pid_t> expected_exits_;
  std::optional<nemesis::ResolvedOp> pending_voter_kill_;  // armed "kill the next voter"
  std::set<std::size_t> paused_;  // nodes stopped by SIGSTOP
  bool partitioned_ = false;
  bool lossy_ = false;
  bool stopping_ = false;
  bool interrupted_ = false;
};

std::uint64_t Run::Record(Event e) {
  e.time = Now();
  return history_->Append(std::move(e));
}

void Run::Note(EventType type, std::string f, std::string node, nlohmann::json detail) {
  Event e;
  e.type = type;
  e.f = std::move(f);
  e.node = std::move(node);
  e.detail = std::move(detail);
  Record(std::move(e));
}

void Run::NoteFaultStart(const std::string& f, const nemesis::ResolvedOp& resolved,
                         nlohmann::json extra) {
  nlohmann::json detail = resolved.Describe();
  detail.erase("f");
  detail.erase("node");  // the event's own field
  detail["phase"] = "start";
  detail.update(extra);
  Note(EventType::kNemesis, f, resolved.node, std::move(detail));
}

void Run::AddToTimeline(const nemesis::ResolvedOp& resolved) {
  timeline_.push_back(
      {{"t", Now()}, {"op", nemesis::ToJson(resolved.op)}, {"applied", resolved.Describe()}});
}

void Run::After(double delay_s, std::function<void()> then) {
  auto timer = std::make_unique<asio::steady_timer>(io_, Seconds(delay_s));
  timer->async_wait([this, then = std::move(then)](boost::system::error_code ec) {
    if (!ec && !stopping_) then();
  });
  timers_.push_back(std::move(timer));
}

std::size_t Run::IndexOf(const std::string& node) const {
  auto it = std::find(names_.begin(), names_.end(), node);
  if (it == names_.end()) throw std::logic_error("no node named " + node);
  return static_cast<std::size_t>(it - names_.begin());
}

std::optional<std::string> Run::CurrentLeader() const {
  std::optional<std::string> leader;
  std::uint64_t best = 0;
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    if (!nodes_[k]->running() || state_[k].role != Role::kLeader) continue;
    if (!leader || state_[k].term >= best) {
      leader = names_[k];
      best = state_[k].term;
    }
  }
  return leader;
}

void Run::StartNode(std::size_t k) {
  pid_t pid = nodes_[k]->Start();
  state_[k] = NodeState{};
  Note(EventType::kProcess, "start", names_[k], {{"pid", pid}});
}

void Run::OnLine(std::size_t k, const std::string& line) {
  std::optional<Event> e;
  try {
    e = histories::ParseNodeLine(line);
  } catch (const histories::HistoryError& err) {
    nodes_[k]->Log(std::string("schism: ignored a malformed contract line (") + err.what() +
                   "): " + line);
    return;
  }
  if (!e) {
    nodes_[k]->Log(line);
    return;
  }
  e->node = names_[k];
  if (e->type == EventType::kRole) {
    state_[k].role = e->role;
    if (e->term) state_[k].term = *e->term;
  }
  bool voted_for_other = e->type == EventType::kVote && e->vote_for != names_[k];
  Record(std::move(*e));
  if (voted_for_other && pending_voter_kill_ && !stopping_) {
    nemesis::ResolvedOp kill = nemesis::WithVoter(*pending_voter_kill_, names_[k]);
    pending_voter_kill_.reset();
    AddToTimeline(kill);
    KillNode(kill);
  }
}

void Run::OnExit(std::size_t k, pid_t pid, int code) {
  if (expected_exits_.erase(pid)) return;
  Note(EventType::kProcess, "exit", names_[k], {{"pid", pid}, {"code", code}});
  if (!stopping_) progress_ << "schism: node " << names_[k] << " exited by itself (status " << code
                            << "); see " << dir_->NodeLog(names_[k]).string() << "\n";
}

void Run::ApplyOp(const nemesis::Op& op) {
  if (stopping_) return;
  nemesis::ClusterView view;
  view.nodes = names_;
  view.leader = CurrentLeader();
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    if (nodes_[k]->running()) view.alive.push_back(names_[k]);
    if (paused_.count(k)) view.paused.push_back(names_[k]);
  }
  ApplyResolved(nemesis::Resolve(op, view, resolve_rng_));
}

void Run::ApplyResolved(const nemesis::ResolvedOp& resolved) {
  AddToTimeline(resolved);
  if (!resolved.skipped.empty()) return;
  switch (resolved.op.kind) {
    case nemesis::OpKind::kPartition: {
      partitioner_->Apply(resolved.grudge);
      partitioned_ = true;
      NoteFaultStart("partition", resolved, {{"digest", partitioner_->Digest()}});
      break;
    }
    case nemesis::OpKind::kHeal: {
      if (!partitioned_) break;
      partitioner_->Heal();
      partitioned_ = false;
      Note(EventType::kNemesis, "partition", "", {{"phase", "end"}});
      break;
    }
    case nemesis::OpKind::kKill:
      if (resolved.awaits_voter) {
        ArmVoterKill(resolved);
      } else {
        KillNode(resolved);
      }
      break;
    case nemesis::OpKind::kRestart:
      for (const std::string& node : resolved.restart) RestartNode(IndexOf(node));
      break;
    case nemesis::OpKind::kLoss: {
      partitioner_->SetLoss(resolved.loss);
      lossy_ = true;
      NoteFaultStart("loss", resolved);
      break;
    }
    case nemesis::OpKind::kLossEnd:
      EndLoss();
      break;
    case nemesis::OpKind::kPause:
      PauseNode(resolved);
      break;
    case nemesis::OpKind::kResume:
      for (const std::string& node : resolved.resume) ResumeNode(IndexOf(node));
      break;
  }
}

// Clears every loss rule, recording the loss each pair actually suffered
// (read from the rules' counters just before they go).
void Run::EndLoss() {
  if (!lossy_) return;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& [pair, count] : partitioner_->ReadLoss()) {
    double pct = count.seen ? 100.0 * static_cast<double>(count.dropped) / static_cast<double>(count.seen) : 0.0;
    achieved.push_back({{"from", pair.first}, {"to", pair.second}, {"percent", count.percent},
                        {"seen", count.seen}, {"dropped", count.dropped}, {"achieved_percent", pct}});
  }
  partitioner_->ClearLoss();
  lossy_ = false;
  Note(EventType::kNemesis, "loss", "", {{"phase", "end"}, {"achieved", achieved}});
}

void Run::PauseNode(const nemesis::ResolvedOp& resolved) {
  std::size_t k = IndexOf(resolved.node);
  if (!nodes_[k]->running() || paused_.count(k)) return;
  NoteFaultStart("pause", resolved);
  nodes_[k]->Signal(SIGSTOP);
  paused_.insert(k);
  Note(EventType::kProcess, "pause", resolved.node, {{"pid", nodes_[k]->pid()}, {"signal", SIGSTOP}});
  if (resolved.op.resume_after_s <= 0) return;  // paused until a resume op
  After(resolved.op.resume_after_s, [this, k] { ResumeNode(k); });
}

void Run::ResumeNode(std::size_t k) {
  if (!paused_.erase(k)) return;
  nodes_[k]->Signal(SIGCONT);
  Note(EventType::kProcess, "resume", names_[k], {{"pid", nodes_[k]->pid()}, {"signal", SIGCONT}});
  Note(EventType::kNemesis, "pause", names_[k], {{"phase", "end"}});
}

// Arms a kill of the next node that grants a vote to another node; gives up
// after the op's voter_wait_s.
void Run::ArmVoterKill(const nemesis::ResolvedOp& resolved) {
  pending_voter_kill_ = resolved;
  After(resolved.op.voter_wait_s, [this] {
    if (!pending_voter_kill_) return;  // a voter was killed in time
    AddToTimeline(nemesis::VoterTimedOut(*pending_voter_kill_));
    pending_voter_kill_.reset();
  });
}

void Run::KillNode(const nemesis::ResolvedOp& resolved) {
  std::size_t k = IndexOf(resolved.node);
  if (!nodes_[k]->running()) return;
  NoteFaultStart("kill", resolved);
  pid_t pid = nodes_[k]->pid();
  nodes_[k]->KillAndReap();
  paused_.erase(k);
  state_[k] = NodeState{};
  Note(EventType::kProcess, "kill", resolved.node, {{"pid", pid}, {"signal", SIGKILL}});
  if (resolved.op.restart_after_s <= 0) return;  // dead until a restart op
  After(resolved.op.restart_after_s, [this, k] { RestartNode(k); });
}

// Starts a node the nemesis killed, and closes its kill in the history.
void Run::RestartNode(std::size_t k) {
  if (nodes_[k]->running()) return;
  StartNode(k);
  Note(EventType::kNemesis, "kill", names_[k], {{"phase", "end"}});
}

// The start of the quiet period: whatever the schedule did, the network is
// whole and every node is up from here on.
void Run::FinalHeal() {
  pending_voter_kill_.reset();
  if (partitioned_) {
    nemesis::Op heal;
    heal.kind = nemesis::OpKind::kHeal;
    heal.offset_s = Now();
    ApplyOp(heal);
  }
  EndLoss();
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    ResumeNode(k);
    RestartNode(k);
  }
  Note(EventType::kNemesis, "final-heal", "", {{"phase", "end"}});
  progress_ << "schism: final heal at " << Now() << " s; quiet until the end\n";
}

void Run::ScheduleOps() {
  nemesis::ScheduleOptions options;
  options.duration_s = config_.time_s;
  options.interval_s = config_.interval_s;
  options.quiet_s = QuietPeriod(config_);
  options.nemeses = config_.nemeses;
  options.node_count = config_.nodes;
  options.seed = config_.seed;
  std::vector<nemesis::Op> ops = config_.timeline ? *config_.timeline : nemesis::Generate(options);
  auto at = [this](double s) { return start_ + Seconds(s); };
  for (const nemesis::Op& op : ops) {
    auto timer = std::make_unique<asio::steady_timer>(io_, at(op.offset_s));
    timer->async_wait([this, op](boost::system::error_code ec) {
      if (!ec) ApplyOp(op);
    });
    timers_.push_back(std::move(timer));
  }
  auto heal = std::make_unique<asio::steady_timer>(io_, at(config_.time_s - QuietPeriod(config_)));
  heal->async_wait([this](boost::system::error_code ec) {
    if (!ec && !stopping_) FinalHeal();
  });
  timers_.push_back(std::move(heal));
  auto end = std::make_unique<asio::steady_timer>(io_, at(config_.time_s));
  end->async_wait([this](boost::system::error_code ec) {
    if (!ec) Stop(false);
  });
  timers_.push_back(std::move(end));
}

// Ends the run: SIGTERM to every node, a grace period to drain their last
// lines, then SIGKILL for any that linger, then the final history line.
void Run::Stop(bool interrupted) {
  if (stopping_) return;
  stopping_ = true;
  interrupted_ = interrupted;
  for (auto& t : timers_) t->cancel();
  signals_.cancel();
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
      nodes_[k]->KillAndReap();
      Note(EventType::kProcess, "stop", names_[k]);
    }
    Note(EventType::kRun, "end", "",
         interrupted_ ? nlohmann::json{{"interrupted", true}} : nlohmann::json());
    io_.stop();
  };
  (*poll)({});
}

RunResult Run::Execute() {
  std::vector<std::string> command = NodeCommandTemplate(config_);
  if (FindExecutable(command[0]).empty()) {
    if (config_.node_cmd.empty()) {
      throw std::runtime_error("the built-in elector runtime is missing: " + command[0] +
                               " (build it with scripts/build, or pass --node-bin)");
    }
    throw UsageError("--node-cmd: no executable file \"" + command[0] + "\"");
  }
  command[0] = FindExecutable(command[0]).string();
  for (std::size_t i = 1; i <= config_.nodes; ++i) names_.push_back("n" + std::to_string(i));
  std::vector<std::string> addresses;
  for (std::size_t i = 1; i <= config_.nodes; ++i) addresses.push_back(NodeAddress(i));
  try {  // a bad placeholder is a usage error, found before anything is made
    ExpandTemplate(command, ClusterVars(addresses, config_.port, "/", config_.seed)[0]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--node-cmd: ") + e.what());
  }
  RunDir dir = RunDir::Create(config_.store, config_.test, config_.seed);
  dir_ = std::make_unique<RunDir>(dir);
  std::vector<NodeVars> vars =
      ClusterVars(addresses, config_.port, std::filesystem::absolute(dir.path() / "data").string(),
                  config_.seed);
  std::vector<std::vector<std::string>> argvs;
  for (const NodeVars& v : vars) {
    argvs.push_back(ExpandTemplate(command, v));
    std::filesystem::create_directories(v.data_dir);
  }
  dir.WriteFile("config.json", ConfigJson(config_, command).dump(2) + "\n");
  progress_ << "schism: run dir " << dir.path().string() << "\n";

  sandbox_ = Sandbox::Create(config_.nodes);
  std::map<std::string, std::string> ports;
  for (const SandboxNode& n : sandbox_->nodes()) ports[n.name] = n.port;
  partitioner_ = std::make_unique<nemesis::NftPartitioner>(sandbox_->hub().fd(), ports);
  history_ = std::make_unique<histories::HistoryWriter>(dir.History());
  resolve_rng_.seed(config_.seed ^ 0x9e3779b97f4a7c15ULL);
  state_.resize(config_.nodes);

  start_ = Clock::now();
  Note(EventType::kRun, "start", "",
       {{"nodes", names_}, {"seed", config_.seed}, {"test", config_.test}});
  for (std::size_t k = 0; k < config_.nodes; ++k) {
    nodes_.push_back(std::make_unique<NodeProcess>(
        io_, names_[k], argvs[k], ContractEnvironment(vars[k]),
        ChildSetup{.netns_fd = sandbox_->nodes()[k].netns.fd()}, dir.NodeLog(names_[k]),
        [this, k](const std::string& line) { OnLine(k, line); },
        [this, k](pid_t pid, int code) { OnExit(k, pid, code); }));
  }
  for (std::size_t k = 0; k < config_.nodes; ++k) StartNode(k);
  signals_.async_wait([this](boost::system::error_code ec, int) {
    if (!ec) {
      progress_ << "\nschism: interrupted; stopping the nodes and cleaning up\n";
      Stop(true);
    }
  });
  ScheduleOps();
  progress_ << "schism: " << config_.nodes << " nodes up; running " << config_.time_s
            << " s with nemesis seed " << config_.seed << "\n";
  io_.run();

  // Teardown before checking: nothing of the run outlives this point.
  nodes_.clear();
  partitioner_.reset();
  sandbox_.reset();
  history_.reset();
  dir.WriteFile("timeline.json", nlohmann::json{{"seed", config_.seed}, {"ops", timeline_}}.dump(2) + "\n");

  CheckSettings settings;
  settings.options.liveness_deadline_s = LivenessDeadline(config_);
  settings.options.split_brain_fails = config_.split_brain_fails;
  settings.title = config_.test + ", seed " + std::to_string(config_.seed);
  CheckOutcome outcome = CheckHistory(dir.History(), settings);
  WriteReports(dir, outcome, settings.title, config_.time_s);
  RunResult result;
  result.run_dir = dir.path();
  result.overall = outcome.overall;
  result.verdicts = outcome.verdicts;
  result.interrupted = interrupted_;
  return result;
}

}  // namespace

void CheckTimelineFits(const std::vector<nemesis::Op>& ops, const RunConfig& config) {
  // Applied offsets lag their schedule by a little; the final heal of a
  // recorded run lands just after the quiet period starts.
  constexpr double kSlack = 0.25;
  const double quiet_from = config.time_s - QuietPeriod(config);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const nemesis::Op& op = ops[i];
    bool ends_a_fault = op.kind == nemesis::OpKind::kHeal || op.kind == nemesis::OpKind::kRestart ||
                        op.kind == nemesis::OpKind::kResume ||
                        op.kind == nemesis::OpKind::kLossEnd;
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

RunResult RunTest(const RunConfig& config, std::ostream& progress) {
  if (config.nodes < 1 || config.nodes > Sandbox::kMaxNodes) {
    throw UsageError("--nodes must be between 1 and " + std::to_string(Sandbox::kMaxNodes) +
                     ", got " + std::to_string(config.nodes));
  }
  if (!(config.time_s > 0)) throw UsageError("--time must be positive");
  if (!(config.interval_s > 0)) throw UsageError("--nemesis-interval must be positive");
  if (QuietPeriod(config) >= config.time_s) {
    throw UsageError("--time must be longer than the quiet period (" +
                     std::to_string(QuietPeriod(config)) + " s)");
  }
  if (config.timeline) CheckTimelineFits(*config.timeline, config);
  Run run(config, progress);
  return run.Execute();
}

}  // namespace schism::harness
