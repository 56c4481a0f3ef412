#pragma once
// In-memory fakes of the OS seams (harness/seams.h): a clock that moves only
// when the test says, processes that are pids in a table, and network rules
// and clocks whose counters say what the test wants them to. Each fake
// records what it was asked, so a test asserts on what the run did to the OS.

#include <signal.h>

#include <cstdint>
#include <functional>
#include <map>
#include <queue>
#include <set>
#include <stdexcept>
#include <string>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include "harness/seams.h"

namespace schism::testing {

// Time stands still until RunUntil; callbacks then fire in time order (and,
// at one time, in the order they were set), each with Now() at its time.
class FakeTimers final : public harness::Timers {
 public:
  double Now() const override { return now_; }
  void After(double delay_s, std::function<void()> then) override {
    queue_.push({now_ + (delay_s > 0 ? delay_s : 0), next_++, std::move(then)});
  }
  // Fires every callback due by `t` (including those they set), then sets the
  // clock to `t`. At most `limit` callbacks, so a runaway loop fails the test.
  void RunUntil(double t, int limit = 100000) {
    while (!queue_.empty() && queue_.top().at <= t) {
      if (limit-- <= 0) throw std::runtime_error("FakeTimers: too many callbacks");
      Pending p = queue_.top();
      queue_.pop();
      now_ = p.at;
      p.then();
    }
    now_ = t;
  }
  std::size_t pending() const { return queue_.size(); }

 private:
  struct Pending {
    double at;
    std::uint64_t seq;
    std::function<void()> then;
    bool operator>(const Pending& o) const { return std::tie(at, seq) > std::tie(o.at, o.seq); }
  };
  double now_ = 0;
  std::uint64_t next_ = 0;
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> queue_;
};

// Nodes as rows of a table. A node dies only when killed or when the test
// calls Exit (a node that ignores SIGTERM simply never exits).
class FakeProcesses final : public harness::Processes {
 public:
  explicit FakeProcesses(std::size_t nodes) : running_(nodes, false), pids_(nodes, 0) {}
  bool Running(std::size_t k) const override { return running_.at(k); }
  pid_t Pid(std::size_t k) const override { return pids_.at(k); }
  pid_t Start(std::size_t k) override {
    if (running_.at(k)) throw std::logic_error("FakeProcesses: started a running node");
    running_[k] = true;
    pids_[k] = next_pid_++;
    ++starts[k];
    return pids_[k];
  }
  void Signal(std::size_t k, int signal) override { signals.push_back({k, signal}); }
  void KillAndReap(std::size_t k) override {
    if (running_.at(k)) ++kills[k];
    running_[k] = false;
  }
  bool GroupAlive(pid_t pid) const override { return lingering.count(pid) > 0; }
  pid_t WaitStopped(const std::vector<pid_t>& pids, std::chrono::milliseconds) override {
    for (pid_t pid : pids) {
      if (not_stopping.count(pid)) return pid;
    }
    return 0;
  }
  // Node k's process exits by itself (the caller tells the runner).
  void Exit(std::size_t k) { running_.at(k) = false; }

  std::vector<std::pair<std::size_t, int>> signals;  // (node, signal), in order
  std::map<std::size_t, int> starts, kills;          // per node
  std::set<pid_t> lingering;    // process groups that survive a kill
  std::set<pid_t> not_stopping;  // processes that do not stop on SIGSTOP

 private:
  std::vector<bool> running_;
  std::vector<pid_t> pids_;
  pid_t next_pid_ = 1000;
};

class FakeCgroups final : public harness::Cgroups {
 public:
  bool Freeze(const std::string& node) override {
    frozen.insert(node);
    calls.push_back("freeze " + node);
    return freezes;
  }
  void Thaw(const std::string& node) override {
    frozen.erase(node);
    calls.push_back("thaw " + node);
  }
  void Kill(const std::string& node) override { killed.push_back(node); }
  std::vector<pid_t> Pids(const std::string& node) const override {
    if (list_fails) throw std::system_error(EACCES, std::generic_category(), "cgroup.procs");
    const auto it = left.find(node);
    return it == left.end() ? std::vector<pid_t>{} : it->second;
  }

  bool freezes = true;     // Freeze reports frozen
  bool list_fails = false;
  std::map<std::string, std::vector<pid_t>> left;  // processes a cgroup still holds
  std::set<std::string> frozen;
  std::vector<std::string> calls;  // "freeze n1", "thaw n1", in order
  std::vector<std::string> killed;
};

// Rules that act exactly as asked unless told otherwise: each cut pair drops
// `drops_per_pair` packets, a loss or duplication hits its exact share of
// `packets_per_pair`, a delay holds for its asked mean times `delay_factor`.
// Every read of the partition sees `forwarded_per_read` more frames.
class FakeNetwork final : public harness::NetworkRules {
 public:
  void Partition(const nemesis::Grudge& grudge) override {
    cut = grudge.drops;
    ++partitions;
  }
  void Heal() override {
    cut.clear();
    ++heals;
  }
  nemesis::PartitionCount ReadPartition() override {
    nemesis::PartitionCount count;
    count.pairs = installs_other_pairs ? std::set<nemesis::DirectedPair>{} : cut;
    dropped += drops_per_pair * cut.size();
    count.dropped = dropped;
    forwarded += forwarded_per_read;
    count.forwarded = forwarded;
    return count;
  }
  std::string KernelDigest() override { return "fake-" + std::to_string(cut.size()); }
  bool ProbeCutPair(const std::string& src, const std::string& dst) override {
    probes.emplace_back(src, dst);
    return drops_probes && cut.count({src, dst}) > 0;
  }

