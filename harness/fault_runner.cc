#include "harness/fault_runner.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "nemesis/fault_kind.h"

namespace schism::harness {

using histories::EventType;

FaultRunner::FaultRunner(std::vector<std::string> names, std::uint64_t seed, FaultSeams seams,
                         Recorder& recorder)
    : context_(std::move(names), std::move(seams), recorder, seed),
      lives_(context_),
      mechanisms_(MakeMechanisms(context_, lives_)) {
  context_.apply_op = [this](const nemesis::Op& op) { ApplyOp(op); };
  for (const auto& m : mechanisms_) {
    if (!nemesis::FaultKindNamed(m->Kind())) {
      throw std::logic_error("a mechanism for \"" + std::string(m->Kind()) + "\", which is no fault kind");
    }
    if (!by_kind_.emplace(m->Kind(), m.get()).second) {
      throw std::logic_error("two mechanisms for fault kind \"" + std::string(m->Kind()) + "\"");
    }
  }
  std::vector<const nemesis::FaultKind*> kinds = nemesis::AllFaultKinds();
  std::stable_sort(kinds.begin(), kinds.end(), [](const auto* a, const auto* b) {
    return a->Tail().stage < b->Tail().stage;
  });
  for (const nemesis::FaultKind* kind : kinds) {
    const auto it = by_kind_.find(kind->Name());
    if (it == by_kind_.end()) {
      throw std::logic_error("fault kind \"" + std::string(kind->Name()) + "\" has no mechanism");
    }
    heal_order_.push_back(it->second);
  }
}

void FaultRunner::Schedule(const std::vector<nemesis::Op>& ops,
                           std::optional<double> final_heal_s) {
  for (const nemesis::Op& op : ops) {
    context_.After(op.offset_s - context_.Now(), [this, op] { ApplyOp(op); });
  }
  if (final_heal_s) context_.After(*final_heal_s - context_.Now(), [this] { FinalHeal(); });
}

void FaultRunner::ApplyOp(const nemesis::Op& op) {
  if (context_.stopping()) return;
  nemesis::ClusterView view;
  view.nodes = context_.names();
  view.leader = lives_.Leader();
  for (std::size_t k = 0; k < view.nodes.size(); ++k) {
    if (context_.seams().processes.Running(k)) view.alive.push_back(view.nodes[k]);
    if (lives_.paused().count(k)) view.paused.push_back(view.nodes[k]);
  }
  ApplyResolved(nemesis::Resolve(op, view, context_.rng()));
}

void FaultRunner::ApplyResolved(const nemesis::ResolvedOp& resolved) {
  context_.AddToTimeline(resolved);
  if (!resolved.skipped.empty()) {
    context_.recorder().NoteSkipped(resolved);
    return;
  }
  const nemesis::FaultKind* kind = nemesis::OwnerOf(resolved.op.kind);
  Mechanism& mechanism = *by_kind_.at(kind->Name());
  if (resolved.op.kind == kind->StartOp()) {
    mechanism.Apply(resolved);
  } else {
    mechanism.Undo(resolved);
  }
}

void FaultRunner::FinalHeal() {
  for (Mechanism* mechanism : heal_order_) mechanism->UndoAll();
  context_.recorder().Note(EventType::kNemesis, "final-heal", "", {{"phase", "end"}});
  context_.recorder().progress() << "schism: final heal at " << context_.Now()
                                 << " s; quiet until the end\n";
}

void FaultRunner::OnEvent(std::size_t k, const histories::Event& e) {
  if (e.type == EventType::kRole && e.role) lives_.OnRole(k, *e.role, e.term);
  if (e.type != EventType::kVote || context_.stopping()) return;
  const auto& names = context_.names();
  const auto candidate = std::find(names.begin(), names.end(), e.vote_for);
  // A vote for an unknown node, or for itself, names no one to kill.
  if (candidate == names.end() || e.vote_for == names[k]) return;
  const auto c = static_cast<std::size_t>(candidate - names.begin());
  for (const auto& mechanism : mechanisms_) mechanism->OnVote(k, c, e.term);
}

bool FaultRunner::OnExit(std::size_t k, pid_t pid, int code) {
  if (!lives_.TakeTerminating(pid)) return false;
  // A term op: it exited within its grace.
  context_.recorder().Note(EventType::kProcess, "exit", context_.names()[k],
                           {{"pid", pid}, {"code", code}, {"after", "term"}});
  lives_.ProveTermEnded(k, pid);
  return true;
}

void FaultRunner::Stop() {
  context_.set_stopping();
  for (std::size_t k = 0; k < context_.names().size(); ++k) lives_.Resume(k);
}

}  // namespace schism::harness
