// term: SIGTERM, and SIGKILL of the whole tree when the node has not exited
// after the op's grace.
//   apply   SIGTERM (a stopped or frozen node is continued first, so that it
//           can act on it), and the grace's timer;
//   verify  when the node has gone (it exited, or the grace's kill took it):
//           every process of its tree gone (NodeLives::ProveTermEnded);
//   undo    kill's restart, restart_after after the grace, or the final heal.
#include <signal.h>

#include "harness/faults/list.h"

namespace schism::harness {
namespace {

using histories::EventType;

class TermMechanism final : public Mechanism {
 public:
  TermMechanism(FaultContext& context, NodeLives& lives) : context_(context), lives_(lives) {}
  std::string_view Kind() const override { return "term"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    for (const std::string& node : resolved.Targets()) Term(resolved, node);
  }
  void Undo(const nemesis::ResolvedOp&) override {}  // a restart is the kill's
  void UndoAll() override {}                         // and so is the final heal's

 private:
  void Term(const nemesis::ResolvedOp& resolved, const std::string& node) {
    const std::size_t k = context_.IndexOf(node);
    Processes& processes = context_.seams().processes;
    if (!processes.Running(k)) {
      context_.recorder().Note(EventType::kNemesis, "term", node,
                               {{"skipped", node + " is not running"}});
      return;
    }
    const std::uint64_t of = context_.recorder().NoteFaultStartOn(
        "term", resolved, node, {{"grace", resolved.op.grace_s}});
    const pid_t pid = processes.Pid(k);
    lives_.Terminating(pid, of);
    lives_.MarkDown(k, "term");
    processes.Signal(k, SIGTERM);
    lives_.Resume(k);  // a stopped or frozen node must run to act on it
    context_.recorder().Note(EventType::kProcess, "term", node, {{"pid", pid}, {"signal", SIGTERM}});
    const double restart_after = resolved.op.restart_after_s;
    context_.After(resolved.op.grace_s, [this, k, pid, restart_after] { GraceOver(k, pid, restart_after); });
  }

  void GraceOver(std::size_t k, pid_t pid, double restart_after) {
    Processes& processes = context_.seams().processes;
    const bool same_incarnation = processes.Pid(k) == pid;
    if (lives_.TakeTerminating(pid) && same_incarnation && processes.Running(k)) {
      lives_.KillTree(k);
      context_.recorder().Note(EventType::kProcess, "kill", context_.names()[k],
                               {{"pid", pid}, {"signal", SIGKILL}, {"escalated", "term grace over"}});
    }
    // Another op may have killed and restarted the node meanwhile: its restart rules.
    if (!same_incarnation || processes.Running(k)) return;
    lives_.ForgetRole(k);
    lives_.RestartAfter(k, restart_after);
  }

  FaultContext& context_;
  NodeLives& lives_;
};

}  // namespace

std::unique_ptr<Mechanism> MakeTermMechanism(FaultContext& context, NodeLives& lives) {
  return std::make_unique<TermMechanism>(context, lives);
}

}  // namespace schism::harness
