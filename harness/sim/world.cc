#include "harness/sim/world.h"

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nemesis/bandwidth.h"
#include "nemesis/random.h"

namespace schism::harness::sim {
namespace {

// Roughly what one message costs on the wire (its JSON, UDP and IP headers).
std::uint64_t WireBytes(const nodes::Envelope& m) {
  return 28 + 32 + m.type.size() + m.from.size() + m.to.size() + m.fields.dump().size();
}

}  // namespace

World::World(WorldOptions options)
    : options_(std::move(options)), nodes_(options_.names.size()), rng_(options_.seed) {
  if (options_.elector == nullptr) throw std::invalid_argument("sim: no elector");
  if (options_.names.empty()) throw std::invalid_argument("sim: no nodes");
  for (std::size_t k = 0; k < options_.names.size(); ++k) index_[options_.names[k]] = k;
}

void World::Push(double at, DueKind kind, std::size_t node, std::uint64_t handle) {
  queue_.push({at, seq_++, kind, static_cast<std::uint32_t>(node), handle});
}

void World::After(double delay_s, std::function<void()> then) {
  const std::uint64_t handle = next_timer_++;
  timers_.emplace(handle, std::move(then));
  Push(now_ + std::max(0.0, delay_s), DueKind::kTimer, 0, handle);
}

void World::RunUntil(double t) {
  while (!queue_.empty() && queue_.top().at <= t) {
    const Due due = queue_.top();
    queue_.pop();
    now_ = due.at;
    ++events_run_;
    switch (due.kind) {
      case DueKind::kTick:
        OnTick(due.node, due.handle);
        break;
      case DueKind::kArrive:
        Arrive(due.node, due.handle);
        break;
      case DueKind::kTimer: {
        const auto it = timers_.find(due.handle);
        std::function<void()> then = std::move(it->second);
        timers_.erase(it);
        then();
        break;
      }
    }
  }
  now_ = std::max(now_, t);
}

std::size_t World::Index(const std::string& node) const {
  const auto it = index_.find(node);
  if (it == index_.end()) throw std::invalid_argument("sim: unknown node " + node);
  return it->second;
}

// --- Processes -------------------------------------------------------------

pid_t World::Start(std::size_t k) {
  Node& n = nodes_.at(k);
  if (n.running) throw std::logic_error("sim: started a running node");
  nodes::ElectorSetup setup = options_.setup;
  setup.id = options_.names[k];
  setup.peers.clear();
  for (const std::string& other : options_.names) {
    if (other != setup.id) setup.peers.push_back(other);
  }
  // As schism-node --seed: the same on every restart.
  setup.seed = nodes::MixSeed(options_.seed, setup.id);
  ++n.incarnation;
  std::string error;
  n.elector = options_.elector->make(setup, n.durable, &error);
  if (!n.elector) throw std::runtime_error("sim: " + setup.id + " cannot start: " + error);
  n.running = true;
  n.stopped = n.frozen = n.term_pending = n.tick_missed = false;
  n.inbox.clear();
  n.pid = next_pid_++;
  n.next_tick_ms = LocalMs(n) + options_.setup.tick_ms;
  ScheduleTick(k);
  // What the elector says on start reaches the controller after the start
  // is recorded, as a real node's first line does.
  const int incarnation = n.incarnation;
  After(0, [this, k, incarnation] {
    if (nodes_[k].incarnation == incarnation && CanRun(nodes_[k])) ApplyReady(k);
  });
  return n.pid;
}

void World::Signal(std::size_t k, int signal) {
  Node& n = nodes_.at(k);
  if (!n.running) return;
  switch (signal) {
    case SIGKILL:
      Die(k);
      break;
    case SIGTERM: {
      n.term_pending = true;
      const int incarnation = n.incarnation;
      After(0, [this, k, incarnation] {
        Node& m = nodes_[k];
        if (m.incarnation == incarnation && m.running && m.term_pending && CanRun(m)) Exit(k);
      });
      break;
    }
    case SIGSTOP:
      n.stopped = true;
      break;
    case SIGCONT:
      if (n.stopped) {
        n.stopped = false;
        Continue(k);
      }
      break;
    default:
      break;
  }
}

bool World::GroupAlive(pid_t pid) const {
  return std::any_of(nodes_.begin(), nodes_.end(),
                     [pid](const Node& n) { return n.running && n.pid == pid; });
}

pid_t World::WaitStopped(const std::vector<pid_t>& pids, std::chrono::milliseconds) {
  for (pid_t pid : pids) {
    for (const Node& n : nodes_) {
      if (n.running && n.pid == pid && !n.stopped && !n.frozen) return pid;
    }
  }
  return 0;
}

void World::Die(std::size_t k) {
  Node& n = nodes_.at(k);
  n.running = false;
  n.elector.reset();
  n.inbox.clear();
  ++n.wake;
}

void World::Exit(std::size_t k) {
  const pid_t pid = nodes_[k].pid;
  Die(k);
  if (on_exit) on_exit(k, pid, 0);
}

void World::Continue(std::size_t k) {
  Node& n = nodes_[k];
  if (!CanRun(n)) return;
  // What arrived meanwhile waited in its socket buffer.
  std::vector<nodes::Envelope> inbox;
  inbox.swap(n.inbox);
  const int incarnation = n.incarnation;
  for (const nodes::Envelope& m : inbox) {
    if (n.incarnation != incarnation || !CanRun(n)) break;
    n.elector->Step(m);
    ApplyReady(k);
  }
  if (n.term_pending && CanRun(n)) {
    Exit(k);
    return;
  }
  if (n.tick_missed && CanRun(n)) {
    n.tick_missed = false;
    OnTick(k, n.wake);
  }
}

// --- Cgroups ---------------------------------------------------------------

bool World::Freeze(const std::string& node) {
  Node& n = nodes_.at(Index(node));
  if (n.running) n.frozen = true;
  return true;
}

void World::Thaw(const std::string& node) {
  const std::size_t k = Index(node);
  if (!nodes_[k].frozen) return;
  nodes_[k].frozen = false;
  Continue(k);
}

std::vector<pid_t> World::Pids(const std::string& node) const {
  const Node& n = nodes_.at(Index(node));
  return n.running ? std::vector<pid_t>{n.pid} : std::vector<pid_t>{};
}

// --- Clocks and ticks ------------------------------------------------------

double World::LocalMs(const Node& n) const {
  return n.base_local_ms + (now_ - n.base_real_s) * 1000.0 * n.clock.rate;
}

void World::Rebase(Node& n, double local_ms) {
  n.base_real_s = now_;
  n.base_local_ms = local_ms;
}

void World::ScheduleTick(std::size_t k) {
  Node& n = nodes_[k];
  const std::uint64_t wake = ++n.wake;
  const double wait_s = std::max(0.0, (n.next_tick_ms - LocalMs(n)) / (1000.0 * n.clock.rate));
  Push(now_ + wait_s, DueKind::kTick, k, wake);
}

void World::OnTick(std::size_t k, std::uint64_t wake) {
  Node& n = nodes_[k];
  if (n.wake != wake || !n.running) return;
  if (!CanRun(n)) {
    n.tick_missed = true;
    return;
  }
  const double local = LocalMs(n);
  if (local + 1e-9 < n.next_tick_ms) {  // its clock went back meanwhile
    ScheduleTick(k);
    return;
  }
  n.elector->Tick();
  ApplyReady(k);
  if (!CanRun(n)) return;
  // Like the runtime: missed ticks are dropped, not replayed.
  n.next_tick_ms += options_.setup.tick_ms;
  if (n.next_tick_ms <= local) n.next_tick_ms = local + options_.setup.tick_ms;
  ScheduleTick(k);
}

nemesis::ClockSetting World::Apply(const std::string& node, const nemesis::Op& op) {
  Node& n = nodes_.at(Index(node));
  const double local = LocalMs(n);
  switch (op.clock_mode) {
    case nemesis::ClockMode::kBump:
      n.clock.offset_ms += op.clock_offset_ms;
      Rebase(n, local + op.clock_offset_ms);
      break;
    case nemesis::ClockMode::kStrobe:
      Rebase(n, local + (op.clock_offset_ms - n.clock.offset_ms));
      n.clock.offset_ms = op.clock_offset_ms;
      break;
    case nemesis::ClockMode::kRate:
      Rebase(n, local);
      n.clock.rate = op.clock_rate;
      break;
  }
  if (n.running) ScheduleTick(Index(node));
  return n.clock;
}

void World::SetOffset(const std::string& node, double offset_ms) {
  Node& n = nodes_.at(Index(node));
  Rebase(n, LocalMs(n) + (offset_ms - n.clock.offset_ms));
  n.clock.offset_ms = offset_ms;
  if (n.running) ScheduleTick(Index(node));
}

void World::Restore(const std::string& node) {
  Node& n = nodes_.at(Index(node));
  n.clock = {};
  Rebase(n, now_ * 1000.0);
  if (n.running) ScheduleTick(Index(node));
}

void World::Prove(const std::string& node, const nemesis::Op& /*op*/,
                  std::function<void(nemesis::Proof)> done) {
  // Read the node's clock the way a probe would: it is what the node uses.
  const Node& n = nodes_.at(Index(node));
  nemesis::Proof proof;
  const double skew_ms = LocalMs(n) - now_ * 1000.0;
  proof.proven = true;
  proof.how = "the simulated clock of " + node + " read " + std::to_string(skew_ms) +
              " ms off true time at rate " + std::to_string(n.clock.rate);
  proof.measured = {{"skew_ms", skew_ms}, {"rate", n.clock.rate}};
  After(0, [done = std::move(done), proof] { done(proof); });
}

// --- The nodes' output and the network -------------------------------------

void World::ApplyReady(std::size_t k) {
  Node& n = nodes_[k];
  if (!n.elector || !n.elector->HasReady()) return;
  nodes::ElectorReady ready = n.elector->TakeReady();
  if (ready.state) n.durable = std::move(*ready.state);
  const int incarnation = n.incarnation;
  for (const nodes::ContractEvent& event : ready.events) {
    if (on_event) on_event(k, event);
    // A fault fired by the event (a kill awaiting a voter) may end the node.
    if (n.incarnation != incarnation || !n.running) return;
  }
  for (const nodes::Envelope& m : ready.messages) Send(k, m);
}

double World::Draw(double lo, double hi) { return nemesis::UniformReal(rng_, lo, hi); }

bool World::Chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }

