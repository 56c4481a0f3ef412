#pragma once
// Internal to harness/: the real implementations of the seams in seams.h, as
// a run uses them: asio timers on the run's io_context, the NodeProcess of
// each node, per-node cgroups, the sandbox's nft/iptables/tc rules, and
// libfaketime clocks proven by a probe in each node's clock environment.

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <vector>

#include <boost/asio.hpp>

#include "harness/clock_probe.h"
#include "harness/node_process.h"
#include "harness/sandbox.h"
#include "harness/seams.h"
#include "nemesis/bandwidth.h"
#include "nemesis/cgroup.h"
#include "nemesis/clock.h"
#include "nemesis/delay.h"
#include "nemesis/duplicate.h"
#include "nemesis/nft.h"

namespace schism::harness {

// Timers on `io`, counting from `start`. A timer still pending when this is
// destroyed (or at CancelAll) never calls back.
class AsioTimers final : public Timers {
 public:
  using Clock = std::chrono::steady_clock;
  AsioTimers(boost::asio::io_context& io, Clock::time_point start) : io_(io), start_(start) {}
  double Now() const override;
  void After(double delay_s, std::function<void()> then) override;
  void CancelAll();
  // Time 0 of the run.
  Clock::time_point start() const { return start_; }

 private:
  boost::asio::io_context& io_;
  Clock::time_point start_;
  // The timers not fired yet (a fired one is dropped, or a long run would
  // keep every timer it ever set), by the number After gave them.
  std::map<std::uint64_t, std::unique_ptr<boost::asio::steady_timer>> timers_;
  std::uint64_t next_ = 0;
};

// The nodes' NodeProcess objects, owned by the run.
class NodeProcesses final : public Processes {
 public:
  explicit NodeProcesses(std::vector<std::unique_ptr<NodeProcess>>& nodes) : nodes_(nodes) {}
  bool Running(std::size_t k) const override { return nodes_[k]->running(); }
  pid_t Pid(std::size_t k) const override { return nodes_[k]->pid(); }
  pid_t Start(std::size_t k) override { return nodes_[k]->Start(); }
  void Signal(std::size_t k, int signal) override { nodes_[k]->Signal(signal); }
  void KillAndReap(std::size_t k) override { nodes_[k]->KillAndReap(); }
  bool GroupAlive(pid_t pid) const override;
  pid_t WaitStopped(const std::vector<pid_t>& pids, std::chrono::milliseconds deadline) override;

 private:
  std::vector<std::unique_ptr<NodeProcess>>& nodes_;
};

class NodeCgroupSeam final : public Cgroups {
 public:
  explicit NodeCgroupSeam(nemesis::NodeCgroups& cgroups) : cgroups_(cgroups) {}
  bool Freeze(const std::string& node) override { return cgroups_.Freeze(node); }
  void FreezeSoon(const std::string& node) override { cgroups_.FreezeSoon(node); }
  void Thaw(const std::string& node) override { cgroups_.Thaw(node); }
  void Kill(const std::string& node) override { cgroups_.Kill(node); }
  std::vector<pid_t> Pids(const std::string& node) const override { return cgroups_.Pids(node); }

 private:
  nemesis::NodeCgroups& cgroups_;
};

// The rules in the sandbox: partitions and loss on the hub's bridge (nft),
// duplication on the hub's ports (netdev), delay in each node namespace
// (NFQUEUE), bandwidth with tc. Each mechanism but the partitioner is made
// on its first use; all are removed with this.
class SandboxNetwork final : public NetworkRules {
 public:
  // `delay_seed`: the seed of the delay jitter.
  SandboxNetwork(const Sandbox& sandbox, std::uint64_t delay_seed);
  ~SandboxNetwork() override;

