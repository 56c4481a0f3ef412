// kill: the victims die, their whole process tree (the node's cgroup, or its
// process group without cgroups).
//   apply   SIGKILL each victim's tree and reap it; or, for a voter or a
//           candidate target, arm a kill of the next node to grant a vote to
//           another, or of the node that vote is for;
//   verify  at once: every process of the tree gone, with the time it took;
//   undo    restart: start the node (any dead node when none is named), which
//           also ends a term; at the final heal, every dead node.
#include <signal.h>

#include <algorithm>
#include <vector>

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
    armed_.clear();
    for (std::size_t k = 0; k < context_.names().size(); ++k) lives_.Restart(k);
  }

  // Fires every armed kill that this vote satisfies, in the order they were armed.
  void OnVote(std::size_t voter, std::size_t candidate,
              std::optional<std::uint64_t> term) override {
    if (context_.stopping()) return;
    std::vector<nemesis::ResolvedOp> fire;
    std::erase_if(armed_, [&](const Armed& armed) {
      const nemesis::Op& op = armed.kill.op;
      if (op.rival && !(term && lives_.StandsAgainst(voter, candidate, *term))) return false;
      const bool of_candidate = op.target == nemesis::KillTarget::kCandidate;
      fire.push_back(
          nemesis::WithVoter(armed.kill, context_.names()[of_candidate ? candidate : voter]));
      return true;
    });
    for (const nemesis::ResolvedOp& kill : fire) {
      context_.AddToTimeline(kill);
      Kill(kill, kill.node);
    }
  }

 private:
  // Arms a kill of the next node that grants a vote to another node (or of
  // that node's candidate); gives up after the op's voter_wait_s.
  // Several kills may wait at once (an election race arms a voter's and a
  // candidate's); each timer gives up on its own arming only.
  void Arm(const nemesis::ResolvedOp& resolved) {
    const std::uint64_t id = ++armings_;
    armed_.push_back({id, resolved});
    context_.After(resolved.op.voter_wait_s, [this, id] {
      const auto it = std::find_if(armed_.begin(), armed_.end(),
                                   [id](const Armed& armed) { return armed.id == id; });
      if (it == armed_.end()) return;
      const nemesis::ResolvedOp timed_out = nemesis::VoterTimedOut(it->kill);
      armed_.erase(it);
      context_.AddToTimeline(timed_out);
      context_.recorder().NoteSkipped(timed_out);
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
  struct Armed {
    std::uint64_t id;
    nemesis::ResolvedOp kill;  // "kill the next voter" (or its candidate)
  };
  std::vector<Armed> armed_;  // waiting for a vote, oldest first
  std::uint64_t armings_ = 0;
};

}  // namespace

std::unique_ptr<Mechanism> MakeKillMechanism(FaultContext& context, NodeLives& lives) {
  return std::make_unique<KillMechanism>(context, lives);
}

}  // namespace schism::harness