void World::Send(std::size_t from, const nodes::Envelope& m) {
  const auto to_it = index_.find(m.to);
  if (to_it == index_.end()) return;
  const std::size_t to = to_it->second;
  const Pair pair{from, to};
  ++messages_sent_;
  double leaves_s = now_;
  if (nodes_[from].rate_kbit || nodes_[to].rate_kbit) {
    const std::optional<double> left = Throttle(from, to, m);
    if (!left) return;
    leaves_s = *left;
  }
  if (const auto loss = loss_.find(pair); loss != loss_.end()) {
    Tally& count = loss_counts_[pair];
    ++count.seen;
    if (Chance(loss->second)) {
      ++count.hit;
      return;
    }
  }
  int copies = 1;
  if (const auto dup = duplicate_.find(pair); dup != duplicate_.end()) {
    Tally& count = duplicate_counts_[pair];
    ++count.seen;
    if (Chance(dup->second)) {
      ++count.hit;
      copies = 2;
    }
  }
  for (int c = 0; c < copies; ++c) {
    double latency_s = Draw(options_.latency_min_ms, options_.latency_max_ms) / 1000.0;
    if (const auto delay = delay_.find(pair); delay != delay_.end()) {
      const nemesis::PairDelay& d = delay->second;
      const double held_ms = std::max(0.0, d.delay_ms + Draw(-d.jitter_ms, d.jitter_ms));
      DelayCount& count = delay_counts_[pair];
      ++count.packets;
      if (count.held_ms.size() < 4096) count.held_ms.push_back(held_ms);
      const double arrives = leaves_s + latency_s + held_ms / 1000.0;
      if (arrives < count.last_arrival_s) ++count.reordered;
      count.last_arrival_s = std::max(count.last_arrival_s, arrives);
      latency_s += held_ms / 1000.0;
    }
    std::uint64_t slot;
    if (free_slots_.empty()) {
      slot = in_flight_.size();
      in_flight_.emplace_back();
    } else {
      slot = free_slots_.back();
      free_slots_.pop_back();
    }
    in_flight_[slot].from = static_cast<std::uint32_t>(from);
    in_flight_[slot].message = m;
    Push(leaves_s + latency_s, DueKind::kArrive, to, slot);
  }
}

