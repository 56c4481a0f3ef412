#pragma once
// Network partitions and packet loss applied with nftables on the hub's
// Linux bridge.
//
// The harness connects every node's namespace to one bridge in a hub
// namespace; node nK's veth end on the bridge is a bridge port (e.g. "vn3").
// NftPartitioner owns one table in the hub:
//
//   table bridge schism {
//     counter cut { }         # packets dropped between cut pairs
//     counter forwarded { }   # frames the bridge forwarded between node ports
//     set drop_pairs { type ifname . ifname; elements = { "vn1" . "vn3", ... } }
//     chain forward {
//       type filter hook forward priority 0; policy accept;
//       counter name "forwarded"
//       iifname . oifname @drop_pairs counter name "cut" drop
//     }
//     counter loss_30_seen { }      # packets of the pairs at 30 % loss
//     counter loss_30_dropped { }   # ... and those of them dropped
//     set loss_30 { type ifname . ifname; elements = { "vn1" . "vn2" } }
//     chain loss {
//       type filter hook forward priority 10; policy accept;
//       iifname . oifname @loss_30 counter name "loss_30_seen"
//           numgen random mod 100 < 30 counter name "loss_30_dropped" drop
//     }
//   }
//
// Loss is random per packet (the kernel's prandom via `numgen random`); this
// kernel has no sch_netem, so there is no delay, duplication or reordering
// here. The pairs that lose p % are the elements of loss_<p>, and one rule
// per distinct percent counts their packets in two named counters; the set's
// elements have no counters of their own. Setting loss on all 2,550 pairs of
// 51 nodes is one netlink batch of 2,550 elements, and reading it back is two
// counters (nft_netlink.h, ShareRules). The loss chain runs after the
// partition chain (priority 10 > 0), so a pair that is cut drops everything
// and its loss counters see nothing.
//
// A frame that enters the bridge on src's port and would leave on dst's port
// is dropped when (src port, dst port) is in the set, so a grudge's directed
// pair (src, dst) is enforced on the forwarding path between the two nodes
// (never on a node's OUTPUT, which would let the node see its own send fail).
// Flooded frames (ARP, unknown unicast) are filtered per output port too.
// A new grudge replaces the set's contents in one nftables transaction, so no
// packet ever sees half of the old grudge and half of the new one.

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>

#include "nemesis/grudge.h"
#include "nemesis/nft_context.h"
#include "nemesis/nft_netlink.h"
#include "nemesis/proof.h"

namespace schism::nemesis {

// Node name -> its bridge port's ifname, e.g. {"n1","vn1"}.
using PortMap = std::map<std::string, std::string>;

// The default name of the table this module owns in the hub.
inline constexpr std::string_view kNftTable = "schism";

// Returns the whole table, as `nft list table bridge <table>` would show it
// without counters, with the set holding the port pairs of `grudge` sorted by
// (src, dst) and an empty loss chain. Pure. Throws std::invalid_argument when
// the grudge names a node missing from `ports` or a port is not a valid
// ifname (1-15 characters of [A-Za-z0-9_.-]).
std::string RenderRuleset(const Grudge& grudge, const PortMap& ports,
                          std::string_view table = kNftTable);

// As above, with the loss of `loss`: for each percent in it, ascending, its
// two counters, its set of pairs (sorted by (src, dst)) and its rule in the
// loss chain; the counters' values are left out. Also throws std::invalid_argument for a percent
// outside 0..100.
std::string RenderRuleset(const Grudge& grudge, const LossMap& loss, const PortMap& ports,
                          std::string_view table = kNftTable);

// What the kernel holds and has counted for a grudge: the directed pairs its
// set holds (mapped back from ports to node names), the packets dropped
// between cut pairs, and every frame the bridge has forwarded between node
// ports, cut or not; both counters run from when the table was made, so a
// reader takes differences.
struct PartitionCount {
  std::set<std::pair<std::string, std::string>> pairs;
  std::uint64_t dropped = 0;
  std::uint64_t forwarded = 0;
};

// Returns the single transaction that makes the set hold exactly the pairs of
// `grudge`: "flush set ..." followed by one "add element ..." (omitted when
// the grudge is empty). Pure; throws like RenderRuleset.
std::string RenderApplyCommands(const Grudge& grudge, const PortMap& ports,
                                std::string_view table = kNftTable);

// Returns a short hex digest (FNV-1a, 64 bits, 16 hex digits) of `text`.
std::string Fnv1aHex(std::string_view text);

class NftPartitioner {
 public:
  // Installs the table (with an empty set) in the namespace of `hub_netns_fd`,
  // replacing a stale table of the same name in the same transaction. The fd
  // is duplicated, so the caller may close its own; commands run through an
  // NftContext bound to the hub (nft_context.h). Throws
  // NftError when nftables fails, std::system_error when the namespace cannot
  // be entered, std::invalid_argument for a bad port name.
  NftPartitioner(int hub_netns_fd, PortMap ports, std::string table = std::string(kNftTable));

