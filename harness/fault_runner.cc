// FaultRunner: dispatching ops, the schedule, and the final heal.
#include "harness/fault_runner.h"

#include <algorithm>
#include <utility>

#include "nemesis/random.h"

namespace schism::harness {

FaultRunner::FaultRunner(std::vector<std::string> names, std::uint64_t seed, FaultSeams seams,
                         Recorder& recorder)
    : names_(std::move(names)),
      seams_(std::move(seams)),
      recorder_(recorder),
      resolve_rng_(nemesis::StreamSeed(seed, nemesis::Stream::kResolve)),
      state_(names_.size()) {}

void FaultRunner::After(double delay_s, std::function<void()> then) {
  seams_.timers.After(delay_s, [this, then = std::move(then)] {
    if (!stopping_) then();
  });
}

std::size_t FaultRunner::IndexOf(const std::string& node) const {
  return static_cast<std::size_t>(std::find(names_.begin(), names_.end(), node) - names_.begin());
}

void FaultRunner::AddToTimeline(const nemesis::ResolvedOp& resolved) {
  timeline_.push_back(
      {{"t", Now()}, {"op", nemesis::ToJson(resolved.op)}, {"applied", resolved.Describe()}});
}

void FaultRunner::Schedule(const std::vector<nemesis::Op>& ops,
                           std::optional<double> final_heal_s) {
  for (const nemesis::Op& op : ops) {
    After(op.offset_s - Now(), [this, op] { ApplyOp(op); });
  }
  if (final_heal_s) After(*final_heal_s - Now(), [this] { FinalHeal(); });
}

std::optional<std::string> FaultRunner::CurrentLeader() const {
  std::optional<std::string> leader;
  std::uint64_t best = 0;
  for (std::size_t k = 0; k < names_.size(); ++k) {
    if (!seams_.processes.Running(k) || state_[k].role != histories::Role::kLeader) continue;
    if (!leader || state_[k].term >= best) {
      leader = names_[k];
      best = state_[k].term;
    }
  }
  return leader;
}

void FaultRunner::ApplyOp(const nemesis::Op& op) {
  if (stopping_) return;
  nemesis::ClusterView view;
  view.nodes = names_;
  view.leader = CurrentLeader();
  for (std::size_t k = 0; k < names_.size(); ++k) {
    if (seams_.processes.Running(k)) view.alive.push_back(names_[k]);
    if (paused_.count(k)) view.paused.push_back(names_[k]);
  }
  ApplyResolved(nemesis::Resolve(op, view, resolve_rng_));
}

void FaultRunner::ApplyResolved(const nemesis::ResolvedOp& resolved) {
  AddToTimeline(resolved);
  if (!resolved.skipped.empty()) {
    recorder_.NoteSkipped(resolved);
    return;
  }
  using nemesis::OpKind;
  switch (resolved.op.kind) {
    case OpKind::kPartition:
      Partition(resolved);
      break;
    case OpKind::kHeal:
      Heal();
      break;
    case OpKind::kFlap:
      Flap(resolved);
      break;
    case OpKind::kLoss:
      StartLoss(resolved);
      break;
    case OpKind::kLossEnd:
      EndLoss();
      break;
    case OpKind::kDuplicate:
      StartDuplicate(resolved);
      break;
    case OpKind::kDuplicateEnd:
      EndDuplicate();
      break;
    case OpKind::kDelay:
      StartDelay(resolved);
      break;
    case OpKind::kDelayEnd:
      EndDelay();
      break;
    case OpKind::kBandwidth:
      LimitBandwidth(resolved);
      break;
    case OpKind::kBandwidthEnd:
      EndBandwidth(resolved.node);
      break;
    case OpKind::kKill:
      if (resolved.awaits_voter) {
        ArmVoterKill(resolved);
      } else {
        for (const std::string& node : resolved.Targets()) KillNode(resolved, node);
      }
      break;
    case OpKind::kTerm:
      for (const std::string& node : resolved.Targets()) TermNode(resolved, node);
      break;
    case OpKind::kRestart:
      for (const std::string& node : resolved.restart) RestartNode(IndexOf(node));
      break;
    case OpKind::kPause:
      for (const std::string& node : resolved.Targets()) PauseNode(resolved, node);
      break;
    case OpKind::kResume:
      for (const std::string& node : resolved.resume) ResumeNode(IndexOf(node));
      break;
    case OpKind::kClock:
      for (const std::string& node : resolved.Targets()) SkewClock(resolved, node);
      break;
    case OpKind::kClockEnd:
      EndClock(resolved.node);
      break;
  }
}

// Whatever the schedule did, the network is whole and every node is up from
// here on.
void FaultRunner::FinalHeal() {
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
  for (std::size_t k = 0; k < names_.size(); ++k) {
    ResumeNode(k);
    RestartNode(k);
  }
  recorder_.Note(EventType::kNemesis, "final-heal", "", {{"phase", "end"}});
  recorder_.progress() << "schism: final heal at " << Now() << " s; quiet until the end\n";
}

void FaultRunner::OnEvent(std::size_t k, const histories::Event& e) {
  if (e.type == EventType::kRole) {
    state_[k].role = e.role;
    if (e.term) state_[k].term = *e.term;
  }
  const bool voted_for_other = e.type == EventType::kVote && e.vote_for != names_[k];
  if (voted_for_other && pending_voter_kill_ && !stopping_) {
    nemesis::ResolvedOp kill = nemesis::WithVoter(*pending_voter_kill_, names_[k]);
    pending_voter_kill_.reset();
    AddToTimeline(kill);
    KillNode(kill, kill.node);
  }
}

void FaultRunner::Stop() {
  stopping_ = true;
  for (std::size_t k = 0; k < names_.size(); ++k) ResumeNode(k);
}

}  // namespace schism::harness