std::optional<double> World::Throttle(std::size_t from, std::size_t to,
                                      const nodes::Envelope& m) {
  const std::uint64_t bytes = WireBytes(m);
  double at = now_;
  // The sender's egress bucket, then the receiver's ingress bucket.
  Node& sender = nodes_[from];
  Node& receiver = nodes_[to];
  struct Bucket {
    Node& node;
    double& free;
    std::deque<std::pair<double, std::uint64_t>>& queued;
  };
  for (Bucket b : {Bucket{sender, sender.out_free_s, sender.queued_out},
                   Bucket{receiver, receiver.in_free_s, receiver.queued_in}}) {
    if (!b.node.rate_kbit) continue;
    const double start = std::max(at, b.free);
    if (start - at > nemesis::kTbfLatencyMs / 1000.0) return std::nullopt;  // the queue is full
    b.free = start + static_cast<double>(bytes) * 8.0 / (static_cast<double>(*b.node.rate_kbit) * 1000.0);
    b.queued.emplace_back(b.free, bytes);
    at = b.free;
  }
  return at;
}

void World::Arrive(std::size_t to, std::uint64_t slot) {
  const std::size_t from = in_flight_[slot].from;
  const nodes::Envelope m = std::move(in_flight_[slot].message);
  free_slots_.push_back(slot);
  if (cut_.count({from, to}) > 0) {  // dropped where it enters the receiver's port
    ++cut_dropped_;
    return;
  }
  ++forwarded_;
  Node& n = nodes_[to];
  if (!n.running) return;  // nobody listens on the port
  if (!CanRun(n)) {
    n.inbox.push_back(m);
    return;
  }
  n.elector->Step(m);
  ApplyReady(to);
}

