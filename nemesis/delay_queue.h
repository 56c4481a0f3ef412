#pragma once
// The user-space half of the delay mechanism (nemesis/delay.h): the thread
// that reads the NFQUEUE of every node namespace, holds each packet until it
// is due and gives the verdict ACCEPT, and the state it shares with
// PacketDelayer. Only nemesis/delay.cc uses this header.

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <queue>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "nemesis/delay.h"

struct nfq_handle;
struct nfq_q_handle;
struct nfq_data;
struct nfgenmsg;

namespace schism::nemesis::delay_internal {

// What PacketDelayer (the controller's thread) and the delay thread share.
// Every field is guarded by `mu`.
struct DelayState {
  struct Slot {  // one delayed pair and what its packets got
    PairDelay pair;
    std::uint64_t packets = 0;
    double sum_ms = 0, max_ms = 0;
    std::vector<double> samples;  // a uniform reservoir of hold times
    std::uint64_t arrivals = 0;   // arrival order of its packets
    std::int64_t latest_released = -1;
    std::uint64_t reordered = 0;
  };

  std::mutex mu;
  std::condition_variable released;
  // Per receiving namespace: sender address (host order) -> index in `slots`.
  // A packet whose sender is not here is accepted at once.
  std::vector<std::unordered_map<std::uint32_t, std::size_t>> route;
  std::vector<Slot> slots;
  std::uint64_t generation = 0;  // bumped by Set; held packets of older ones are not counted
  std::uint64_t release_asked = 0, release_done = 0;
  bool stop = false;

  // Returns PacketDelayer::Stats() of `slots`. Locks `mu`.
  std::vector<PacketDelayer::PairStats> Stats();
};

class DelayQueues {
 public:
  // Binds queue kDelayQueue in every node's namespace (entering each on the
  // calling thread, so each netlink socket belongs to its namespace) and
  // starts the delay thread. Throws std::runtime_error naming the node when a
  // queue cannot be bound or configured; what was bound is unbound first.
  DelayQueues(const std::vector<DelayNode>& nodes, std::uint64_t seed,
              std::shared_ptr<DelayState> state);

  // Stops the thread, which first accepts every packet it holds or that waits
  // in its sockets (a queue that closes would drop them), then unbinds the
  // queues.
  ~DelayQueues();

  DelayQueues(const DelayQueues&) = delete;
  DelayQueues& operator=(const DelayQueues&) = delete;

  // Has the thread accept every packet it holds or that waits in its sockets,
  // and waits until it has. Throws std::runtime_error after 5 s.
  void ReleaseAll();

 private:
  using Clock = std::chrono::steady_clock;  // CLOCK_MONOTONIC, shared by every namespace

  struct Queue {  // one node namespace's queue
    DelayQueues* owner = nullptr;
    std::size_t index = 0;  // of the receiving node
    nfq_handle* handle = nullptr;
    nfq_q_handle* queue = nullptr;
    int fd = -1;
  };

  struct Held {
    Clock::time_point due, read_at;
    std::uint64_t order;  // arrival order over all queues: equal due times keep it
    std::uint64_t generation;
    std::uint64_t arrival;  // arrival order within the slot
    std::size_t slot;
    Queue* queue;
    std::uint32_t id;
  };
  struct Later {
    bool operator()(const Held& a, const Held& b) const {
      return a.due != b.due ? a.due > b.due : a.order > b.order;
    }
  };

  void Bind(const DelayNode& node, std::size_t index);
  void Close();
  void Wake();
  static int OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context);
  void Hold(Queue& q, nfq_data* data);
  void Accept(const Held& held);
  void Release(const Held& held, Clock::time_point now);
  void Count(const Held& held, double hold_ms);
  bool Read(Queue& q);
  void AcceptEverything();
  void Run();

  std::shared_ptr<DelayState> state_;
  std::vector<Queue> queues_;  // never reallocated: callbacks and Held point into it
  int wake_fd_ = -1;
  std::thread thread_;
  // Everything below is the thread's own.
  std::mt19937_64 jitter_rng_;
  std::mt19937_64 sample_rng_;
  std::priority_queue<Held, std::vector<Held>, Later> held_;
  std::uint64_t order_ = 0;
  std::uint64_t verdict_errors_ = 0;
  alignas(8) std::array<char, 1 << 16> buffer_{};
};

}  // namespace schism::nemesis::delay_internal
