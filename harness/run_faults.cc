// Run: applying the nemesis's ops to the nodes' processes and network.
#include <signal.h>

#include <algorithm>
#include <random>

#include "harness/run.h"
#include "harness/spawn.h"
#include "nemesis/random.h"

namespace schism::harness {

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
  if (!resolved.skipped.empty()) {
    NoteSkipped(resolved);
    return;
  }
  switch (resolved.op.kind) {
    case nemesis::OpKind::kPartition:
      InstallGrudge(resolved);
      break;
    case nemesis::OpKind::kHeal: {
      if (!partitioned_) break;
      const auto proof = MeasurePartition();  // the counters go with the rules
      partitioner_->Heal();
      partitioned_ = false;
      Note(EventType::kNemesis, "partition", "", {{"phase", "end"}});
      if (proof) NotePartitionProof(*proof);
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
      EndLoss();  // a new loss replaces the old, which is judged on its own counters
      partitioner_->SetLoss(resolved.loss);
      lossy_ = true;
      loss_of_ = NoteFaultStart("loss", resolved);
      loss_forwarded_ = BridgeForwarded();
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
    case nemesis::OpKind::kDuplicate:
      StartDuplicate(resolved);
      break;
    case nemesis::OpKind::kDuplicateEnd:
      EndDuplicate();
      break;
  }
}

// Clears every loss rule, recording the loss each pair actually suffered
// (read from the rules' counters just before they go).
void Run::EndLoss() {
  if (!lossy_) return;
  const nemesis::LossCounts counts = partitioner_->ReadLoss();  // one read: proof and record agree
  const nemesis::Proof proof = ProveLoss(counts);
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& [pair, count] : counts) {
    double pct = count.seen ? 100.0 * static_cast<double>(count.dropped) / static_cast<double>(count.seen) : 0.0;
    achieved.push_back({{"from", pair.first}, {"to", pair.second}, {"percent", count.percent},
                        {"seen", count.seen}, {"dropped", count.dropped}, {"achieved_percent", pct}});
  }
  partitioner_->ClearLoss();
  lossy_ = false;
  Note(EventType::kNemesis, "loss", "", {{"phase", "end"}, {"achieved", achieved}});
  NoteVerified(loss_of_, "loss", "", proof);
}

// Replaces the duplication in force; the one it replaces is judged on its own counters.
void Run::StartDuplicate(const nemesis::ResolvedOp& resolved) {
  if (!duplicator_) {
    nemesis::DuplicateNodes nodes;
    for (const SandboxNode& n : sandbox_->nodes()) nodes[n.name] = {n.port, n.address};
    duplicator_ = std::make_unique<nemesis::PacketDuplicator>(sandbox_->hub().fd(), nodes);
  }
  EndDuplicate();
  duplicator_->Set(resolved.loss);
  duplicating_ = true;
  duplicate_of_ = NoteFaultStart("duplicate", resolved);
  duplicate_forwarded_ = BridgeForwarded();
}

// Clears every duplication, recording what each pair actually got.
void Run::EndDuplicate() {
  if (!duplicating_) return;
  std::vector<nemesis::PairCount> counts;
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& [pair, count] : duplicator_->ReadCounts()) {
    counts.push_back({count.percent, count.seen, count.duplicated});
    achieved.push_back({{"from", pair.first}, {"to", pair.second}, {"percent", count.percent},
                        {"seen", count.seen}, {"duplicated", count.duplicated}});
  }
  const nemesis::Proof proof =
      nemesis::JudgeRandomShare(counts, "duplicated", BridgeForwarded() - duplicate_forwarded_);
  duplicator_->Clear();
  duplicating_ = false;
  Note(EventType::kNemesis, "duplicate", "", {{"phase", "end"}, {"achieved", achieved}});
  NoteVerified(duplicate_of_, "duplicate", "", proof);
}