  // Deletes the table; errors are ignored (the hub may already be gone).
  ~NftPartitioner();

  NftPartitioner(const NftPartitioner&) = delete;
  NftPartitioner& operator=(const NftPartitioner&) = delete;

  // Replaces the dropped pairs with exactly those of `grudge`, in one
  // transaction: a netlink batch that flushes the set and adds the pairs'
  // elements in binary (nft_netlink.h), as `nft -f` of RenderApplyCommands
  // would. On failure throws NftError and the previous grudge stays in force
  // (the transaction is all or nothing); std::invalid_argument, before
  // touching nft, for a node without a port.
  void Apply(const Grudge& grudge);

  // Drops nothing any more (one transaction); loss rules stay. Throws
  // NftError on failure.
  void Heal();

  // Replaces the loss in force with `loss`: of each directed pair's packets
  // (src's port -> dst's port on the bridge's forward path) `percent` % are
  // dropped at random, and its percent's two counters count the packets seen
  // and dropped from 0 (ReadLoss). One netlink batch, all or nothing: on
  // NftError the previous loss stays in force. Throws std::invalid_argument
  // (before touching nft) for a percent outside 0..100 ("loss 150% is
  // outside 0..100") or a node without a port.
  void SetLoss(const LossMap& loss);

  // Removes every loss rule and its sets (one transaction). Throws
  // NftError on failure.
  void ClearLoss();

  // Returns, for every percent of the loss in force, its pairs and the
  // packets they had seen and dropped since SetLoss (two named counters).
  // Empty when no loss is in force. Throws NftError on failure, or when a
  // counter is missing from the kernel.
  ShareCounts ReadLoss();

  // Reads the two counters and then the set from the kernel (three netlink
  // requests: nft_netlink.h). Throws NftError on failure, or when
  // the set holds a port that belongs to no node.
  PartitionCount ReadPartition();

  // Returns Fnv1aHex of the table as the kernel lists it, without counters:
  // a digest of what is in force, not of what was meant. Throws NftError.
  std::string KernelDigest();

  // Returns the grudge in force (empty after Heal).
  const Grudge& grudge() const { return grudge_; }

  // Returns the loss in force (empty after ClearLoss).
  const LossMap& Loss() const { return loss_; }

  // Returns the digest (Fnv1aHex) of RenderRuleset of the grudge and the
  // loss in force.
  std::string Digest() const { return Fnv1aHex(Ruleset()); }

  // Returns RenderRuleset of the grudge and the loss in force.
  std::string Ruleset() const { return RenderRuleset(grudge_, loss_, ports_, table_); }

  // Runs `commands` (nft syntax) in the hub and returns nft's output, e.g.
  // "list table bridge schism". Meant for tests and diagnostics. Throws
  // NftError on failure.
  std::string Run(const std::string& commands) { return nft_.Run(commands); }

  const std::string& table() const { return table_; }

 private:
  NftContext nft_;      // the table, made once; listings
  NftNetlink netlink_;  // every change after that, and counters
  PortMap ports_;
  std::map<std::string, std::string> node_of_port_;  // ports_ the other way round, for reads
  std::string table_;
  Grudge grudge_;
  LossMap loss_;
};

}  // namespace schism::nemesis
