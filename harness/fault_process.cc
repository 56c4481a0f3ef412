// FaultRunner: faults of the nodes' processes (kill, term, pause, restart),
// each proven at once from what the OS says is left of the node.
#include <signal.h>

#include <system_error>

#include "harness/fault_runner.h"

namespace schism::harness {
namespace {

// How long a SIGSTOP may take to stop every process of a node.
constexpr auto kStopDeadline = std::chrono::milliseconds(200);

std::string Millis(double seconds) {
  return std::to_string(static_cast<long long>(seconds * 1000.0 + 0.5)) + " ms";
}

}  // namespace

void FaultRunner::StartNode(std::size_t k) {
  if (seams_.clocks) seams_.clocks->BeforeStart(names_[k]);
  const pid_t pid = seams_.processes.Start(k);
  state_[k] = NodeState{};
  recorder_.Note(EventType::kProcess, "start", names_[k], {{"pid", pid}});
}

// Arms a kill of the next node that grants a vote to another node; gives up
// after the op's voter_wait_s.
void FaultRunner::ArmVoterKill(const nemesis::ResolvedOp& resolved) {
  pending_voter_kill_ = resolved;
  // The timer gives up on this arming only: a kill that fired in time may
  // have been followed by a new arming, which has a wait of its own.
  const std::uint64_t arming = ++voter_kill_armings_;
  After(resolved.op.voter_wait_s, [this, arming] {
    if (!pending_voter_kill_ || arming != voter_kill_armings_) return;
    nemesis::ResolvedOp timed_out = nemesis::VoterTimedOut(*pending_voter_kill_);
    AddToTimeline(timed_out);
    recorder_.NoteSkipped(timed_out);
    pending_voter_kill_.reset();
  });
}

void FaultRunner::KillNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  const std::size_t k = IndexOf(node);
  if (!seams_.processes.Running(k)) {
    recorder_.Note(EventType::kNemesis, "kill", node, {{"skipped", node + " is not running"}});
    return;
  }
  const std::uint64_t of = recorder_.NoteFaultStartOn("kill", resolved, node);
  const pid_t pid = seams_.processes.Pid(k);
  const double since = Now();
  KillTree(k);
  state_[k] = NodeState{};
  down_by_[k] = "kill";
  recorder_.Note(EventType::kProcess, "kill", node, {{"pid", pid}, {"signal", SIGKILL}});
  recorder_.NoteVerified(of, "kill", node, ProveTreeGone(k, pid, since));
  RestartAfter(k, resolved.op.restart_after_s);
}

// SIGTERM, then SIGKILL when the node has not exited after the op's grace.
void FaultRunner::TermNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  const std::size_t k = IndexOf(node);
  if (!seams_.processes.Running(k)) {
    recorder_.Note(EventType::kNemesis, "term", node, {{"skipped", node + " is not running"}});
    return;
  }
  const std::uint64_t of =
      recorder_.NoteFaultStartOn("term", resolved, node, {{"grace", resolved.op.grace_s}});
  const pid_t pid = seams_.processes.Pid(k);
  terminating_.insert(pid);
  open_terms_[pid] = {of, Now()};
  down_by_[k] = "term";
  seams_.processes.Signal(k, SIGTERM);
  ResumeNode(k);  // a stopped or frozen node must run to act on it
  recorder_.Note(EventType::kProcess, "term", node, {{"pid", pid}, {"signal", SIGTERM}});
  const double restart_after = resolved.op.restart_after_s;
  After(resolved.op.grace_s, [this, k, pid, restart_after] {
    const bool same_incarnation = seams_.processes.Pid(k) == pid;
    if (terminating_.erase(pid) && same_incarnation && seams_.processes.Running(k)) {
      KillTree(k);
      recorder_.Note(EventType::kProcess, "kill", names_[k],
                     {{"pid", pid}, {"signal", SIGKILL}, {"escalated", "term grace over"}});
    }
    // Another op may have killed and restarted the node meanwhile: its restart rules.
    if (!same_incarnation || seams_.processes.Running(k)) return;
    state_[k] = NodeState{};
    RestartAfter(k, restart_after);
  });
}

bool FaultRunner::OnExit(std::size_t k, pid_t pid, int code) {
  if (!terminating_.erase(pid)) return false;
  // A term op: it exited within its grace.
  recorder_.Note(EventType::kProcess, "exit", names_[k],
                 {{"pid", pid}, {"code", code}, {"after", "term"}});
  ProveTermEnded(k, pid);
  return true;
}

void FaultRunner::KillTree(std::size_t k) {
  const pid_t pid = seams_.processes.Pid(k);
  paused_.erase(k);  // a cgroup kill thaws; a killed group needs no SIGCONT
  if (seams_.cgroups) seams_.cgroups->Kill(names_[k]);
  seams_.processes.KillAndReap(k);
  ProveTermEnded(k, pid);  // a term op whose grace ran out, or that another kill overtook
}

// Restarts node k after `delay_s`; 0 leaves it dead until a restart op.
void FaultRunner::RestartAfter(std::size_t k, double delay_s) {
  if (delay_s <= 0) return;
  After(delay_s, [this, k] { RestartNode(k); });
}

// Starts a node the nemesis killed, and closes its kill (or term) in the history.
void FaultRunner::RestartNode(std::size_t k) {
  if (seams_.processes.Running(k)) return;
  StartNode(k);
  const auto fault = down_by_.find(k);
  recorder_.Note(EventType::kNemesis, fault != down_by_.end() ? fault->second : "kill", names_[k],
                 {{"phase", "end"}});
  if (fault != down_by_.end()) down_by_.erase(fault);
}