  // Every pair saw packets_per_pair and its rule hit share_factor of its
  // percent of them; summed per percent, as the kernel's counters are.
  nemesis::ShareCounts Shares(const nemesis::LossMap& pairs) const {
    nemesis::ShareCounts counts;
    for (const auto& [percent, members] : nemesis::ByPercent(pairs)) {
      const auto hit = static_cast<std::uint64_t>(share_factor * percent * packets_per_pair / 100);
      counts.push_back(
          {percent, packets_per_pair * members.size(), hit * members.size(), members.size()});
    }
    return counts;
  }

  void SetLoss(const nemesis::LossMap& l) override { loss = l; }
  nemesis::ShareCounts ReadLoss() override { return Shares(loss); }
  void ClearLoss() override { loss.clear(); }

  void SetDuplicate(const nemesis::DuplicateMap& pairs) override { duplicate = pairs; }
  nemesis::ShareCounts ReadDuplicate() override { return Shares(duplicate); }
  void ClearDuplicate() override { duplicate.clear(); }

  void SetDelay(const std::vector<nemesis::PairDelay>& pairs) override { delay = pairs; }
  std::vector<nemesis::PacketDelayer::PairStats> ReadDelay() override {
    std::vector<nemesis::PacketDelayer::PairStats> stats;
    for (const auto& p : delay) {
      nemesis::PacketDelayer::PairStats s;
      s.from = p.from;
      s.to = p.to;
      s.packets = packets_per_pair;
      s.mean_ms = p.delay_ms * delay_factor;
      stats.push_back(s);
    }
    return stats;
  }
  void ClearDelay() override { delay.clear(); }

  void SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) override {
    limits[node] = kbit_per_s;
  }
  std::uint64_t BandwidthSent(const std::string&) override { return bandwidth_sent; }
  void ClearBandwidth(const std::string& node) override { limits.erase(node); }

  // What the test makes the kernel say.
  std::uint64_t drops_per_pair = 5;
  std::uint64_t forwarded_per_read = 10;
  bool installs_other_pairs = false;
  std::uint64_t dropped = 0;  // the kernel's cut counter
  bool drops_probes = true;                      // a cut pair drops the harness's probe frame
  std::vector<nemesis::DirectedPair> probes;     // the probe frames sent, in order
  std::uint64_t packets_per_pair = 1000;
  double share_factor = 1.0;  // achieved share / asked share
  double delay_factor = 1.0;  // achieved mean / asked delay
  std::uint64_t bandwidth_sent = 1000;

  // What is in force, and how often it changed.
  std::set<nemesis::DirectedPair> cut;
  int partitions = 0, heals = 0;
  nemesis::LossMap loss;
  nemesis::DuplicateMap duplicate;
  std::vector<nemesis::PairDelay> delay;
  std::map<std::string, std::uint64_t> limits;
  std::uint64_t forwarded = 0;
};

// Clocks that take every setting; each proof is `proves` (on the next turn
// of the timers' loop, as a real probe answers later).
class FakeClocks final : public harness::ClockFaults {
 public:
  explicit FakeClocks(harness::Timers& timers) : timers_(timers) {}
  void BeforeStart(const std::string& node) override { ++starts[node]; }
  nemesis::ClockSetting Apply(const std::string& node, const nemesis::Op& op) override {
    nemesis::ClockSetting& s = settings[node];
    switch (op.clock_mode) {
      case nemesis::ClockMode::kBump:
        s.offset_ms += op.clock_offset_ms;
        break;
      case nemesis::ClockMode::kStrobe:
        s.offset_ms = op.clock_offset_ms;
        break;
      case nemesis::ClockMode::kRate:
        s.rate = op.clock_rate;
        break;
    }
    return s;
  }
  void SetOffset(const std::string& node, double offset_ms) override {
    settings[node].offset_ms = offset_ms;
    flips.push_back({timers_.Now(), offset_ms});
  }
  void Restore(const std::string& node) override { settings.erase(node); }
  void Prove(const std::string&, const nemesis::Op&,
             std::function<void(nemesis::Proof)> done) override {
    nemesis::Proof proof;
    proof.proven = proves;
    proof.how = proves ? "the probe read the asked offset" : "the probe read no offset";
    timers_.After(0, [done = std::move(done), proof] { done(proof); });
  }

  bool proves = true;
  std::map<std::string, int> starts;
  std::map<std::string, nemesis::ClockSetting> settings;
  std::vector<std::pair<double, double>> flips;  // (time, offset) of each strobe flip

 private:
  harness::Timers& timers_;
};

}  // namespace schism::testing
