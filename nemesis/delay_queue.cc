#include "nemesis/delay_queue.h"

#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "nemesis/netns_guard.h"
#include "nemesis/random.h"

namespace schism::nemesis::delay_internal {
namespace {

constexpr int kCopyBytes = 20;                       // the IPv4 header, for the source address
constexpr int kSocketBuffer = 8 << 20;               // room for kMaxHeld queued notifications
constexpr std::size_t kMaxSamples = 65536;           // hold samples kept per pair
constexpr int kMaxReadsPerWake = 256;                // per queue, so releases are not starved
constexpr auto kIdleWake = std::chrono::seconds(1);  // how often an idle thread checks `stop`
constexpr auto kReleaseWait = std::chrono::seconds(5);

double Millis(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::milli>(d).count();
}

}  // namespace

std::vector<PacketDelayer::PairStats> DelayState::Stats() {
  std::vector<PacketDelayer::PairStats> out;
  std::lock_guard lock(mu);
  for (const Slot& slot : slots) {
    PacketDelayer::PairStats s;
    s.from = slot.pair.from;
    s.to = slot.pair.to;
    s.packets = slot.packets;
    s.reordered = slot.reordered;
    if (slot.packets > 0) {
      s.mean_ms = slot.sum_ms / static_cast<double>(slot.packets);
      s.max_ms = slot.max_ms;
      std::vector<double> sorted = slot.samples;
      std::sort(sorted.begin(), sorted.end());
      auto rank = [&](double q) {  // nearest rank
        const auto k = static_cast<std::size_t>(std::ceil(q * static_cast<double>(sorted.size())));
        return sorted[std::clamp<std::size_t>(k, 1, sorted.size()) - 1];
      };
      s.p50_ms = rank(0.50);
      s.p95_ms = rank(0.95);
    }
    out.push_back(std::move(s));
  }
  return out;
}

DelayQueues::DelayQueues(const std::vector<DelayNode>& nodes, std::uint64_t seed,
                         std::shared_ptr<DelayState> state)
    : state_(std::move(state)), jitter_rng_(seed), sample_rng_(StreamSeed(seed, Stream::kDelaySamples)) {
  queues_.reserve(nodes.size());
  try {
    for (std::size_t i = 0; i < nodes.size(); ++i) Bind(nodes[i], i);
    wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
    thread_ = std::thread([this] { Run(); });
  } catch (...) {
    Close();
    throw;
  }
}

DelayQueues::~DelayQueues() {
  {
    std::lock_guard lock(state_->mu);
    state_->stop = true;
  }
  Wake();
  if (thread_.joinable()) thread_.join();
  Close();
}

void DelayQueues::ReleaseAll() {
  std::unique_lock lock(state_->mu);
  const std::uint64_t ticket = ++state_->release_asked;
  Wake();
  if (!state_->released.wait_for(lock, kReleaseWait,
                                 [&] { return state_->release_done >= ticket; })) {
    throw std::runtime_error("delay: the delay thread did not release its packets within 5 s");
  }
}

void DelayQueues::Bind(const DelayNode& node, std::size_t index) {
  Queue& q = queues_.emplace_back();
  q.owner = this;
  q.index = index;
  const std::string where = "delay: in " + node.name + "'s namespace: ";
  ScopedNetns inside(node.netns_fd);  // the socket stays bound to this namespace
  q.handle = ::nfq_open();
  if (q.handle == nullptr) {
    throw std::runtime_error(where +
                             "cannot open an nfnetlink_queue socket: " + std::strerror(errno) +
                             " (needs root and CONFIG_NETFILTER_NETLINK_QUEUE)");
  }
  q.fd = ::nfq_fd(q.handle);
  ::nfnl_rcvbufsiz(::nfq_nfnlh(q.handle), kSocketBuffer);
  q.queue = ::nfq_create_queue(q.handle, kDelayQueue, &DelayQueues::OnPacket, &q);
  if (q.queue == nullptr) {
    throw std::runtime_error(where + "cannot bind NFQUEUE " + std::to_string(kDelayQueue) + ": " +
                             std::strerror(errno) + " (is another delayer bound to it?)");
  }
  // Only the IPv4 header is copied to us (its source address picks the pair),
  // and a full queue or socket passes packets on instead of dropping them.
  if (::nfq_set_mode(q.queue, NFQNL_COPY_PACKET, kCopyBytes) < 0 ||
      ::nfq_set_queue_maxlen(q.queue, kMaxHeld) < 0 ||
      ::nfq_set_queue_flags(q.queue, NFQA_CFG_F_FAIL_OPEN, NFQA_CFG_F_FAIL_OPEN) < 0) {
    throw std::runtime_error(where + "cannot configure NFQUEUE " + std::to_string(kDelayQueue) +
                             ": " + std::strerror(errno));
  }
}

void DelayQueues::Close() {
  for (Queue& q : queues_) {
    if (q.queue != nullptr) ::nfq_destroy_queue(q.queue);
    if (q.handle != nullptr) ::nfq_close(q.handle);
    q.queue = nullptr;
    q.handle = nullptr;
  }
  if (wake_fd_ >= 0) ::close(wake_fd_);
  wake_fd_ = -1;
}

void DelayQueues::Wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof one);
}

int DelayQueues::OnPacket(nfq_q_handle*, nfgenmsg*, nfq_data* data, void* context) {
  auto* q = static_cast<Queue*>(context);
  q->owner->Hold(*q, data);
  return 0;
}