void FaultRunner::PauseNode(const nemesis::ResolvedOp& resolved, const std::string& node) {
  const std::size_t k = IndexOf(node);
  if (!seams_.processes.Running(k) || paused_.count(k)) {
    recorder_.Note(EventType::kNemesis, "pause", node,
                   {{"skipped", node + (paused_.count(k) ? " is already paused" : " is not running")}});
    return;
  }
  const bool freeze = resolved.op.freeze && seams_.cgroups != nullptr;
  const std::uint64_t of = recorder_.NoteFaultStartOn(
      "pause", resolved, node,
      resolved.op.freeze && !freeze
          ? nlohmann::json{{"fallback", "no cgroup v2: SIGSTOP instead of a freeze"}}
          : nlohmann::json::object());
  nlohmann::json detail = {{"pid", seams_.processes.Pid(k)}};
  const double since = Now();
  bool frozen = false;
  if (freeze) {
    frozen = seams_.cgroups->Freeze(node);
    detail["how"] = "freeze";
    if (!frozen) detail["frozen"] = "not yet (still freezing after 2 s)";
  } else {
    seams_.processes.Signal(k, SIGSTOP);
    detail["signal"] = SIGSTOP;
  }
  paused_[k] = freeze;
  recorder_.Note(EventType::kProcess, "pause", node, std::move(detail));
  recorder_.NoteVerified(of, "pause", node, ProvePaused(k, freeze, frozen, since));
  if (resolved.op.resume_after_s <= 0) return;  // paused until a resume op
  After(resolved.op.resume_after_s, [this, k] { ResumeNode(k); });
}

void FaultRunner::ResumeNode(std::size_t k) {
  const auto it = paused_.find(k);
  if (it == paused_.end()) return;
  const bool frozen = it->second;
  paused_.erase(it);
  nlohmann::json detail = {{"pid", seams_.processes.Pid(k)}};
  if (frozen) {
    seams_.cgroups->Thaw(names_[k]);
    detail["how"] = "thaw";
  } else {
    seams_.processes.Signal(k, SIGCONT);
    detail["signal"] = SIGCONT;
  }
  recorder_.Note(EventType::kProcess, "resume", names_[k], std::move(detail));
  recorder_.Note(EventType::kNemesis, "pause", names_[k], {{"phase", "end"}});
}

nemesis::Proof FaultRunner::ProveTreeGone(std::size_t k, pid_t pid, double since_s) {
  const std::string& node = names_[k];
  const std::string took = Millis(Now() - since_s);
  nemesis::Proof proof;
  if (seams_.cgroups) {
    std::size_t left = 0;
    try {
      left = seams_.cgroups->Pids(node).size();
    } catch (const std::system_error& e) {
      proof.how = node + "'s processes cannot be listed: " + e.what();
      return proof;
    }
    proof.measured = {{"left", left}, {"took_ms", (Now() - since_s) * 1000.0}};
    proof.proven = left == 0;
    proof.how = proof.proven ? "every process of " + node + "'s cgroup gone after " + took
                             : node + "'s cgroup still holds " + std::to_string(left) +
                                   " process(es) after " + took;
    return proof;
  }
  const bool gone = !seams_.processes.GroupAlive(pid);
  proof.measured = {{"took_ms", (Now() - since_s) * 1000.0}};
  proof.proven = gone;
  proof.how = gone ? node + "'s process group " + std::to_string(pid) + " gone after " + took
                   : node + "'s process group " + std::to_string(pid) + " still has processes";
  return proof;
}

nemesis::Proof FaultRunner::ProvePaused(std::size_t k, bool freeze, bool frozen, double since_s) {
  const std::string& node = names_[k];
  nemesis::Proof proof;
  if (freeze) {
    proof.proven = frozen;
    proof.how = frozen ? "cgroup.events says frozen 1 after " + Millis(Now() - since_s)
                       : node + "'s cgroup was still freezing after its deadline";
    return proof;
  }
  // SIGSTOP is delivered asynchronously: wait (briefly) until it has landed.
  std::vector<pid_t> pids = {seams_.processes.Pid(k)};
  try {
    if (seams_.cgroups) pids = seams_.cgroups->Pids(node);
  } catch (const std::system_error& e) {
    proof.how = node + "'s processes cannot be listed: " + e.what();
    return proof;
  }
  const pid_t running = seams_.processes.WaitStopped(pids, kStopDeadline);
  proof.measured = {{"processes", pids.size()}};
  proof.proven = running == 0;
  proof.how = proof.proven
                  ? "every process of " + node + " (" + std::to_string(pids.size()) +
                        ") in state T after " + Millis(Now() - since_s)
                  : node + "'s process " + std::to_string(running) +
                        " still runs after SIGSTOP (it left the process group?); "
                        "pause with \"how\":\"freeze\" to stop a whole tree";
  return proof;
}

void FaultRunner::ProveTermEnded(std::size_t k, pid_t pid) {
  const auto open = open_terms_.find(pid);
  if (open == open_terms_.end()) return;
  const OpenTerm term = open->second;
  open_terms_.erase(open);
  recorder_.NoteVerified(term.of, "term", names_[k], ProveTreeGone(k, pid, term.start_s));
}

}  // namespace schism::harness
