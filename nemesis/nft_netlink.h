#pragma once
// One nftables table (of the bridge or netdev family), spoken to straight
// over netlink (libnftnl builds and parses the messages, libmnl runs the
// socket), for what the nemesis does on every fault: replace the partition's
// set, replace the rules of a loss or duplication, and read counters back.
//
// Why not libnftables for these: version 1.0.6 fills its whole cache for any
// list command, every element of every set with its counter, rendered and
// parsed as text or JSON (under loss on every pair of 51 nodes, 5,100
// counted elements, 117 ms for one counter), and it parses every element of
// a new set from text (a loss on every pair of 51 nodes took 35 ms to set
// up). Binary messages skip both. Each change is one netlink batch
// (nft_batch.h), which the kernel applies as one transaction, as it does
// `nft -f`. What is made once per run (tables, base chains) stays with
// libnftables (nft_context.h), whose syntax is what the docs show.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "nemesis/grudge.h"
#include "nemesis/nft_batch.h"
#include "nemesis/proof.h"

struct mnl_socket;
struct nlmsghdr;

namespace schism::nemesis {

// One element of a set of type `ifname . ifname`, and its counter.
struct CountedPortPair {
  std::string in_port, out_port;
  std::uint64_t packets = 0;
};

// Rules that act on a random share of the packets of chosen directed pairs,
// one rule per percent p in the chain `chain`:
//
//   [meta mark != M] <key> @<prefix>_<p> counter name "<prefix>_<p>_seen"
//       numgen random mod 100 < p counter name "<prefix>_<p>_<hit>" <action>
//
// The set holds the pairs' keys, without counters of their own (a counter per
// element costs the kernel a per-CPU allocation, the bulk of the time on
// thousands of pairs); the two named counters count the percent's packets.
// p = 0 counts only what it sees; p = 100 has no numgen (every packet).
struct ShareRules {
  enum class Key {
    kBridgePorts,  // iifname . oifname: the bridge ports (bridge family)
    // ip saddr . ip daddr . oifname, IPv4 only (netdev family): the port
    // too, so that a frame the bridge floods to other ports is not counted.
    kIpv4AddressesAndPort,
  };
  enum class Action {
    kDrop,       // drop
    kDuplicate,  // meta mark set M dup to oif: a copy out of the same device
  };
  std::string chain;   // "loss"
  std::string prefix;  // "loss"
  std::string hit;     // "dropped"
  Key key = Key::kBridgePorts;
  Action action = Action::kDrop;
  // kDuplicate: the mark every copy carries; packets with it are left alone,
  // so a copy is never copied again.
  std::uint32_t mark = 0;

  std::string SetName(int percent) const;
  std::string SeenCounter(int percent) const;
  std::string HitCounter(int percent) const;
  // A key as the set holds it: kBridgePorts, the two ports as NUL-padded
  // 16-byte interface names; kIpv4AddressesAndPort, the two addresses
  // (dotted quads) as 4 bytes each in network order, then `to_port` as an
  // interface name. Throws NftError for a name too long or an address that
  // is none.
  std::string MakeKey(const std::string& from, const std::string& to,
                      const std::string& to_port = "") const;
};

class NftNetlink {
 public:
  // A directed pair of bridge ports, as an element of a set of type
  // ifname . ifname holds it.
  using PortPair = std::pair<std::string, std::string>;

  // Opens a netfilter netlink socket in the namespace of `netns_fd` (the
  // calling thread returns to its own at once) for the table `table` of
  // `family` (kNftBridge or kNftNetdev). Throws std::system_error when the
  // namespace cannot be entered or the socket cannot be made.
  NftNetlink(int netns_fd, std::string table, std::uint8_t family = kNftBridge);
  ~NftNetlink();

  NftNetlink(const NftNetlink&) = delete;
  NftNetlink& operator=(const NftNetlink&) = delete;

  // Makes the set `set` (type ifname . ifname) hold exactly `pairs`, in one
  // batch: flush, then add (elements with a counter start it at 0 when the
  // set has the counter flag). All or nothing: on NftError the set holds what
  // it held. Throws NftError naming the set with the kernel's reason.
  void ReplacePortPairs(const std::string& set, const std::vector<PortPair>& pairs);

  // Replaces the rules of `rules.chain`, and the sets and counters of the
  // percents of `in_force` (pair -> percent, as ReplaceShares was last given
  // it), with those of `wanted`, each pair's key made by `key_of`
  // (ShareRules::MakeKey), in one batch; every counter starts at 0. All or
  // nothing: on NftError what was in force stays. The chain must exist.
  void ReplaceShares(const ShareRules& rules, const LossMap& in_force, const LossMap& wanted,
                     const std::function<std::string(const DirectedPair&)>& key_of);

  // The two counters of each percent of `in_force` (pair -> percent, as
  // ReplaceShares was last given it). Throws NftError naming a counter the
  // kernel does not have.
  ShareCounts ReadShares(const ShareRules& rules, const LossMap& in_force);

  // Every element of the set `set` (type ifname . ifname, with `counter`),
  // with the packets its counter holds (0 for an element without one).
  // Throws NftError naming the set when the kernel refuses (no such set:
  // "nft: cannot read set bridge schism loss_30: No such file or directory")
  // or an element's key is not two interface names.
  std::vector<CountedPortPair> PortPairs(const std::string& set);

  // The packets of the named counter `name`. Throws NftError naming it when
  // the kernel refuses.
  std::uint64_t CounterPackets(const std::string& name);

 private:
  // Sends `batch` and reads the kernel's acks. Throws NftError saying what
  // could not be done (`what`, e.g. "replace the elements of set x") and why.
  void Commit(NftBatch& batch, const std::string& what);
  // The table as messages name it, e.g. "bridge schism".
  std::string TableName() const;

  // Sends the request in `buffer_`; runs `parse` on each answer until the
  // kernel's done or ack. Returns errno when the kernel refused, 0 else.
  int Exchange(std::uint32_t seq, int (*parse)(const ::nlmsghdr*, void*), void* data);

  // Reads what is left of the answers to a failed request, so that the next
  // request reads only its own.
  void Drain();
  // Makes the socket's send buffer hold a batch of `bytes`.
  void RoomToSend(std::size_t bytes);

  std::string table_;
  std::uint8_t family_;
  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 0;
  std::size_t send_buffer_ = 0;  // SO_SNDBUF as the kernel reports it
  std::vector<char> buffer_;
};

}  // namespace schism::nemesis
