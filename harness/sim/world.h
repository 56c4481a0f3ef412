#pragma once
// The simulated world of `schism sim`: the OS seams of harness/seams.h, not
// faked but simulated, so that the run's own fault logic (FaultRunner and its
// mechanisms, the same code a real run uses) breaks a cluster of built-in
// electors that lives in virtual time.
//
// Time is a number that jumps from one due event to the next; nothing sleeps.
// A node is its elector (nodes/elector.h) plus what schism-node would keep
// for it: its durable state (written before anything leaves the node, and
// handed back on a restart), a clock that faults can bump, strobe or speed
// up, and a tick loop that, like the runtime's, drops the ticks it missed.
// A message between nodes takes a small random latency, so messages
// reorder; the network's rules cut, lose, duplicate, hold or throttle them
// exactly as asked, and count what they did, as the kernel's counters do, so
// each fault's proof is measured the same way as in a real run.
//
// Everything random is drawn from the seed: the same seed gives the same
// run, event for event. Not thread-safe: one world per thread.

#include <sys/types.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "harness/seams.h"
#include "nodes/electors.h"

namespace schism::harness::sim {

struct WorldOptions {
  const nodes::ElectorSpec* elector = nullptr;
  // The setup every node starts from (options, bug, tick_ms); id, peers and
  // seed are filled in per node and incarnation.
  nodes::ElectorSetup setup;
  std::vector<std::string> names;  // n1..nN
  std::uint64_t seed = 0;
  // One-way latency of every message, drawn uniformly from this range.
  double latency_min_ms = 0.1;
  double latency_max_ms = 1.0;
};

class World final : public Timers,
                    public Processes,
                    public Cgroups,
                    public NetworkRules,
                    public ClockFaults {
 public:
  // Throws std::invalid_argument when the options name no elector or no node.
  explicit World(WorldOptions options);

  // Where the nodes' contract events and graceful exits go (the run's
  // recorder and fault runner); set both before the first Start.
  std::function<void(std::size_t k, const nodes::ContractEvent& event)> on_event;
  std::function<void(std::size_t k, pid_t pid, int code)> on_exit;

  // Runs every event due by `t` (and those they schedule), then sets the
  // clock to `t`.
  void RunUntil(double t);
  // Events run so far, and messages sent between nodes.
  std::uint64_t events_run() const { return events_run_; }
  std::uint64_t messages_sent() const { return messages_sent_; }

  // Timers.
  double Now() const override { return now_; }
  void After(double delay_s, std::function<void()> then) override;

  // Processes. Signals: SIGKILL ends the node at once, SIGTERM once it runs
  // (it exits gracefully: on_exit with code 0), SIGSTOP and SIGCONT pause
  // and continue it; others are ignored.
  bool Running(std::size_t k) const override { return nodes_.at(k).running; }
  pid_t Pid(std::size_t k) const override { return nodes_.at(k).pid; }
  pid_t Start(std::size_t k) override;
  void Signal(std::size_t k, int signal) override;
  void KillAndReap(std::size_t k) override { Die(k); }
  bool GroupAlive(pid_t pid) const override;
  pid_t WaitStopped(const std::vector<pid_t>& pids, std::chrono::milliseconds deadline) override;

  // Cgroups: a frozen node is paused as by SIGSTOP, but apart from it.
  bool Freeze(const std::string& node) override;
  void Thaw(const std::string& node) override;
  void Kill(const std::string& node) override { Die(Index(node)); }
  std::vector<pid_t> Pids(const std::string& node) const override;

  // NetworkRules.
  void Partition(const nemesis::Grudge& grudge) override;
  void Heal() override { cut_.clear(); }
  nemesis::PartitionCount ReadPartition() override;
  std::string KernelDigest() override;
  bool ProbeCutPair(const std::string& src, const std::string& dst) override;
  void SetLoss(const nemesis::LossMap& loss) override;
  nemesis::ShareCounts ReadLoss() override;
  void ClearLoss() override { loss_.clear(); }
  void SetDuplicate(const nemesis::DuplicateMap& pairs) override;
  nemesis::ShareCounts ReadDuplicate() override;
  void ClearDuplicate() override { duplicate_.clear(); }
  void SetDelay(const std::vector<nemesis::PairDelay>& pairs) override;
  std::vector<nemesis::PacketDelayer::PairStats> ReadDelay() override;
  void ClearDelay() override { delay_.clear(); }
  void SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) override;
  std::uint64_t BandwidthSent(const std::string& node) override;
  void ClearBandwidth(const std::string& node) override;

  // ClockFaults: each node's clock is a line through (real, local) points.
  void BeforeStart(const std::string& /*node*/) override {}
  nemesis::ClockSetting Apply(const std::string& node, const nemesis::Op& op) override;
  void SetOffset(const std::string& node, double offset_ms) override;
  void Restore(const std::string& node) override;
  void Prove(const std::string& node, const nemesis::Op& op,
             std::function<void(nemesis::Proof)> done) override;

