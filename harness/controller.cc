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
#include "harness/clock_probe.h"
#include "harness/elector.h"
#include "harness/errors.h"
#include "harness/node_process.h"
#include "harness/run_store.h"
#include "harness/sandbox.h"
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
          {"nemesis", c.nemeses},   {"nemesis_weights", c.weights},
          {"nemesis_interval_s", c.interval_s},
          {"quiet_s", QuietPeriod(c)}, {"liveness_deadline_s", LivenessDeadline(c)},
          {"split_brain_fails", c.split_brain_fails},
          {"port", c.port},
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
  // The same for one `node` of a fault that hit several.
  void NoteFaultStartOn(const std::string& f, const nemesis::ResolvedOp& resolved,
                        const std::string& node, nlohmann::json extra = nlohmann::json::object());
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
  void KillNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void TermNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void RestartAfter(std::size_t k, double delay_s);
  void RestartNode(std::size_t k);
  void EndLoss();
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
  void PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node);
  void ResumeNode(std::size_t k);
  // Kills node k's whole process tree (its cgroup, or its process group) and reaps it.
  void KillTree(std::size_t k);
  void Flap(const nemesis::ResolvedOp& resolved);
  void FlapPhase(nemesis::Op partition, double until_s, bool partition_next);
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
  // One cgroup per node, for whole-tree kills and freezes; empty when cgroup
  // v2 is unusable (then process-group signals do both, and the run says so).
  std::optional<nemesis::NodeCgroups> cgroups_;
  // Made on first use: a delay binds a packet queue in every node namespace.
  std::unique_ptr<nemesis::PacketDelayer> delayer_;
  std::unique_ptr<nemesis::BandwidthLimiter> bandwidth_;
  // Clock faults: libfaketime when the elector takes it and the self-test
  // passed; otherwise clock ops are recorded as unsupported, and each node
  // starts in a time namespace with a monotonic offset of its own.
  std::unique_ptr<nemesis::FaketimeClocks> clocks_;
  nlohmann::json clock_mechanism_;  // for the run/start event
  std::string clock_unsupported_;
  std::vector<std::int64_t> time_offsets_ns_;  // per node, when in time namespaces
  std::map<std::size_t, std::uint64_t> skewed_;  // nodes with a clock fault -> its generation
  std::uint64_t clock_generation_ = 0;
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
  std::map<std::size_t, bool> paused_;  // paused nodes: true when frozen, false when SIGSTOPped
  std::map<std::size_t, std::string> down_by_;  // dead nodes: the fault that killed them
  std::set<pid_t> terminating_;                  // nodes sent SIGTERM by a term op
  bool flapping_ = false;
  bool partitioned_ = false;
  bool lossy_ = false;
  bool delayed_ = false;
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

void Run::NoteFaultStartOn(const std::string& f, const nemesis::ResolvedOp& resolved,
                           const std::string& node, nlohmann::json extra) {
  nemesis::ResolvedOp one = resolved;
  one.node = node;
  one.victims.clear();
  extra["victims"] = resolved.victims;
  if (resolved.victims.empty()) extra.erase("victims");
  NoteFaultStart(f, one, std::move(extra));
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
  if (clocks_) clocks_->PrepareStart(names_[k]);
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
    KillNode(kill, kill.node);
  }
}

void Run::OnExit(std::size_t k, pid_t pid, int code) {
  if (expected_exits_.erase(pid)) return;
  if (terminating_.erase(pid)) {  // a term op: it exited within its grace
    Note(EventType::kProcess, "exit", names_[k], {{"pid", pid}, {"code", code}, {"after", "term"}});
    return;
  }
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
        for (const std::string& node : resolved.Targets()) KillNode(resolved, node);
      }
      break;
    case nemesis::OpKind::kTerm:
      for (const std::string& node : resolved.Targets()) TermNode(resolved, node);
      break;
    case nemesis::OpKind::kFlap:
      Flap(resolved);
      break;
    case nemesis::OpKind::kDelay:
      StartDelay(resolved);
      break;
    case nemesis::OpKind::kDelayEnd:
      EndDelay();
      break;
    case nemesis::OpKind::kBandwidth:
      LimitBandwidth(resolved);
      break;
    case nemesis::OpKind::kBandwidthEnd:
      EndBandwidth(resolved.node);
      break;
    case nemesis::OpKind::kClock:
      for (const std::string& node : resolved.Targets()) SkewClock(resolved, node);
      break;
    case nemesis::OpKind::kClockEnd:
      EndClock(resolved.node);
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
      for (const std::string& node : resolved.Targets()) PauseNode(resolved, node);
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

