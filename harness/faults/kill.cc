// kill: the victims die, their whole process tree (the node's cgroup, or its
// process group without cgroups).
//   apply   SIGKILL each victim's tree and reap it; or, for a voter target,
//           arm a kill of the next node to grant a vote to another;
//   verify  at once: every process of the tree gone, with the time it took;
//   undo    restart: start the node (any dead node when none is named), which
//           also ends a term; at the final heal, every dead node.
#include <signal.h>

#include "harness/faults/list.h"

namespace schism::harness {
namespace {

using histories::EventType;

class KillMechanism final : public Mechanism {
 public:
  KillMechanism(FaultContext& context, NodeLives& lives) : context_(context), lives_(lives) {}
  std::string_view Kind() const override { return "kill"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    if (resolved.awaits_voter) {
      Arm(resolved);
      return;
    }
    for (const std::string& node : resolved.Targets()) Kill(resolved, node);
  }

  void Undo(const nemesis::ResolvedOp& end) override {
    for (const std::string& node : end.restart) lives_.Restart(context_.IndexOf(node));
  }

  void UndoAll() override {
    pending_.reset();
    for (std::size_t k = 0; k < context_.names().size(); ++k) lives_.Restart(k);
  }

  void OnVote(std::size_t k) override {
    if (!pending_ || context_.stopping()) return;
    nemesis::ResolvedOp kill = nemesis::WithVoter(*pending_, context_.names()[k]);
    pending_.reset();
    context_.AddToTimeline(kill);
    Kill(kill, kill.node);
  }

 private:
  // Arms a kill of the next node that grants a vote to another node; gives
  // up after the op's voter_wait_s.
  void Arm(const nemesis::ResolvedOp& resolved) {
    pending_ = resolved;
    // The timer gives up on this arming only: a kill that fired in time may
    // have been followed by a new arming, which has a wait of its own.
    const std::uint64_t arming = ++armings_;
    context_.After(resolved.op.voter_wait_s, [this, arming] {
      if (!pending_ || arming != armings_) return;
      const nemesis::ResolvedOp timed_out = nemesis::VoterTimedOut(*pending_);
      context_.AddToTimeline(timed_out);
      context_.recorder().NoteSkipped(timed_out);
      pending_.reset();
    });
  }

  void Kill(const nemesis::ResolvedOp& resolved, const std::string& node) {
    const std::size_t k = context_.IndexOf(node);
    Processes& processes = context_.seams().processes;
    if (!processes.Running(k)) {
      context_.recorder().Note(EventType::kNemesis, "kill", node,
                               {{"skipped", node + " is not running"}});
      return;
    }
    const std::uint64_t of = context_.recorder().NoteFaultStartOn("kill", resolved, node);
    const pid_t pid = processes.Pid(k);
    const double since = context_.Now();
    lives_.KillTree(k);
    lives_.ForgetRole(k);
    lives_.MarkDown(k, "kill");
    context_.recorder().Note(EventType::kProcess, "kill", node, {{"pid", pid}, {"signal", SIGKILL}});
    context_.recorder().NoteVerified(of, "kill", node, lives_.ProveTreeGone(k, pid, since));
    lives_.RestartAfter(k, resolved.op.restart_after_s);
  }

  FaultContext& context_;
  NodeLives& lives_;
  std::optional<nemesis::ResolvedOp> pending_;  // an armed "kill the next voter"
  std::uint64_t armings_ = 0;                   // which arming is pending
};

}  // namespace

std::unique_ptr<Mechanism> MakeKillMechanism(FaultContext& context, NodeLives& lives) {
  return std::make_unique<KillMechanism>(context, lives);
}

}  // namespace schism::harness