// Replaces the delays in force (as a partition replaces the grudge).
void Run::StartDelay(const nemesis::ResolvedOp& resolved) {
  if (!delayer_) {
    std::vector<nemesis::DelayNode> nodes;
    for (const SandboxNode& n : sandbox_->nodes()) nodes.push_back({n.name, n.netns.fd(), n.address});
    delayer_ = std::make_unique<nemesis::PacketDelayer>(
        nodes, nemesis::StreamSeed(config_.seed, nemesis::Stream::kDelayJitter));
  }
  if (delayed_) EndDelay();
  std::vector<nemesis::PairDelay> pairs;
  for (const auto& [from, to] : resolved.pairs) {
    pairs.push_back({from, to, resolved.op.delay_ms, resolved.op.jitter_ms});
  }
  delayer_->Set(pairs);
  delayed_ = true;
  delay_ms_ = resolved.op.delay_ms;
  delay_of_ = NoteFaultStart("delay", resolved);
  delay_forwarded_ = BridgeForwarded();
}

// Clears every delay, recording what each pair actually got.
void Run::EndDelay() {
  if (!delayed_) return;
  const std::vector<nemesis::PacketDelayer::PairStats> stats = delayer_->Stats();
  const nemesis::Proof proof = ProveDelay(stats);
  nlohmann::json achieved = nlohmann::json::array();
  for (const auto& p : stats) {
    achieved.push_back({{"from", p.from}, {"to", p.to}, {"packets", p.packets},
                        {"mean_ms", p.mean_ms}, {"p50_ms", p.p50_ms}, {"p95_ms", p.p95_ms},
                        {"max_ms", p.max_ms}, {"reordered", p.reordered}});
  }
  delayer_->Clear();
  delayed_ = false;
  Note(EventType::kNemesis, "delay", "", {{"phase", "end"}, {"achieved", achieved}});
  NoteVerified(delay_of_, "delay", "", proof);
}

void Run::LimitBandwidth(const nemesis::ResolvedOp& resolved) {
  if (!bandwidth_) {
    std::vector<nemesis::BandwidthNode> nodes;
    for (const SandboxNode& n : sandbox_->nodes()) nodes.push_back({n.name, n.netns.fd(), n.port});
    bandwidth_ = std::make_unique<nemesis::BandwidthLimiter>(sandbox_->hub().fd(), nodes);
  }
  for (const std::string& node : resolved.Targets()) {
    if (bandwidth_->Limits().count(node)) EndBandwidth(node);  // judged on its own bytes
    bandwidth_->Set(node, static_cast<std::uint64_t>(resolved.op.rate_kbit));
    open_limits_[node] = {NoteFaultStartOn("bandwidth", resolved, node), Now(), BridgeForwarded()};
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
    const nemesis::Proof proof = ProveBandwidth(name);
    bandwidth_->Clear(name);
    Note(EventType::kNemesis, "bandwidth", name, {{"phase", "end"}});
    const auto open = open_limits_.find(name);
    if (open == open_limits_.end()) continue;
    NoteVerified(open->second.of, "bandwidth", name, proof);
    open_limits_.erase(open);
  }
}