// Replaces the delays in force (as a partition replaces the grudge).
void Run::StartDelay(const nemesis::ResolvedOp& resolved) {
  if (!delayer_) {
    std::vector<nemesis::DelayNode> nodes;
    for (const SandboxNode& n : sandbox_->nodes()) nodes.push_back({n.name, n.netns.fd(), n.address});
    delayer_ = std::make_unique<nemesis::PacketDelayer>(nodes, config_.seed ^ 0xde1a7ULL);
  }
  if (delayed_) EndDelay();
  std::vector<nemesis::PairDelay> pairs;
  for (const auto& [from, to] : resolved.pairs) {
    pairs.push_back({from, to, resolved.op.delay_ms, resolved.op.jitter_ms});
  }
  delayer_->Set(pairs);
  delayed_ = true;
  NoteFaultStart("delay", resolved);
}

// Clears every delay, recording what each pair actually got.
void Run::EndDelay() {
  if (!delayed_) return;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& p : delayer_->Stats()) {
    achieved.push_back({{"from", p.from}, {"to", p.to}, {"packets", p.packets},
                        {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
                        {"max_ms", p.max_ms}, {"reordered", p.reordered}});
  }
  delayer_->Clear();
  delayed_ = false;
  Note(EventType::kNemesis, "delay", "", {{"phase", "end"}, {"achieved", achieved}});
}

void Run::LimitBandwidth(const nemesis::ResolvedOp& resolved) {
  if (!bandwidth_) {
    std::vector<nemesis::BandwidthNode> nodes;
    for (const SandboxNode& n : sandbox_->nodes()) nodes.push_back({n.name, n.netns.fd(), n.port});
    bandwidth_ = std::make_unique<nemesis::BandwidthLimiter>(sandbox_->hub().fd(), nodes);
  }
  for (const std::string& node : resolved.Targets()) {
    bandwidth_->Set(node, static_cast<std::uint64_t>(resolved.op.rate_kbit));
    NoteFaultStartOn("bandwidth", resolved, node);
  }
}

// Lifts the limit of `node`, or of every node when empty.
void Run::EndBandwidth(const std::string& node) {
  if (!bandwidth_) return;
  std::vector<std::string> limited;
  for (const auto& [name, rate] : bandwidth_->Limits()) {
    if (node.empty() || name == node) limited.push_back(name);
  }
  for (const std::string& name : limited) {
    bandwidth_->Clear(name);
    Note(EventType::kNemesis, "bandwidth", name, {{"phase", "end"}});
  }
}

bool Run::WantsClockFaults() const {
  if (!config_.timeline) {
    return std::find(config_.nemeses.begin(), config_.nemeses.end(), "clock") != config_.nemeses.end();
  }
  return std::any_of(config_.timeline->begin(), config_.timeline->end(),
                     [](const nemesis::Op& op) { return op.kind == nemesis::OpKind::kClock; });
}

// Chooses the clock mechanism before any node starts: libfaketime when the
// elector's binary can take it and a probe under the same wrapper reads the
// offset it was given; otherwise time namespaces (monotonic only, fixed at
// spawn), and every clock op is recorded as unsupported.
void Run::SetUpClocks(const std::filesystem::path& elector) {
  nemesis::ClockSupport support = nemesis::CheckClockSupport(elector);
  if (support.faketime) {
    try {
      clocks_ = std::make_unique<nemesis::FaketimeClocks>(names_);
      const std::string& probe_node = names_[0];
      clocks_->Set(probe_node, {5000, 1});
      ClockSelfTestResult test = RunClockSelfTest(
          {config_.node_binary, clocks_->Environment(probe_node),
           ChildSetup{.netns_fd = sandbox_->nodes()[0].netns.fd()}},
          clocks_->Expected(probe_node));
      clocks_->Set(probe_node, {});
      if (test.ok) {
        clock_mechanism_ = {{"clock", "faketime"}, {"clock_self_test", test.message}};
        return;
      }
      support.reason = test.message;
    } catch (const std::exception& e) {
      support.reason = std::string("libfaketime: ") + e.what();
    }
    clocks_.reset();
  }
  clock_unsupported_ = support.reason;
  progress_ << "schism: clock faults cannot be applied (" << clock_unsupported_
            << "); they will be recorded as unsupported and the verdict is at best unknown\n";
  SetUpTimeNamespaces();
}