 private:
  using Pair = std::pair<std::size_t, std::size_t>;  // (from, to) by index

  struct Node {
    std::unique_ptr<nodes::Elector> elector;
    std::optional<nodes::Json> durable;  // what it last persisted
    bool running = false;
    bool stopped = false;  // SIGSTOP
    bool frozen = false;   // its cgroup
    bool term_pending = false;
    pid_t pid = 0;
    int incarnation = 0;
    std::uint64_t wake = 0;  // bumped to forget the tick scheduled before
    bool tick_missed = false;  // a tick fell due while it could not run
    std::vector<nodes::Envelope> inbox;  // arrived while it could not run
    // Its clock: local ms = base_local_ms + (real s - base_real_s) * 1000 * rate.
    double base_real_s = 0, base_local_ms = 0;
    nemesis::ClockSetting clock;
    double next_tick_ms = 0;  // on its own clock
    // Its link when throttled: a queue each way that sends at the rate (no
    // burst) and drops what would wait past tbf's latency; when each direction
    // is free again, and the bytes that passed or wait to pass.
    std::optional<std::uint64_t> rate_kbit;
    double out_free_s = 0, in_free_s = 0;
    std::uint64_t passed_bytes = 0;
    std::deque<std::pair<double, std::uint64_t>> queued_out, queued_in;  // (leaves at, bytes)
  };
  // One thing due at a time: a tick, a message's arrival, or a timer of the
  // run (After). Ticks and arrivals carry no closure, so a step allocates
  // nothing but the message it delivers.
  enum class DueKind : std::uint8_t { kTimer, kTick, kArrive };
  struct Due {
    double at;
    std::uint64_t seq;
    DueKind kind;
    std::uint32_t node;    // kTick: the node; kArrive: the receiver
    std::uint64_t handle;  // kTick: its wake; kArrive: the message's slot; kTimer: the timer's
  };
  struct Later {
    bool operator()(const Due& a, const Due& b) const {
      return a.at != b.at ? a.at > b.at : a.seq > b.seq;
    }
  };
  struct InFlight {
    std::uint32_t from = 0;
    nodes::Envelope message;
  };
  struct DelayCount {
    std::uint64_t packets = 0, reordered = 0;
    std::vector<double> held_ms;
    double last_arrival_s = 0;
  };

  std::size_t Index(const std::string& node) const;
  bool CanRun(const Node& n) const { return n.running && !n.stopped && !n.frozen; }
  void Die(std::size_t k);
  void Exit(std::size_t k);  // after SIGTERM: dies, and says so through on_exit
  void Continue(std::size_t k);  // after SIGCONT or a thaw
  double LocalMs(const Node& n) const;
  void Rebase(Node& n, double local_ms);
  void ScheduleTick(std::size_t k);
  void OnTick(std::size_t k, std::uint64_t wake);
  void ApplyReady(std::size_t k);  // the elector's ready: persist, publish, send
  void Send(std::size_t from, const nodes::Envelope& m);
  // Through the throttled links between `from` and `to`: when the message
  // has left the last, or nullopt when a queue is full (tbf drops it).
  std::optional<double> Throttle(std::size_t from, std::size_t to, const nodes::Envelope& m);
  void Push(double at, DueKind kind, std::size_t node, std::uint64_t handle);
  void Arrive(std::size_t to, std::uint64_t slot);
  // Packets of one pair under loss or duplication: seen, and dropped or
  // duplicated.
  struct Tally {
    std::uint64_t seen = 0, hit = 0;
  };
  // A loss or duplication's counts summed per percent, as the kernel's
  // counters count them.
  static nemesis::ShareCounts Shares(const std::map<Pair, int>& percents,
                                     const std::map<Pair, Tally>& counts);
  double Draw(double lo, double hi);
  bool Chance(int percent);

  WorldOptions options_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<Node> nodes_;
  std::mt19937_64 rng_;
  double now_ = 0;
  std::uint64_t seq_ = 0;
  std::priority_queue<Due, std::vector<Due>, Later> queue_;
  std::map<std::uint64_t, std::function<void()>> timers_;  // by handle
  std::uint64_t next_timer_ = 0;
  std::vector<InFlight> in_flight_;          // by slot
  std::vector<std::uint64_t> free_slots_;
  std::uint64_t events_run_ = 0, messages_sent_ = 0;
  pid_t next_pid_ = 1000;

  std::set<Pair> cut_;
  std::uint64_t cut_dropped_ = 0, forwarded_ = 0;
  std::map<Pair, int> loss_, duplicate_;
  std::map<Pair, Tally> loss_counts_, duplicate_counts_;
  std::map<Pair, nemesis::PairDelay> delay_;
  std::map<Pair, DelayCount> delay_counts_;
};

}  // namespace schism::harness::sim
