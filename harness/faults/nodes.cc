#include "harness/faults/nodes.h"

#include <signal.h>

#include <system_error>

namespace schism::harness {

using histories::EventType;

std::string Millis(double seconds) {
  return std::to_string(static_cast<long long>(seconds * 1000.0 + 0.5)) + " ms";
}

NodeLives::NodeLives(FaultContext& context) : context_(context) {}

void NodeLives::Start(std::size_t k) { Started(k, Spawn(k)); }

void NodeLives::StartAll(std::size_t count) {
  Cgroups* cgroups = context_.seams().cgroups;
  if (!cgroups) {
    for (std::size_t k = 0; k < count; ++k) Start(k);
    return;
  }
  const std::vector<std::string>& names = context_.names();
  std::vector<pid_t> pids;
  for (std::size_t k = 0; k < count; ++k) {
    pids.push_back(Spawn(k));
    // Not waited for: a node stops at its next return to user space, and
    // waiting for each in turn took 0.3-0.9 s of a 101-node start.
    cgroups->FreezeSoon(names[k]);
  }
  for (std::size_t k = 0; k < count; ++k) cgroups->Thaw(names[k]);
  for (std::size_t k = 0; k < count; ++k) Started(k, pids[k]);
}

pid_t NodeLives::Spawn(std::size_t k) {
  FaultSeams& seams = context_.seams();
  if (seams.clocks) seams.clocks->BeforeStart(context_.names()[k]);
  return seams.processes.Start(k);
}

void NodeLives::Started(std::size_t k, pid_t pid) {
  ForgetRole(k);
  context_.recorder().Note(EventType::kProcess, "start", context_.names()[k], {{"pid", pid}});
}

void NodeLives::Restart(std::size_t k) {
  if (context_.seams().processes.Running(k)) return;
  Start(k);
  const auto fault = down_by_.find(k);
  context_.recorder().Note(EventType::kNemesis, fault != down_by_.end() ? fault->second : "kill",
                           context_.names()[k], {{"phase", "end"}});
  if (fault != down_by_.end()) down_by_.erase(fault);
}

void NodeLives::RestartAfter(std::size_t k, double delay_s) {
  if (delay_s <= 0) return;
  context_.After(delay_s, [this, k] { Restart(k); });
}

void NodeLives::KillTree(std::size_t k) {
  FaultSeams& seams = context_.seams();
  const pid_t pid = seams.processes.Pid(k);
  paused_.erase(k);  // a cgroup kill thaws; a killed group needs no SIGCONT
  if (seams.cgroups) seams.cgroups->Kill(context_.names()[k]);
  seams.processes.KillAndReap(k);
  ProveTermEnded(k, pid);  // a term op whose grace ran out, or that another kill overtook
}

void NodeLives::Resume(std::size_t k) {
  const auto it = paused_.find(k);
  if (it == paused_.end()) return;
  const bool frozen = it->second;
  paused_.erase(it);
  FaultSeams& seams = context_.seams();
  const std::string& node = context_.names()[k];
  nlohmann::json detail = {{"pid", seams.processes.Pid(k)}};
  if (frozen) {
    seams.cgroups->Thaw(node);
    detail["how"] = "thaw";
  } else {
    seams.processes.Signal(k, SIGCONT);
    detail["signal"] = SIGCONT;
  }
  context_.recorder().Note(EventType::kProcess, "resume", node, std::move(detail));
  context_.recorder().Note(EventType::kNemesis, "pause", node, {{"phase", "end"}});
}

void NodeLives::OnRole(std::size_t k, histories::Role role, std::optional<std::uint64_t> term) {
  roles_[k].role = role;
  if (term) roles_[k].term = *term;
}

void NodeLives::ForgetRole(std::size_t k) { roles_.erase(k); }

bool NodeLives::StandsAgainst(std::size_t voter, std::size_t candidate,
                              std::uint64_t term) const {
  for (const auto& [k, r] : roles_) {
    if (k == voter || k == candidate || !context_.seams().processes.Running(k)) continue;
    if (r.role == histories::Role::kCandidate && r.term == term) return true;
  }
  return false;
}

std::optional<std::string> NodeLives::Leader() const {
  std::optional<std::string> leader;
  std::uint64_t best = 0;
  for (const auto& [k, r] : roles_) {
    if (!context_.seams().processes.Running(k) || r.role != histories::Role::kLeader) continue;
    if (!leader || r.term >= best) {
      leader = context_.names()[k];
      best = r.term;
    }
  }
  return leader;
}

void NodeLives::Terminating(pid_t pid, std::uint64_t of) {
  terminating_.insert(pid);
  open_terms_[pid] = {of, context_.Now()};
}

void NodeLives::ProveTermEnded(std::size_t k, pid_t pid) {
  const auto open = open_terms_.find(pid);
  if (open == open_terms_.end()) return;
  const OpenTerm term = open->second;
  open_terms_.erase(open);
  context_.recorder().NoteVerified(term.of, "term", context_.names()[k],
                                   ProveTreeGone(k, pid, term.start_s));
}

nemesis::Proof NodeLives::ProveTreeGone(std::size_t k, pid_t pid, double since_s) {
  FaultSeams& seams = context_.seams();
  const std::string& node = context_.names()[k];
  const double took_s = context_.Now() - since_s;
  const std::string took = Millis(took_s);
  nemesis::Proof proof;
  if (seams.cgroups) {
    std::size_t left = 0;
    try {
      left = seams.cgroups->Pids(node).size();
    } catch (const std::system_error& e) {
      proof.how = node + "'s processes cannot be listed: " + e.what();
      return proof;
    }
    proof.measured = {{"left", left}, {"took_ms", took_s * 1000.0}};
    proof.proven = left == 0;
    proof.how = proof.proven ? "every process of " + node + "'s cgroup gone after " + took
                             : node + "'s cgroup still holds " + std::to_string(left) +
                                   " process(es) after " + took;
    return proof;
  }
  const bool gone = !seams.processes.GroupAlive(pid);
  proof.measured = {{"took_ms", took_s * 1000.0}};
  proof.proven = gone;
  proof.how = gone ? node + "'s process group " + std::to_string(pid) + " gone after " + took
                   : node + "'s process group " + std::to_string(pid) + " still has processes";
  return proof;
}

}  // namespace schism::harness