// Starts every node with a monotonic clock of its own (a seeded offset of up
// to an hour), which any binary gets: an elector that compares monotonic
// readings across nodes is caught even where libfaketime cannot reach.
void Run::SetUpTimeNamespaces() {
  std::mt19937_64 rng(config_.seed ^ 0x71e5ULL);
  std::vector<std::int64_t> offsets;
  nlohmann::json shown = nlohmann::json::object();
  for (const std::string& name : names_) {
    auto offset_s = static_cast<std::int64_t>(nemesis::UniformIndex(rng, 3600)) + 1;
    offsets.push_back(offset_s * 1'000'000'000);
    shown[name] = offset_s;
  }
  ClockSelfTestResult test =
      RunClockSelfTest({config_.node_binary, {},
                        ChildSetup{.netns_fd = sandbox_->nodes()[0].netns.fd(),
                                   .time_offset_ns = offsets[0]}},
                       nemesis::TimeNamespaceClocks(offsets[0]));
  clock_mechanism_ = {{"clock", nullptr}, {"clock_unsupported", clock_unsupported_}};
  if (!test.ok) {
    clock_mechanism_["time_namespace_self_test"] = test.message;
    return;
  }
  time_offsets_ns_ = offsets;
  clock_mechanism_["clock"] = "time-namespace";
  clock_mechanism_["monotonic_offsets_s"] = shown;
}

void Run::SkewClock(const nemesis::ResolvedOp& resolved, const std::string& node) {
  if (!clocks_) {
    nlohmann::json detail = resolved.Describe();
    detail.erase("f");
    detail.erase("node");
    detail["unsupported"] = clock_unsupported_;
    Note(EventType::kNemesis, "clock", node, std::move(detail));
    return;
  }
  std::size_t k = IndexOf(node);
  const nemesis::Op& op = resolved.op;
  std::uint64_t generation = ++clock_generation_;  // stops a strobe already running
  skewed_[k] = generation;
  nemesis::ClockSetting setting;
  switch (op.clock_mode) {
    case nemesis::ClockMode::kBump:
      setting = clocks_->Bump(node, op.clock_offset_ms);
      break;
    case nemesis::ClockMode::kRate:
      setting = clocks_->SetRate(node, op.clock_rate);
      break;
    case nemesis::ClockMode::kStrobe:
      setting = clocks_->SetOffset(node, op.clock_offset_ms);
      After(op.clock_period_s, [this, k, generation, op] { Strobe(k, generation, op, true); });
      break;
  }
  NoteFaultStartOn("clock", resolved, node,
                   {{"setting", {{"offset_ms", setting.offset_ms}, {"rate", setting.rate}}}});
}

// One flip of a strobe; flips until a newer clock op or a clock-end.
void Run::Strobe(std::size_t k, std::uint64_t generation, nemesis::Op op, bool second) {
  auto it = skewed_.find(k);
  if (it == skewed_.end() || it->second != generation || !clocks_) return;
  clocks_->SetOffset(names_[k], second ? op.clock_offset2_ms : op.clock_offset_ms);
  After(op.clock_period_s, [this, k, generation, op, second] { Strobe(k, generation, op, !second); });
}

// Restores the clock of `node`, or of every skewed node when empty.
void Run::EndClock(const std::string& node) {
  for (auto it = skewed_.begin(); it != skewed_.end();) {
    const std::string& name = names_[it->first];
    if (!node.empty() && name != node) {
      ++it;
      continue;
    }
    if (clocks_) clocks_->Set(name, {});
    Note(EventType::kNemesis, "clock", name, {{"phase", "end"}});
    it = skewed_.erase(it);
  }
}

void Run::PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running() || paused_.count(k)) return;
  bool freeze = resolved.op.freeze && cgroups_.has_value();
  NoteFaultStartOn("pause", resolved, node,
                   resolved.op.freeze && !freeze
                       ? nlohmann::json{{"fallback", "no cgroup v2: SIGSTOP instead of a freeze"}}
                       : nlohmann::json::object());
  nlohmann::json detail = {{"pid", nodes_[k]->pid()}};
  if (freeze) {
    bool frozen = cgroups_->Freeze(node);
    detail["how"] = "freeze";
    if (!frozen) detail["frozen"] = "not yet (still freezing after 2 s)";
  } else {
    nodes_[k]->Signal(SIGSTOP);
    detail["signal"] = SIGSTOP;
  }
  paused_[k] = freeze;
  Note(EventType::kProcess, "pause", node, std::move(detail));
  if (resolved.op.resume_after_s <= 0) return;  // paused until a resume op
  After(resolved.op.resume_after_s, [this, k] { ResumeNode(k); });
}