// Decides how long one packet read from `q` is held, and holds it.
void DelayQueues::Hold(Queue& q, nfq_data* data) {
  const Clock::time_point now = Clock::now();
  const nfqnl_msg_packet_hdr* header = ::nfq_get_msg_packet_hdr(data);
  if (header == nullptr) return;
  unsigned char* payload = nullptr;
  const int length = ::nfq_get_payload(data, &payload);
  std::uint32_t source = 0;
  if (length >= kCopyBytes && (payload[0] >> 4) == 4) {
    std::memcpy(&source, payload + 12, sizeof source);
    source = ntohl(source);
  }
  Held held{};
  held.queue = &q;
  held.id = ntohl(header->packet_id);
  held.read_at = now;
  held.order = order_++;
  double hold_ms = 0;
  bool delayed = false;
  {
    std::lock_guard lock(state_->mu);
    const auto& route = state_->route[q.index];
    auto it = route.find(source);
    if (it != route.end()) {
      DelayState::Slot& slot = state_->slots[it->second];
      const double jitter = slot.pair.jitter_ms;
      hold_ms = std::max(0.0, slot.pair.delay_ms + UniformReal(jitter_rng_, -jitter, jitter));
      held.slot = it->second;
      held.generation = state_->generation;
      held.arrival = slot.arrivals++;
      delayed = true;
    }
  }
  held.due = now + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double, std::milli>(hold_ms));
  if (!delayed) {  // a rule of a pair no longer asked for: pass at once, uncounted
    Accept(held);
  } else if (hold_ms <= 0) {
    Release(held, now);
  } else {
    held_.push(held);
  }
}

void DelayQueues::Accept(const Held& held) {
  if (::nfq_set_verdict(held.queue->queue, held.id, NF_ACCEPT, 0, nullptr) < 0) {
    ++verdict_errors_;  // the kernel no longer holds it (its namespace is going away)
  }
}

// Counts what a due packet got, then accepts it (in this order, so that a
// packet the receiver has seen is always in Stats()).
void DelayQueues::Release(const Held& held, Clock::time_point now) {
  Count(held, Millis(now - held.read_at));
  Accept(held);
}

void DelayQueues::Count(const Held& held, double hold_ms) {
  std::lock_guard lock(state_->mu);
  if (held.generation != state_->generation || held.slot >= state_->slots.size()) return;
  DelayState::Slot& slot = state_->slots[held.slot];
  ++slot.packets;
  slot.sum_ms += hold_ms;
  slot.max_ms = std::max(slot.max_ms, hold_ms);
  if (slot.samples.size() < kMaxSamples) {
    slot.samples.push_back(hold_ms);
  } else {
    const std::uint64_t j = sample_rng_() % slot.packets;  // reservoir sampling
    if (j < kMaxSamples) slot.samples[j] = hold_ms;
  }
  const auto arrival = static_cast<std::int64_t>(held.arrival);
  if (arrival < slot.latest_released) {
    ++slot.reordered;
  } else {
    slot.latest_released = arrival;
  }
}

// Reads up to kMaxReadsPerWake notifications of `q`; returns false once the
// socket has nothing more.
bool DelayQueues::Read(Queue& q) {
  for (int i = 0; i < kMaxReadsPerWake; ++i) {
    const ssize_t n = ::recv(q.fd, buffer_.data(), buffer_.size(), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) continue;  // the kernel accepted what did not fit (fail-open)
      return false;                    // EAGAIN: drained
    }
    ::nfq_handle_packet(q.handle, buffer_.data(), static_cast<int>(n));
  }
  return true;
}

// Passes on everything: what is held and what is still in the sockets.
// Packets read here find no route (Clear and the destructor empty it first)
// and are accepted as they are read.
void DelayQueues::AcceptEverything() {
  for (Queue& q : queues_) {
    for (int round = 0; round < 64 && Read(q); ++round) {
    }
  }
  while (!held_.empty()) {
    Accept(held_.top());
    held_.pop();
  }
}

void DelayQueues::Run() {
  ::pthread_setname_np(::pthread_self(), "schism-delay");
  ::prctl(PR_SET_TIMERSLACK, 1UL);  // wake when a packet is due, not up to 50 us later
  std::vector<pollfd> fds(queues_.size() + 1);
  fds[0] = {wake_fd_, POLLIN, 0};
  for (std::size_t i = 0; i < queues_.size(); ++i) fds[i + 1] = {queues_[i].fd, POLLIN, 0};
  while (true) {  // Ends when the destructor sets `stop`; every wait is at most kIdleWake.
    bool stop = false;
    std::uint64_t asked = 0;
    {
      std::lock_guard lock(state_->mu);
      stop = state_->stop;
      if (state_->release_asked != state_->release_done) asked = state_->release_asked;
    }
    if (stop || asked != 0) {
      AcceptEverything();
      std::lock_guard lock(state_->mu);
      if (asked != 0) state_->release_done = asked;
      state_->released.notify_all();
    }
    if (stop) return;

    Clock::duration wait = kIdleWake;
    if (!held_.empty()) {
      wait = std::clamp(held_.top().due - Clock::now(), Clock::duration(0), wait);
    }
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec timeout = {static_cast<time_t>(ns / 1'000'000'000),
                              static_cast<long>(ns % 1'000'000'000)};
    for (pollfd& fd : fds) fd.revents = 0;
    if (::ppoll(fds.data(), fds.size(), &timeout, nullptr) > 0) {
      if (fds[0].revents != 0) {
        std::uint64_t count = 0;
        [[maybe_unused]] ssize_t n = ::read(wake_fd_, &count, sizeof count);
      }
      for (std::size_t i = 0; i < queues_.size(); ++i) {
        if (fds[i + 1].revents != 0) Read(queues_[i]);
      }
    }
    const Clock::time_point now = Clock::now();
    while (!held_.empty() && held_.top().due <= now) {  // at most every held packet
      Release(held_.top(), now);
      held_.pop();
    }
  }
}

}  // namespace schism::nemesis::delay_internal
