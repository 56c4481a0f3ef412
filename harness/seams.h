#pragma once
// The OS behind narrow seams: what a run's fault logic (FaultRunner) asks of
// timers, the nodes' processes, cgroups, network rules and clocks.
//
// Each seam has a real implementation (harness/real_seams.h: asio timers,
// NodeProcess, NodeCgroups, nft/iptables/tc in the sandbox, libfaketime) and
// an in-memory fake (tests/harness/fake_seams.h), so what a run does with
// its faults -- kill and term escalation, flap phases, the final heal, replay
// timing, each fault's proof -- is tested without root and without waiting.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "nemesis/clock.h"
#include "nemesis/delay.h"
#include "nemesis/duplicate.h"
#include "nemesis/grudge.h"
#include "nemesis/nft.h"
#include "nemesis/proof.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// The run's clock and its one-shot callbacks, all on the run's one thread.
class Timers {
 public:
  virtual ~Timers() = default;
  // Seconds since the run started.
  virtual double Now() const = 0;
  // Calls `then` once `delay_s` has passed (a delay <= 0: on the next turn
  // of the loop, never from inside this call).
  virtual void After(double delay_s, std::function<void()> then) = 0;
};

// The nodes' processes, by index (0 for n1). A node is one incarnation at a
// time, the leader of its own process group.
class Processes {
 public:
  virtual ~Processes() = default;
  virtual bool Running(std::size_t k) const = 0;
  // The pid of node k's current (or last) incarnation; 0 before its first start.
  virtual pid_t Pid(std::size_t k) const = 0;
  // Starts node k, which is not running; returns its pid.
  virtual pid_t Start(std::size_t k) = 0;
  // Sends `signal` to node k's process group.
  virtual void Signal(std::size_t k, int signal) = 0;
  // SIGKILLs node k's process group and reaps its leader: not running after.
  virtual void KillAndReap(std::size_t k) = 0;
  // Whether a process of the group that `pid` led is still there.
  virtual bool GroupAlive(pid_t pid) const = 0;
  // Waits up to `deadline` until each of `pids` is stopped (or gone);
  // returns one that still runs then, or 0.
  virtual pid_t WaitStopped(const std::vector<pid_t>& pids, std::chrono::milliseconds deadline) = 0;
};

// One cgroup per node, for whole-tree kills and freezes (cgroup v2).
class Cgroups {
 public:
  virtual ~Cgroups() = default;
  // Freezes the node's cgroup; true once cgroup.events says frozen 1.
  virtual bool Freeze(const std::string& node) = 0;
  // Asks for the node's cgroup to be frozen and returns at once: each of its
  // processes stops as soon as it can. For a world where freezing takes no
  // time, the same as Freeze.
  virtual void FreezeSoon(const std::string& node) { Freeze(node); }
  virtual void Thaw(const std::string& node) = 0;
  // Kills every process of the node's cgroup (cgroup.kill).
  virtual void Kill(const std::string& node) = 0;
  // The processes in the node's cgroup; throws std::system_error when they
  // cannot be listed.
  virtual std::vector<pid_t> Pids(const std::string& node) const = 0;
};

// The rules between the nodes: partitions, loss, duplication, delay and
// bandwidth limits, each replaced whole by its Set and read back by its Read.
class NetworkRules {
 public:
  virtual ~NetworkRules() = default;
  // Makes the cut pairs exactly those of `grudge` (one transaction).
  virtual void Partition(const nemesis::Grudge& grudge) = 0;
  virtual void Heal() = 0;
  // What the kernel holds and counted for the partition, and every frame
  // the bridge has forwarded between node ports so far.
  virtual nemesis::PartitionCount ReadPartition() = 0;
  // A digest of the partition rules as the kernel lists them.
  virtual std::string KernelDigest() = 0;
  // Sends one frame that no elector listens for from src's namespace to
  // dst's address (harness/probe_frame.h) and returns whether (src, dst) is
  // cut and the partition's drop counter counted it within 100 ms: what shows a
  // cut pair drops when the nodes themselves sent nothing while a partition
  // held. Throws std::system_error when the frame cannot be sent.
  virtual bool ProbeCutPair(const std::string& src, const std::string& dst) = 0;

  virtual void SetLoss(const nemesis::LossMap& loss) = 0;
  virtual nemesis::ShareCounts ReadLoss() = 0;
  virtual void ClearLoss() = 0;

  virtual void SetDuplicate(const nemesis::DuplicateMap& pairs) = 0;
  virtual nemesis::ShareCounts ReadDuplicate() = 0;
  virtual void ClearDuplicate() = 0;

  virtual void SetDelay(const std::vector<nemesis::PairDelay>& pairs) = 0;
  virtual std::vector<nemesis::PacketDelayer::PairStats> ReadDelay() = 0;
  virtual void ClearDelay() = 0;

  virtual void SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) = 0;
  // Bytes through both of the node's limits since its SetBandwidth.
  virtual std::uint64_t BandwidthSent(const std::string& node) = 0;
  virtual void ClearBandwidth(const std::string& node) = 0;
};

// The nodes' clocks, where clock faults can be applied (libfaketime).
class ClockFaults {
 public:
  virtual ~ClockFaults() = default;
  // Call before node's every start (a restart starts from its setting).
  virtual void BeforeStart(const std::string& node) = 0;
  // Sets node's clock as `op` asks: a bump, a rate, or a strobe's first
  // offset. Returns the setting now in force.
  virtual nemesis::ClockSetting Apply(const std::string& node, const nemesis::Op& op) = 0;
  // A strobe's flip to `offset_ms`.
  virtual void SetOffset(const std::string& node, double offset_ms) = 0;
  // Gives node its true clock back.
  virtual void Restore(const std::string& node) = 0;
  // Proves the op just applied to node on node's own clock, and calls `done`
  // with the proof (later, from the run's loop).
  virtual void Prove(const std::string& node, const nemesis::Op& op,
                     std::function<void(nemesis::Proof)> done) = 0;
  // Why node's clock cannot be skewed; empty when it can.
  virtual std::string Unreachable(const std::string& /*node*/) const { return {}; }
};

}  // namespace schism::harness
