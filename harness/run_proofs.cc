// Run: reading back what the OS did for each fault, as its proof.
//
// Every fault start gets one "verified" event naming it ("of"), recorded when
// the proof is complete: a kill or pause at once, a partition, loss, delay or
// bandwidth limit when it ends (its counters are read just before the rules
// go). The judging itself is pure (nemesis/proof.h).
#include <signal.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include "harness/run.h"

namespace schism::harness {
namespace {

// How long a SIGSTOP may take to stop every process of a node.
constexpr auto kStopDeadline = std::chrono::milliseconds(200);

// The state letter of /proc/<pid>/stat ('R', 'S', 'T', 'Z', ...); '\0' when
// the process is gone.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');  // the name may hold spaces and parens
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '\0';
  return stat[paren + 2];
}

bool Stopped(char state) { return state == 'T' || state == 't' || state == 'Z' || state == '\0'; }

std::string Millis(double seconds) {
  return std::to_string(static_cast<long long>(seconds * 1000.0 + 0.5)) + " ms";
}

}  // namespace

void Run::InstallGrudge(const nemesis::ResolvedOp& resolved) {
  std::optional<std::pair<std::uint64_t, nemesis::Proof>> ended = MeasurePartition();
  partitioner_->Apply(resolved.grudge);
  partitioned_ = true;
  if (ended) NotePartitionProof(*ended);  // the grudge it replaced
  const nemesis::PartitionCount kernel = partitioner_->ReadPartition();
  const std::string digest = partitioner_->KernelDigest();  // what the kernel now lists
  timeline_.back()["applied"]["digest"] = digest;
  const std::uint64_t of = NoteFaultStart("partition", resolved, {{"digest", digest}});
  open_partition_ = OpenPartition{of, Now(), resolved.grudge.drops, kernel.pairs, kernel.forwarded};
}

std::optional<std::pair<std::uint64_t, nemesis::Proof>> Run::MeasurePartition() {
  if (!open_partition_) return std::nullopt;
  const OpenPartition open = *open_partition_;
  open_partition_.reset();
  const nemesis::PartitionCount now = partitioner_->ReadPartition();
  nemesis::PartitionMeasure m;
  m.start_s = open.start_s;
  m.asked = open.asked;
  m.installed = open.installed;
  for (const nemesis::DirectedPair& pair : open.asked) {
    const auto it = now.dropped.find(pair);
    m.dropped[pair] = it == now.dropped.end() ? 0 : it->second;
  }
  m.forwarded = now.forwarded - open.forwarded;
  return std::pair{open.of, nemesis::JudgePartition(m)};
}

void Run::NotePartitionProof(const std::pair<std::uint64_t, nemesis::Proof>& proof) {
  NoteVerified(proof.first, "partition", "", proof.second);
  if (!open_flap_) return;
  ++open_flap_->partitions;
  if (proof.second.proven) {
    ++open_flap_->proven;
  } else if (open_flap_->first_why.empty()) {
    open_flap_->first_why = proof.second.how;
  }
}

void Run::EndFlap() {
  if (!flapping_) return;
  flapping_ = false;
  Note(EventType::kNemesis, "flap", "", {{"phase", "end"}});
  if (!open_flap_) return;
  const OpenFlap flap = *open_flap_;
  open_flap_.reset();
  nemesis::Proof proof;
  proof.measured = {{"partitions", flap.partitions}, {"proven_partitions", flap.proven}};
  proof.proven = flap.partitions > 0 && flap.proven == flap.partitions;
  if (proof.proven) {
    proof.how = "each of its " + std::to_string(flap.partitions) + " partitions was proven";
  } else if (flap.partitions == 0) {
    proof.how = "it made no partition";
  } else {
    proof.how = std::to_string(flap.partitions - flap.proven) + " of its " +
                std::to_string(flap.partitions) + " partitions not proven: " + flap.first_why;
  }
  NoteVerified(flap.of, "flap", "", proof);
}

nemesis::Proof Run::ProveTreeGone(std::size_t k, pid_t pid, double since_s) {
  const std::string& node = names_[k];
  const std::string took = Millis(Now() - since_s);
  nemesis::Proof proof;
  if (cgroups_) {
    std::size_t left = 0;
    try {
      left = cgroups_->Pids(node).size();
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
  const bool gone = ::kill(-pid, 0) != 0 && errno == ESRCH;
  proof.measured = {{"took_ms", (Now() - since_s) * 1000.0}};
  proof.proven = gone;
  proof.how = gone ? node + "'s process group " + std::to_string(pid) + " gone after " + took
                   : node + "'s process group " + std::to_string(pid) + " still has processes";
  return proof;
}

nemesis::Proof Run::ProvePaused(std::size_t k, bool freeze, bool frozen, double since_s) {
  const std::string& node = names_[k];
  nemesis::Proof proof;
  if (freeze) {
    proof.proven = frozen;
    proof.how = frozen ? "cgroup.events says frozen 1 after " + Millis(Now() - since_s)
                       : node + "'s cgroup was still freezing after its deadline";
    return proof;
  }
  // SIGSTOP is delivered asynchronously: wait (briefly) until it has landed.
  const auto deadline = std::chrono::steady_clock::now() + kStopDeadline;
  std::vector<pid_t> pids = {nodes_[k]->pid()};
  try {
    if (cgroups_) pids = cgroups_->Pids(node);
  } catch (const std::system_error& e) {
    proof.how = node + "'s processes cannot be listed: " + e.what();
    return proof;
  }
  pid_t running = 0;
  do {
    running = 0;
    for (pid_t pid : pids) {
      if (!Stopped(ProcessState(pid))) running = pid;
    }
    if (running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < deadline);
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

void Run::ProveTermEnded(std::size_t k, pid_t pid) {
  const auto open = open_terms_.find(pid);
  if (open == open_terms_.end()) return;
  const OpenTerm term = open->second;
  open_terms_.erase(open);
  NoteVerified(term.of, "term", names_[k], ProveTreeGone(k, pid, term.start_s));
}

std::uint64_t Run::BridgeForwarded() { return partitioner_->ReadPartition().forwarded; }

nemesis::Proof Run::ProveLoss(const nemesis::LossCounts& counts) {
  std::vector<nemesis::PairCount> pairs;
  for (const auto& [pair, count] : counts) {
    pairs.push_back({count.percent, count.seen, count.dropped});
  }
  return nemesis::JudgeRandomShare(pairs, "dropped", BridgeForwarded() - loss_forwarded_);
}

nemesis::Proof Run::ProveDelay(const std::vector<nemesis::PacketDelayer::PairStats>& stats) {
  std::vector<nemesis::DelayCount> pairs;
  for (const auto& p : stats) pairs.push_back({p.packets, p.mean_ms});
  return nemesis::JudgeDelay(pairs, delay_ms_, BridgeForwarded() - delay_forwarded_);
}

nemesis::Proof Run::ProveBandwidth(const std::string& node) {
  nemesis::BandwidthMeasure m;
  const auto open = open_limits_.find(node);
  m.held_s = open == open_limits_.end() ? 0.0 : Now() - open->second.start_s;
  m.forwarded = BridgeForwarded() - (open == open_limits_.end() ? 0 : open->second.forwarded);
  m.rate_kbit = bandwidth_->Limits().at(node);
  m.burst_bytes = nemesis::TbfBurstBytes(m.rate_kbit);
  m.sent_bytes = bandwidth_->SentBytes(node);
  return nemesis::JudgeBandwidth(m);
}

}  // namespace schism::harness