  void Partition(const nemesis::Grudge& grudge) override { partitioner_.Apply(grudge); }
  void Heal() override { partitioner_.Heal(); }
  nemesis::PartitionCount ReadPartition() override { return partitioner_.ReadPartition(); }
  std::string KernelDigest() override { return partitioner_.KernelDigest(); }
  bool ProbeCutPair(const std::string& src, const std::string& dst) override;
  void SetLoss(const nemesis::LossMap& loss) override { partitioner_.SetLoss(loss); }
  nemesis::ShareCounts ReadLoss() override { return partitioner_.ReadLoss(); }
  void ClearLoss() override { partitioner_.ClearLoss(); }
  void SetDuplicate(const nemesis::DuplicateMap& pairs) override;
  nemesis::ShareCounts ReadDuplicate() override;
  void ClearDuplicate() override;
  void SetDelay(const std::vector<nemesis::PairDelay>& pairs) override;
  std::vector<nemesis::PacketDelayer::PairStats> ReadDelay() override;
  void ClearDelay() override;
  void SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) override;
  std::uint64_t BandwidthSent(const std::string& node) override;
  void ClearBandwidth(const std::string& node) override;

 private:
  const Sandbox& sandbox_;
  std::uint64_t delay_seed_;
  nemesis::NftPartitioner partitioner_;
  std::unique_ptr<nemesis::PacketDuplicator> duplicator_;
  std::unique_ptr<nemesis::PacketDelayer> delayer_;
  std::unique_ptr<nemesis::BandwidthLimiter> bandwidth_;
};

// Clock faults through libfaketime: each op rewrites the node's timestamp
// file, and is proven by a probe (`schism-node clock-probe`) that starts
// with the node's libfaketime variables in the node's network namespace and
// reads the clocks libc gives it between raw readings of the kernel's. The
// probe is not in the node's cgroup, so a node frozen or killed meanwhile
// neither stalls nor takes it; it runs on the run's io_context. A probe
// still running when this is destroyed is killed, and calls nobody back.
class FaketimeClockFaults final : public ClockFaults {
 public:
  FaketimeClockFaults(boost::asio::io_context& io, nemesis::FaketimeClocks& clocks,
                      std::filesystem::path probe_binary, const Sandbox& sandbox,
                      std::vector<std::string> names);
  ~FaketimeClockFaults() override;

  void BeforeStart(const std::string& node) override {
    if (IndexOf(node) < names_.size()) clocks_.PrepareStart(node);
  }
  nemesis::ClockSetting Apply(const std::string& node, const nemesis::Op& op) override;
  void SetOffset(const std::string& node, double offset_ms) override;
  void Restore(const std::string& node) override;
  void Prove(const std::string& node, const nemesis::Op& op,
             std::function<void(nemesis::Proof)> done) override;
  // A service's member (--service) is out of reach: its server is not
  // started under libfaketime (redis-server's allocator hangs under it).
  std::string Unreachable(const std::string& node) const override;

 private:
  struct OpenProof {
    std::string node;
    nemesis::Op op;
    nemesis::ExpectedClocks expected;  // what the op's setting gives
    std::int64_t applied_ns = 0;       // monotonic, when the op set the node's clock
    std::int64_t changed_at_ns = 0;    // monotonic, when the node's clock was set again
    std::function<void(nemesis::Proof)> done;
    std::unique_ptr<AsyncClockProbe> probe;
  };
  // Call just before node's clock file is written again: readings after this
  // belong to the new setting, not to an open proof's op.
  void Rewritten(const std::string& node);
  void Finish(std::uint64_t id, const AsyncClockProbe::Result& result);
  std::size_t IndexOf(const std::string& node) const;

  boost::asio::io_context& io_;
  nemesis::FaketimeClocks& clocks_;
  std::filesystem::path probe_binary_;
  const Sandbox& sandbox_;
  std::vector<std::string> names_;
  std::uint64_t next_id_ = 0;
  std::map<std::uint64_t, OpenProof> open_;
};

}  // namespace schism::harness
