// pause: the victims stop running until they are resumed: SIGSTOP of the
// process group, or a freeze of the node's cgroup (which the node cannot
// observe; SIGSTOP stands in without cgroup v2, and the start says so).
//   apply   stop or freeze each victim, and the timer of its resume_after;
//   verify  at once: cgroup.events says frozen 1, or every process of the
//           node is in state T within 200 ms;
//   undo    resume (SIGCONT or thaw) one node, every paused node when none is
//           named, or every paused node at the final heal.
#include <signal.h>

#include <system_error>

#include "harness/faults/list.h"

namespace schism::harness {
namespace {

using histories::EventType;

// How long a SIGSTOP may take to stop every process of a node.
constexpr auto kStopDeadline = std::chrono::milliseconds(200);

class PauseMechanism final : public Mechanism {
 public:
  PauseMechanism(FaultContext& context, NodeLives& lives) : context_(context), lives_(lives) {}
  std::string_view Kind() const override { return "pause"; }

  void Apply(const nemesis::ResolvedOp& resolved) override {
    for (const std::string& node : resolved.Targets()) Pause(resolved, node);
  }

  void Undo(const nemesis::ResolvedOp& end) override {
    for (const std::string& node : end.resume) lives_.Resume(context_.IndexOf(node));
  }

  void UndoAll() override {
    for (std::size_t k = 0; k < context_.names().size(); ++k) lives_.Resume(k);
  }

 private:
  void Pause(const nemesis::ResolvedOp& resolved, const std::string& node) {
    const std::size_t k = context_.IndexOf(node);
    FaultSeams& seams = context_.seams();
    const bool paused = lives_.paused().count(k) > 0;
    if (!seams.processes.Running(k) || paused) {
      context_.recorder().Note(
          EventType::kNemesis, "pause", node,
          {{"skipped", node + (paused ? " is already paused" : " is not running")}});
      return;
    }
    const bool freeze = resolved.op.freeze && seams.cgroups != nullptr;
    const std::uint64_t of = context_.recorder().NoteFaultStartOn(
        "pause", resolved, node,
        resolved.op.freeze && !freeze
            ? nlohmann::json{{"fallback", "no cgroup v2: SIGSTOP instead of a freeze"}}
            : nlohmann::json::object());
    nlohmann::json detail = {{"pid", seams.processes.Pid(k)}};
    const double since = context_.Now();
    bool frozen = false;
    if (freeze) {
      frozen = seams.cgroups->Freeze(node);
      detail["how"] = "freeze";
      if (!frozen) detail["frozen"] = "not yet (still freezing after 2 s)";
    } else {
      seams.processes.Signal(k, SIGSTOP);
      detail["signal"] = SIGSTOP;
    }
    lives_.MarkPaused(k, freeze);
    context_.recorder().Note(EventType::kProcess, "pause", node, std::move(detail));
    context_.recorder().NoteVerified(of, "pause", node, Verify(k, freeze, frozen, since));
    if (resolved.op.resume_after_s <= 0) return;  // paused until a resume op
    context_.After(resolved.op.resume_after_s, [this, k] { lives_.Resume(k); });
  }

  // Whether node k is paused as asked: frozen, or every process stopped.
  nemesis::Proof Verify(std::size_t k, bool freeze, bool frozen, double since_s) {
    FaultSeams& seams = context_.seams();
    const std::string& node = context_.names()[k];
    nemesis::Proof proof;
    if (freeze) {
      proof.proven = frozen;
      proof.how = frozen ? "cgroup.events says frozen 1 after " + Millis(context_.Now() - since_s)
                         : node + "'s cgroup was still freezing after its deadline";
      return proof;
    }
    // SIGSTOP is delivered asynchronously: wait (briefly) until it has landed.
    std::vector<pid_t> pids = {seams.processes.Pid(k)};
    try {
      if (seams.cgroups) pids = seams.cgroups->Pids(node);
    } catch (const std::system_error& e) {
      proof.how = node + "'s processes cannot be listed: " + e.what();
      return proof;
    }
    const pid_t running = seams.processes.WaitStopped(pids, kStopDeadline);
    proof.measured = {{"processes", pids.size()}};
    proof.proven = running == 0;
    proof.how = proof.proven
                    ? "every process of " + node + " (" + std::to_string(pids.size()) +
                          ") in state T after " + Millis(context_.Now() - since_s)
                    : node + "'s process " + std::to_string(running) +
                          " still runs after SIGSTOP (it left the process group?); "
                          "pause with \"how\":\"freeze\" to stop a whole tree";
    return proof;
  }

  FaultContext& context_;
  NodeLives& lives_;
};

}  // namespace

std::unique_ptr<Mechanism> MakePauseMechanism(FaultContext& context, NodeLives& lives) {
  return std::make_unique<PauseMechanism>(context, lives);
}

}  // namespace schism::harness
