#pragma once
// Packet duplication of chosen directed pairs: `percent` % of the packets
// node src sends to node dst arrive at dst twice.
//
// PacketDuplicator owns one nftables table in the hub namespace, of the
// netdev family, with one base chain on the *egress* hook of every node's
// bridge port, i.e. on the frames the bridge hands to a node:
//
//   table netdev schism_dup {
//     counter dup_50_seen { }         # packets of the pairs at 50 %
//     counter dup_50_duplicated { }   # ... and those of them sent twice
//     set dup_50 { type ipv4_addr . ipv4_addr . ifname;
//                  elements = { 10.241.0.1 . 10.241.0.2 . "vn2" } }
//     chain copies {
//       type filter hook egress devices = { vn1, vn2, vn3 } priority filter; policy accept;
//       meta mark != 0x5c0d0000 ip saddr . ip daddr . oifname @dup_50
//           counter name "dup_50_seen"
//           numgen random mod 100 < 50 counter name "dup_50_duplicated"
//           meta mark set 0x5c0d0000 dup to oif
//     }
//   }
//
// `dup to oif` transmits a copy of the frame on the port it is leaving by
// (to dst's eth0) before the original goes on its way. Why the egress of
// dst's port and not the ingress of src's port: a copy made at ingress skips
// the bridge's forward hook, where partitions and loss live (nft.h), so a cut
// pair would still deliver every copy. At egress the bridge has already
// forwarded the frame, so a cut pair delivers nothing and a lossy pair
// duplicates only what survived. The copy is itself transmitted on the port
// and passes the chain again: the mark (set before `dup`, carried by the
// copy) lets it through untouched; without it the kernel would copy the copy
// up to its recursion limit (measured: 4 frames instead of 2). The mark is
// cleared when the frame crosses the veth into dst's namespace, so no node
// ever sees it. The bridge family has no `dup` statement (nft: "unsupported
// family").
//
// The pairs at each percent are the elements of one set, keyed by their
// addresses and dst's port (so a frame the bridge floods to another node's
// port is left alone), and one rule per percent counts them in two named
// counters
// (ShareRules in nft_netlink.h): setting duplication on all 2,550 pairs of
// 51 nodes is one netlink batch, and reading it back two counters. The chain
// is made once, with the table. Only IPv4 packets with src's address as
// source and dst's as destination are duplicated (not ARP, not IPv6, not
// frames flooded to dst's port for another node); a copy is not counted
// again.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "nemesis/nft_context.h"
#include "nemesis/nft_netlink.h"
#include "nemesis/proof.h"

namespace schism::nemesis {

// A node the duplicator can reach: its bridge port in the hub ("vn2") and the
// IPv4 address of its end of the veth ("10.241.0.2").
struct DuplicateNode {
  std::string port;
  std::string address;
};
// Node name -> its port and address.
using DuplicateNodes = std::map<std::string, DuplicateNode>;

// Directed pair (src, dst) -> percent (1..100) of src's packets to dst that
// arrive twice.
using DuplicateMap = std::map<std::pair<std::string, std::string>, int>;

// The default name of the table this module owns in the hub.
inline constexpr std::string_view kDuplicateTable = "schism_dup";
// The mark that tells a copy from an original on the egress chain.
inline constexpr std::uint32_t kDuplicateMark = 0x5c0d0000;

// Throws std::invalid_argument with a one-line message unless every pair of
// `pairs` names two distinct nodes of `nodes` and a percent in 1..100, and
// every node has a valid port name and IPv4 address, e.g.
// "duplicate n1->n2: 0% is outside 1..100",
// "duplicate n1->n9: unknown node \"n9\" (nodes: n1 n2 n3)",
// "duplicate n2->n2: a node cannot duplicate to itself",
// "duplicate: node n2's address \"10.0.0\" is not an IPv4 address". Pure.
void CheckDuplicates(const DuplicateMap& pairs, const DuplicateNodes& nodes);

// Returns the whole table for `pairs`, as `nft list table netdev <table>`
// shows it without the counters' values (as in the comment above: for each
// percent, ascending, its two counters and its set of pairs sorted by (src,
// dst); then the chain, on every node's port, with a rule per percent). Pure;
// throws like CheckDuplicates.
std::string RenderDuplicateRuleset(const DuplicateMap& pairs, const DuplicateNodes& nodes,
                                   std::string_view table = kDuplicateTable);

class PacketDuplicator {
 public:
  // Installs the table, its chain on every node's port and no rule, in the
  // namespace of `hub_netns_fd` (the fd is duplicated), replacing a stale
  // table of the same name in the same transaction. Throws
  // std::invalid_argument for a bad port, address or table name, NftError
  // when nftables fails, std::system_error when the namespace cannot be
  // entered.
  PacketDuplicator(int hub_netns_fd, DuplicateNodes nodes,
                   std::string table = std::string(kDuplicateTable));

  // Deletes the table; errors are ignored (the hub may already be gone).
  ~PacketDuplicator();

  PacketDuplicator(const PacketDuplicator&) = delete;
  PacketDuplicator& operator=(const PacketDuplicator&) = delete;

  // Replaces every duplication in force with exactly `pairs`, with fresh
  // counters, in one netlink batch: on NftError the previous pairs stay in
  // force. Throws std::invalid_argument (before touching nft) like
  // CheckDuplicates.
  void Set(const DuplicateMap& pairs);

  // Duplicates nothing any more (one transaction). Throws NftError.
  void Clear() { Set(DuplicateMap{}); }

  // Returns, for every percent in force, its pairs and its two counters.
  // Empty when nothing is duplicated; read before Clear or Set, which reset
  // them. Throws NftError.
  ShareCounts ReadCounts();

  // Returns the pairs in force.
  const DuplicateMap& Pairs() const { return pairs_; }

  // Returns RenderDuplicateRuleset of the pairs in force.
  std::string Ruleset() const { return RenderDuplicateRuleset(pairs_, nodes_, table_); }

  const std::string& table() const { return table_; }

 private:
  NftContext nft_;      // the table, made once
  NftNetlink netlink_;  // every change after that, and counters
  DuplicateNodes nodes_;
  std::string table_;
  DuplicateMap pairs_;
};

}  // namespace schism::nemesis