void World::Partition(const nemesis::Grudge& grudge) {
  cut_.clear();
  for (const auto& [src, dst] : grudge.drops) cut_.insert({Index(src), Index(dst)});
}

nemesis::PartitionCount World::ReadPartition() {
  nemesis::PartitionCount count;
  for (const auto& [from, to] : cut_) {
    count.pairs.insert({options_.names[from], options_.names[to]});
  }
  count.dropped = cut_dropped_;
  count.forwarded = forwarded_;
  return count;
}

std::string World::KernelDigest() { return "sim-" + std::to_string(cut_.size()) + "-pairs"; }

bool World::ProbeCutPair(const std::string& src, const std::string& dst) {
  const bool cut = cut_.count({Index(src), Index(dst)}) > 0;
  if (cut) ++cut_dropped_;
  return cut;
}

void World::SetLoss(const nemesis::LossMap& loss) {
  loss_.clear();
  loss_counts_.clear();
  for (const auto& [pair, percent] : loss) loss_[{Index(pair.first), Index(pair.second)}] = percent;
}

nemesis::ShareCounts World::Shares(const std::map<Pair, int>& percents,
                                   const std::map<Pair, Tally>& counts) {
  std::map<int, nemesis::ShareCount> by_percent;
  for (const auto& [pair, percent] : percents) {
    nemesis::ShareCount& share = by_percent[percent];
    share.percent = percent;
    ++share.pairs;
    if (const auto it = counts.find(pair); it != counts.end()) {
      share.seen += it->second.seen;
      share.hit += it->second.hit;
    }
  }
  nemesis::ShareCounts shares;
  for (const auto& [percent, share] : by_percent) shares.push_back(share);
  return shares;
}

nemesis::ShareCounts World::ReadLoss() { return Shares(loss_, loss_counts_); }

void World::SetDuplicate(const nemesis::DuplicateMap& pairs) {
  duplicate_.clear();
  duplicate_counts_.clear();
  for (const auto& [pair, percent] : pairs) {
    duplicate_[{Index(pair.first), Index(pair.second)}] = percent;
  }
}

nemesis::ShareCounts World::ReadDuplicate() { return Shares(duplicate_, duplicate_counts_); }

void World::SetDelay(const std::vector<nemesis::PairDelay>& pairs) {
  delay_.clear();
  delay_counts_.clear();
  for (const nemesis::PairDelay& d : pairs) delay_[{Index(d.from), Index(d.to)}] = d;
}

std::vector<nemesis::PacketDelayer::PairStats> World::ReadDelay() {
  std::vector<nemesis::PacketDelayer::PairStats> stats;
  for (const auto& [pair, d] : delay_) {
    nemesis::PacketDelayer::PairStats s;
    s.from = d.from;
    s.to = d.to;
    DelayCount& count = delay_counts_[pair];
    s.packets = count.packets;
    s.reordered = count.reordered;
    std::vector<double> held = count.held_ms;
    if (!held.empty()) {
      std::sort(held.begin(), held.end());
      double sum = 0;
      for (double h : held) sum += h;
      s.mean_ms = sum / static_cast<double>(held.size());
      s.p50_ms = held[held.size() / 2];
      s.p95_ms = held[std::min(held.size() - 1, held.size() * 95 / 100)];
      s.max_ms = held.back();
    }
    stats.push_back(s);
  }
  return stats;
}

void World::SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) {
  Node& n = nodes_.at(Index(node));
  n.rate_kbit = kbit_per_s;
  n.out_free_s = n.in_free_s = now_;
  n.passed_bytes = 0;
  n.queued_out.clear();
  n.queued_in.clear();
}

std::uint64_t World::BandwidthSent(const std::string& node) {
  Node& n = nodes_.at(Index(node));
  for (auto* queued : {&n.queued_out, &n.queued_in}) {
    while (!queued->empty() && queued->front().first <= now_) {
      n.passed_bytes += queued->front().second;
      queued->pop_front();
    }
  }
  return n.passed_bytes;
}

void World::ClearBandwidth(const std::string& node) { nodes_.at(Index(node)).rate_kbit.reset(); }

}  // namespace schism::harness::sim