void Run::ResumeNode(std::size_t k) {
  auto it = paused_.find(k);
  if (it == paused_.end()) return;
  const bool frozen = it->second;
  paused_.erase(it);
  nlohmann::json detail = {{"pid", nodes_[k]->pid()}};
  if (frozen) {
    cgroups_->Thaw(names_[k]);
    detail["how"] = "thaw";
  } else {
    nodes_[k]->Signal(SIGCONT);
    detail["signal"] = SIGCONT;
  }
  Note(EventType::kProcess, "resume", names_[k], std::move(detail));
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

void Run::KillNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running()) return;
  NoteFaultStartOn("kill", resolved, node);
  pid_t pid = nodes_[k]->pid();
  KillTree(k);
  state_[k] = NodeState{};
  down_by_[k] = "kill";
  Note(EventType::kProcess, "kill", node, {{"pid", pid}, {"signal", SIGKILL}});
  RestartAfter(k, resolved.op.restart_after_s);
}

// SIGTERM, then SIGKILL when the node has not exited after the op's grace.
void Run::TermNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running()) return;
  NoteFaultStartOn("term", resolved, node, {{"grace", resolved.op.grace_s}});
  pid_t pid = nodes_[k]->pid();
  terminating_.insert(pid);
  down_by_[k] = "term";
  nodes_[k]->Signal(SIGTERM);
  ResumeNode(k);  // a stopped or frozen node must run to act on it
  Note(EventType::kProcess, "term", node, {{"pid", pid}, {"signal", SIGTERM}});
  const double restart_after = resolved.op.restart_after_s;
  After(resolved.op.grace_s, [this, k, pid, restart_after] {
    if (terminating_.erase(pid) && nodes_[k]->running() && nodes_[k]->pid() == pid) {
      KillTree(k);
      Note(EventType::kProcess, "kill", names_[k],
           {{"pid", pid}, {"signal", SIGKILL}, {"escalated", "term grace over"}});
    }
    state_[k] = NodeState{};
    RestartAfter(k, restart_after);
  });
}

void Run::KillTree(std::size_t k) {
  paused_.erase(k);  // a cgroup kill thaws; a killed group needs no SIGCONT
  if (cgroups_) cgroups_->Kill(names_[k]);
  nodes_[k]->KillAndReap();
}

// Restarts node k after `delay_s`; 0 leaves it dead until a restart op.
void Run::RestartAfter(std::size_t k, double delay_s) {
  if (delay_s <= 0) return;
  After(delay_s, [this, k] { RestartNode(k); });
}

// Starts a node the nemesis killed, and closes its kill (or term) in the history.
void Run::RestartNode(std::size_t k) {
  if (nodes_[k]->running()) return;
  StartNode(k);
  auto fault = down_by_.find(k);
  Note(EventType::kNemesis, fault != down_by_.end() ? fault->second : "kill", names_[k],
       {{"phase", "end"}});
  if (fault != down_by_.end()) down_by_.erase(fault);
}

// Partitions and heals at random intervals for the op's hold, then heals.
// Each partition and heal is resolved, applied and recorded on its own, so a
// replay repeats the exact flips.
void Run::Flap(const nemesis::ResolvedOp& resolved) {
  NoteFaultStart("flap", resolved);
  nemesis::Op partition = resolved.op;
  partition.kind = nemesis::OpKind::kPartition;
  flapping_ = true;
  FlapPhase(partition, Now() + resolved.op.hold_s, true);
}