void Run::PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running() || paused_.count(k)) {
    Note(EventType::kNemesis, "pause", node,
         {{"skipped", node + (paused_.count(k) ? " is already paused" : " is not running")}});
    return;
  }
  bool freeze = resolved.op.freeze && cgroups_.has_value();
  const std::uint64_t of = NoteFaultStartOn("pause", resolved, node,
                   resolved.op.freeze && !freeze
                       ? nlohmann::json{{"fallback", "no cgroup v2: SIGSTOP instead of a freeze"}}
                       : nlohmann::json::object());
  nlohmann::json detail = {{"pid", nodes_[k]->pid()}};
  const double since = Now();
  bool frozen = false;
  if (freeze) {
    frozen = cgroups_->Freeze(node);
    detail["how"] = "freeze";
    if (!frozen) detail["frozen"] = "not yet (still freezing after 2 s)";
  } else {
    nodes_[k]->Signal(SIGSTOP);
    detail["signal"] = SIGSTOP;
  }
  paused_[k] = freeze;
  Note(EventType::kProcess, "pause", node, std::move(detail));
  NoteVerified(of, "pause", node, ProvePaused(k, freeze, frozen, since));
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
  // The timer gives up on this arming only: a kill that fired in time may
  // have been followed by a new arming, which has a wait of its own.
  const std::uint64_t arming = ++voter_kill_armings_;
  After(resolved.op.voter_wait_s, [this, arming] {
    if (!pending_voter_kill_ || arming != voter_kill_armings_) return;
    nemesis::ResolvedOp timed_out = nemesis::VoterTimedOut(*pending_voter_kill_);
    AddToTimeline(timed_out);
    NoteSkipped(timed_out);
    pending_voter_kill_.reset();
  });
}

void Run::KillNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running()) {
    Note(EventType::kNemesis, "kill", node, {{"skipped", node + " is not running"}});
    return;
  }
  const std::uint64_t of = NoteFaultStartOn("kill", resolved, node);
  pid_t pid = nodes_[k]->pid();
  const double since = Now();
  KillTree(k);
  state_[k] = NodeState{};
  down_by_[k] = "kill";
  Note(EventType::kProcess, "kill", node, {{"pid", pid}, {"signal", SIGKILL}});
  NoteVerified(of, "kill", node, ProveTreeGone(k, pid, since));
  RestartAfter(k, resolved.op.restart_after_s);
}

// SIGTERM, then SIGKILL when the node has not exited after the op's grace.
void Run::TermNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  std::size_t k = IndexOf(node);
  if (!nodes_[k]->running()) {
    Note(EventType::kNemesis, "term", node, {{"skipped", node + " is not running"}});
    return;
  }
  const std::uint64_t of = NoteFaultStartOn("term", resolved, node, {{"grace", resolved.op.grace_s}});
  pid_t pid = nodes_[k]->pid();
  terminating_.insert(pid);
  open_terms_[pid] = {of, Now()};
  down_by_[k] = "term";
  nodes_[k]->Signal(SIGTERM);
  ResumeNode(k);  // a stopped or frozen node must run to act on it
  Note(EventType::kProcess, "term", node, {{"pid", pid}, {"signal", SIGTERM}});
  const double restart_after = resolved.op.restart_after_s;
  After(resolved.op.grace_s, [this, k, pid, restart_after] {
    const bool same_incarnation = nodes_[k]->pid() == pid;
    if (terminating_.erase(pid) && same_incarnation && nodes_[k]->running()) {
      KillTree(k);
      Note(EventType::kProcess, "kill", names_[k],
           {{"pid", pid}, {"signal", SIGKILL}, {"escalated", "term grace over"}});
    }
    // Another op may have killed and restarted the node meanwhile: its restart rules.
    if (!same_incarnation || nodes_[k]->running()) return;
    state_[k] = NodeState{};
    RestartAfter(k, restart_after);
  });
}

void Run::KillTree(std::size_t k) {
  const pid_t pid = nodes_[k]->pid();
  paused_.erase(k);  // a cgroup kill thaws; a killed group needs no SIGCONT
  if (cgroups_) cgroups_->Kill(names_[k]);
  nodes_[k]->KillAndReap();
  ProveTermEnded(k, pid);  // a term op whose grace ran out, or that another kill overtook
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
  open_flap_ = OpenFlap{NoteFaultStart("flap", resolved), 0, 0, {}};
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
    EndFlap();
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
  if (partitioned_) {
    nemesis::Op heal;
    heal.kind = nemesis::OpKind::kHeal;
    heal.offset_s = Now();
    ApplyOp(heal);
  }
  EndFlap();  // after the heal, which proves its last partition
  EndLoss();
  EndDuplicate();
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

}  // namespace schism::harness
