#pragma once
// Delay, jitter and reordering of chosen directed pairs, held in user space.
//
// This kernel has no sch_netem (and no fq), so packets are delayed the way a
// user-space WAN emulator does it: in the namespace of each receiving node an
// iptables-nft rule per delayed sender hands that sender's packets to an
// NFQUEUE, and a thread of ours holds each one and gives the verdict ACCEPT
// when it is due.
//
//   node namespace of `to`:
//     *filter
//     :SCHISM-DELAY - [0:0]
//     -A INPUT -j SCHISM-DELAY
//     -A SCHISM-DELAY -s <from's addr>/32 -j NFQUEUE --queue-num 7301 --queue-bypass
//
// The rules sit on INPUT of the receiver, never on OUTPUT: a packet held or
// dropped on OUTPUT would show up in the sender as a slow or failing send.
// The `nft queue` statement needs CONFIG_NFT_QUEUE, which this kernel lacks;
// the xtables NFQUEUE target runs through nft's compat layer instead.
//
// Each packet of a pair is held for delay + U(-jitter, +jitter) ms (uniform,
// from a seeded generator; clamped at 0) measured from the moment the thread
// reads it. Verdicts are given in due order, not arrival order, so jitter
// reorders packets, as netem does.
//
// Fail-open everywhere: --queue-bypass accepts packets while no process is
// bound to the queue (before the constructor, after the destructor, after a
// crash), and NFQA_CFG_F_FAIL_OPEN accepts them without delay when the queue
// holds kMaxHeld packets already or our socket's buffer is full. So a fault
// can only weaken to "no delay"; it never turns into loss.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace schism::nemesis {
namespace delay_internal {  // nemesis/delay_queue.h
struct DelayState;
class DelayQueues;
}  // namespace delay_internal

// A node whose incoming packets can be delayed. `addr` is its IPv4 address
// inside `netns_fd`, which is how its packets are told apart at a receiver.
struct DelayNode {
  std::string name;
  int netns_fd = -1;
  std::string addr;
};

// Packets from `from` to `to` are held delay_ms ± jitter_ms (see above).
struct PairDelay {
  std::string from, to;
  double delay_ms = 0;
  double jitter_ms = 0;
};

// The queue number used in every node namespace (queues are per namespace).
inline constexpr std::uint16_t kDelayQueue = 7301;
// The schism-owned iptables chain, jumped to from INPUT.
inline constexpr const char* kDelayChain = "SCHISM-DELAY";
// Packets held at once per receiving namespace; more are accepted undelayed.
inline constexpr std::uint32_t kMaxHeld = 4096;
// The largest delay + jitter accepted, in ms.
inline constexpr double kMaxDelayMs = 60'000;

// Returns the iptables-restore --noflush input that makes the chain in one
// receiving namespace send exactly the packets from `sender_addrs` to the
// queue. `installed` says whether the chain and INPUT's jump to it exist now:
// the script creates them when needed, and removes both when `sender_addrs` is
// empty. Returns "" when there is nothing to do (empty and not installed).
// Pure.
std::string RenderDelayRules(const std::vector<std::string>& sender_addrs, bool installed,
                             std::uint16_t queue = kDelayQueue);

// Checks `pairs` against the node names: both ends known and distinct, delay
// and jitter finite, >= 0, and delay + jitter <= kMaxDelayMs, no pair twice.
// Throws std::invalid_argument with a one-line message otherwise, e.g.
// "delay n1->n9: unknown node \"n9\" (nodes: n1 n2 n3)". Pure.
void CheckPairDelays(const std::vector<PairDelay>& pairs, const std::vector<DelayNode>& nodes);

// Set and Clear are meant to be called from one thread (the controller's);
// Stats may be called from any thread.
class PacketDelayer {
 public:
  // Binds queue kDelayQueue in every node's namespace (a netlink socket made
  // while the calling thread is inside it, copying only the 20-byte IPv4
  // header of each packet, queue length kMaxHeld, fail-open) and starts the
  // thread that holds packets. Installs no rule: nothing is delayed yet. The
  // fds are duplicated, so the caller may close its own. Throws
  // std::invalid_argument for a bad node list (empty or duplicate name, an
  // addr that is not IPv4) and std::runtime_error when a queue cannot be
  // bound (e.g. another process holds it); nothing is left behind then.
  PacketDelayer(std::vector<DelayNode> nodes, std::uint64_t seed);

  // Removes every rule, accepts every packet still held (they arrive at once),
  // unbinds the queues, closes the sockets and joins the thread. Errors are
  // written to stderr and otherwise ignored.
  ~PacketDelayer();

  PacketDelayer(const PacketDelayer&) = delete;
  PacketDelayer& operator=(const PacketDelayer&) = delete;

  // Replaces the delays in force with exactly `pairs` and starts new stats.
  // Each receiving namespace whose set of delayed senders changes gets one
  // iptables-nft-restore (atomic per namespace); packets already held keep
  // their due time. Throws std::invalid_argument (see CheckPairDelays) before
  // changing anything, and std::runtime_error quoting iptables' output when a
  // namespace's rules cannot be changed: the namespaces before it have their
  // new rules, it and those after keep the old ones, and packets of a pair
  // that is no longer asked for are accepted at once.
  void Set(const std::vector<PairDelay>& pairs);

  // Removes every rule (one iptables-nft-restore per namespace that has some)
  // and accepts every held packet before returning. Stats() keeps the numbers
  // of the last Set; packets released early here are not counted in them.
  // Throws std::runtime_error as Set does.
  void Clear();

  // What the held packets of one pair actually got since the last Set: hold
  // times from the moment the thread read a packet to its verdict (mean and
  // max over all of them; p50 and p95 over up to 65536 of them, sampled
  // uniformly), and how many packets were released after a later packet of the
  // same pair had been (the receiver sees those out of order).
  struct PairStats {
    std::string from, to;
    std::uint64_t packets = 0;
    double mean_ms = 0, p50_ms = 0, p95_ms = 0, max_ms = 0;
    std::uint64_t reordered = 0;
  };

  // Returns one entry per pair of the last Set, sorted by (from, to).
  std::vector<PairStats> Stats() const;

  // Returns the pairs in force (those of the last Set; empty after Clear).
  const std::vector<PairDelay>& Pairs() const { return pairs_; }

 private:
  // Makes receiving namespace `index` delay exactly `senders` (addresses).
  void ApplyRules(std::size_t index, const std::vector<std::string>& senders);

  std::vector<DelayNode> nodes_;                   // with our own duplicated fds
  std::vector<bool> installed_;                    // per node: chain and jump exist
  std::vector<std::vector<std::string>> senders_;  // per node: delayed senders' addrs
  std::vector<PairDelay> pairs_;
  std::shared_ptr<delay_internal::DelayState> state_;    // shared with the delay thread
  std::unique_ptr<delay_internal::DelayQueues> queues_;  // the queues and the thread
};

}  // namespace schism::nemesis