void Run::FlapPhase(nemesis::Op partition, double until_s, bool partition_next) {
  if (!flapping_) return;
  const bool over = Now() >= until_s;
  nemesis::Op op = partition;
  op.kind = partition_next && !over ? nemesis::OpKind::kPartition : nemesis::OpKind::kHeal;
  op.offset_s = Now();
  ApplyOp(op);
  if (over) {
    flapping_ = false;
    Note(EventType::kNemesis, "flap", "", {{"phase", "end"}});
    return;
  }
  double phase = nemesis::UniformReal(resolve_rng_, partition.flap_min_s, partition.flap_max_s);
  double next = std::min(phase, std::max(0.0, until_s - Now()));
  After(next, [this, partition, until_s, partition_next] {
    FlapPhase(partition, until_s, !partition_next);
  });
}

// The start of the quiet period: whatever the schedule did, the network is
// whole and every node is up from here on.
void Run::FinalHeal() {
  pending_voter_kill_.reset();
  if (flapping_) {
    flapping_ = false;
    Note(EventType::kNemesis, "flap", "", {{"phase", "end"}});
  }
  if (partitioned_) {
    nemesis::Op heal;
    heal.kind = nemesis::OpKind::kHeal;
    heal.offset_s = Now();
    ApplyOp(heal);
  }
  EndLoss();
  EndDelay();
  EndBandwidth("");
  EndClock("");
  for (std::size_t k = 0; k < nodes_.size(); ++k) {
    ResumeNode(k);
    RestartNode(k);
  }
  Note(EventType::kNemesis, "final-heal", "", {{"phase", "end"}});
  progress_ << "schism: final heal at " << Now() << " s; quiet until the end\n";
}

void Run::ScheduleOps() {
  std::vector<nemesis::Op> ops =
      config_.timeline ? *config_.timeline : nemesis::Generate(ScheduleOptionsFor(config_));
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
  for (std::size_t k = 0; k < nodes_.size(); ++k) ResumeNode(k);  // and a frozen one
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
      KillTree(k);
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
  std::string no_cgroups;
  cgroups_ = nemesis::NodeCgroups::Create(names_, &no_cgroups);
  if (!cgroups_) {
    progress_ << "schism: no per-node cgroups (" << no_cgroups
              << "); kills and pauses use process-group signals, and a freeze falls back to SIGSTOP\n";
  }
  if (WantsClockFaults()) SetUpClocks(command[0]);
  history_ = std::make_unique<histories::HistoryWriter>(dir.History());
  resolve_rng_.seed(config_.seed ^ 0x9e3779b97f4a7c15ULL);
  state_.resize(config_.nodes);

  start_ = Clock::now();
  nlohmann::json mechanisms = {{"cgroups", cgroups_ ? nlohmann::json(cgroups_->run_dir())
                                                     : nlohmann::json(nullptr)}};
  if (!cgroups_) mechanisms["cgroups_unavailable"] = no_cgroups;
  if (!clock_mechanism_.is_null()) mechanisms.update(clock_mechanism_);
  Note(EventType::kRun, "start", "",
       {{"nodes", names_}, {"seed", config_.seed}, {"test", config_.test},
        {"mechanisms", mechanisms}});
  for (std::size_t k = 0; k < config_.nodes; ++k) {
    auto env = ContractEnvironment(vars[k]);
    if (clocks_) {
      for (auto& var : clocks_->Environment(names_[k])) env.push_back(std::move(var));
    }
    nodes_.push_back(std::make_unique<NodeProcess>(
        io_, names_[k], argvs[k], std::move(env),
        ChildSetup{.netns_fd = sandbox_->nodes()[k].netns.fd(),
                   .cgroup_procs_fd = cgroups_ ? cgroups_->ProcsFd(names_[k]) : -1,
                   .time_offset_ns = time_offsets_ns_.empty() ? 0 : time_offsets_ns_[k]},
        dir.NodeLog(names_[k]),
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
  cgroups_.reset();
  delayer_.reset();
  bandwidth_.reset();
  clocks_.reset();
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
  if (config.timeline) {
    CheckTimelineFits(*config.timeline, config);
  } else {
    try {
      nemesis::Generate(ScheduleOptionsFor(config));  // pure and quick: checks names and weights
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--nemesis: ") + e.what());
    }
  }
  Run run(config, progress);
  return run.Execute();
}

}  // namespace schism::harness
