#include "nemesis/nft.h"

#include "nemesis/nft_netlink.h"

#include <algorithm>
#include <unordered_map>
#include <cstdio>
#include <utility>
#include <vector>

namespace schism::nemesis {
namespace {

constexpr std::string_view kSet = "drop_pairs";
constexpr std::string_view kLossChain = "loss";
// Counts every frame the bridge forwards between two node ports, cut or not.
// Counts every packet the partition's rule drops, between any cut pair. The
// set's elements carry no counters of their own: dropping the per-element
// counters halved the install of a 101-node partition (20.6 -> 10.1 ms on a
// loaded machine) and cut a 51-node one from 6.7 to 1.5 ms.
constexpr std::string_view kCut = "cut";
constexpr std::string_view kForwarded = "forwarded";

void CheckPorts(const PortMap& ports) {
  for (const auto& [node, port] : ports) CheckIfname(port);
}

const std::string& PortOf(const PortMap& ports, const std::string& node) {
  auto it = ports.find(node);
  if (it == ports.end()) {
    throw std::invalid_argument("nft: node " + node + " has no bridge port");
  }
  return it->second;
}

// A set's elements for port pairs, e.g. "vn1" . "vn3", "vn3" . "vn1"; empty
// when there are none.
template <typename Pairs>
std::string PairElements(const PortMap& ports, const Pairs& pairs) {
  std::string out;
  for (const auto& [src, dst] : pairs) {
    if (!out.empty()) out += ", ";
    out += '"' + PortOf(ports, src) + "\" . \"" + PortOf(ports, dst) + '"';
  }
  return out;
}

std::string SetRef(std::string_view table) {
  return "bridge " + std::string(table) + " " + std::string(kSet);
}

// The match that selects `percent` % of packets, followed by a space; empty
// for 100 (every packet). numgen yields 0..99 uniformly, so "< percent" takes
// percent % of them; nft rejects "< 100" as out of range, hence the special
// case. Callers add no drop rule at all for 0.
std::string RandomDrop(int percent) {
  if (percent >= 100) return "";
  return "numgen random mod 100 < " + std::to_string(percent) + " ";
}

// Loss is kept per percent: the pairs that lose p % are the elements of two
// sets, loss_<p> counting every packet of a pair that reaches the loss chain
// and lost_<p> (none for 0 %) counting those dropped; one rule per percent
// looks a packet's pair up in both. Set-up and read-back cost a few set
// elements per pair, not a rule and two named counters.
std::string SeenSet(int percent) { return "loss_" + std::to_string(percent); }
std::string DroppedSet(int percent) { return "lost_" + std::to_string(percent); }

std::map<int, std::vector<std::pair<std::string, std::string>>> ByPercent(const LossMap& loss) {
  std::map<int, std::vector<std::pair<std::string, std::string>>> groups;
  for (const auto& [pair, percent] : loss) groups[percent].push_back(pair);
  return groups;
}

// A set of port pairs whose elements count what they match.
std::string SetBlock(std::string_view name, const std::string& elements, bool counted) {
  std::string out = "\tset " + std::string(name) + " {\n";
  out += "\t\ttype ifname . ifname\n";
  if (counted) out += "\t\tcounter\n";
  if (!elements.empty()) out += "\t\telements = { " + elements + " }\n";
  out += "\t}\n\n";
  return out;
}

// The loss chain's rule for one percent: count the pair's packet, then drop
// `percent` % of them, counted again.
std::string LossRule(int percent) {
  const std::string seen = "iifname . oifname @" + SeenSet(percent);
  if (percent == 0) return seen;
  return seen + " " + RandomDrop(percent) + "iifname . oifname @" + DroppedSet(percent) + " drop";
}

// One element of a set of port pairs as nft lists it in JSON,
// The pair of nodes whose bridge ports an element of `set` holds.
std::pair<std::string, std::string> NodePair(const CountedPortPair& element,
                                             const std::map<std::string, std::string>& node_of,
                                             const std::string& set) {
  const auto node = [&](const std::string& port) {
    const auto it = node_of.find(port);
    if (it == node_of.end()) {
      throw NftError("nft: set " + set + " holds port \"" + port + "\", which belongs to no node");
    }
    return it->second;
  };
  return {node(element.in_port), node(element.out_port)};
}

void CheckLoss(const LossMap& loss, const PortMap& ports) {
  for (const auto& [pair, percent] : loss) {
    CheckLossPercent(percent);
    PortOf(ports, pair.first);
    PortOf(ports, pair.second);
  }
}

}  // namespace

std::string RenderRuleset(const Grudge& grudge, const PortMap& ports, std::string_view table) {
  return RenderRuleset(grudge, LossMap{}, ports, table);
}

std::string RenderRuleset(const Grudge& grudge, const LossMap& loss, const PortMap& ports,
                          std::string_view table) {
  CheckPorts(ports);
  CheckLoss(loss, ports);
  const std::string elements = PairElements(ports, grudge.drops);
  std::string out = "table bridge " + std::string(table) + " {\n";
  out += "\tcounter " + std::string(kCut) + " {\n\t}\n\n";
  out += "\tcounter " + std::string(kForwarded) + " {\n\t}\n\n";
  out += SetBlock(kSet, elements, /*counted=*/false);
  const auto groups = ByPercent(loss);
  for (const auto& [percent, pairs] : groups) {
    const std::string members = PairElements(ports, pairs);
    out += SetBlock(SeenSet(percent), members, /*counted=*/true);
    if (percent > 0) out += SetBlock(DroppedSet(percent), members, /*counted=*/true);
  }
  out += "\tchain forward {\n";
  out += "\t\ttype filter hook forward priority 0; policy accept;\n";
  out += "\t\tcounter name \"" + std::string(kForwarded) + "\"\n";
  out += "\t\tiifname . oifname @" + std::string(kSet) + " counter name \"" + std::string(kCut) +
         "\" drop\n";
  out += "\t}\n\n";
  out += "\tchain " + std::string(kLossChain) + " {\n";
  out += "\t\ttype filter hook forward priority 10; policy accept;\n";
  for (const auto& [percent, pairs] : groups) out += "\t\t" + LossRule(percent) + "\n";
  out += "\t}\n}\n";
  return out;
}

std::string RenderApplyCommands(const Grudge& grudge, const PortMap& ports,
                                std::string_view table) {
  CheckPorts(ports);
  const std::string elements = PairElements(ports, grudge.drops);
  std::string out = "flush set " + SetRef(table) + "\n";
  if (!elements.empty()) out += "add element " + SetRef(table) + " { " + elements + " }\n";
  return out;
}

std::string Fnv1aHex(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

NftPartitioner::NftPartitioner(int hub_netns_fd, PortMap ports, std::string table)
    : nft_(hub_netns_fd),
      netlink_(hub_netns_fd, table),
      ports_(std::move(ports)),
      table_(std::move(table)) {
  CheckPorts(ports_);
  for (const auto& [node, port] : ports_) node_of_port_[port] = node;
  CheckIfname(table_);  // Table names follow the same safe alphabet.
  const Grudge healed;
  const std::string ruleset = RenderRuleset(healed, ports_, table_);
  // "add" then "delete" makes a stale table from an earlier run disappear
  // without failing when there is none; all three steps are one transaction.
  Run("add table bridge " + table_ + "\ndelete table bridge " + table_ + "\n" + ruleset);
}

NftPartitioner::~NftPartitioner() {
  try {
    Run("delete table bridge " + table_);
  } catch (...) {
    // The hub may be gone or the table removed by hand: nothing left to undo.
  }
}

void NftPartitioner::Apply(const Grudge& grudge) {
  std::vector<NftNetlink::PortPair> pairs;
  pairs.reserve(grudge.drops.size());
  for (const auto& [src, dst] : grudge.drops) {
    pairs.emplace_back(PortOf(ports_, src), PortOf(ports_, dst));  // throws for a stranger
  }
  netlink_.ReplacePortPairs(std::string(kSet), pairs);
  grudge_ = grudge;
}

void NftPartitioner::Heal() { Apply(Grudge{}); }

void NftPartitioner::SetLoss(const LossMap& loss) {
  CheckLoss(loss, ports_);  // before touching nft
  const std::string chain = "bridge " + table_ + " " + std::string(kLossChain);
  const auto set = [&](const std::string& name) { return "bridge " + table_ + " " + name; };
  const auto old_groups = ByPercent(loss_);
  const auto groups = ByPercent(loss);
  // The rules go first, so that no set is in use when it is deleted. A set
  // that stays is flushed, not deleted and made again under the same name in
  // one transaction; its elements come back with fresh counters.
  std::string commands = "flush chain " + chain + "\n";
  std::vector<std::string> sets_before, sets_after;
  for (const auto& [percent, pairs] : old_groups) {
    sets_before.push_back(SeenSet(percent));
    if (percent > 0) sets_before.push_back(DroppedSet(percent));
  }
  for (const auto& [percent, pairs] : groups) {
    sets_after.push_back(SeenSet(percent));
    if (percent > 0) sets_after.push_back(DroppedSet(percent));
  }
  for (const std::string& name : sets_before) {
    const bool stays = std::find(sets_after.begin(), sets_after.end(), name) != sets_after.end();
    commands += (stays ? "flush set " : "delete set ") + set(name) + "\n";
  }
  for (const auto& [percent, pairs] : groups) {
    const std::string elements = PairElements(ports_, pairs);
    for (const std::string& name : {SeenSet(percent), DroppedSet(percent)}) {
      if (percent == 0 && name == DroppedSet(percent)) continue;
      if (std::find(sets_before.begin(), sets_before.end(), name) == sets_before.end()) {
        commands += "add set " + set(name) + " { type ifname . ifname; counter; }\n";
      }
      commands += "add element " + set(name) + " { " + elements + " }\n";
    }
    commands += "add rule " + chain + " " + LossRule(percent) + "\n";
  }
  Run(commands);
  loss_ = loss;
}

void NftPartitioner::ClearLoss() { SetLoss(LossMap{}); }

LossCounts NftPartitioner::ReadLoss() {
  LossCounts counts;
  if (loss_.empty()) return counts;
  // Each pair's counts, found by the ports an element holds ("vn1.vn2"):
  // a hash lookup per element, where 5,100 elements make it the hot loop.
  struct Slot {
    const std::pair<std::string, std::string>* pair;
    LossCount* count;
    bool in_kernel = false;
  };
  std::unordered_map<std::string, Slot> by_ports;
  by_ports.reserve(loss_.size());
  for (const auto& [pair, percent] : loss_) {
    LossCount& count = counts.emplace_hint(counts.end(), pair, LossCount{percent, 0, 0})->second;
    by_ports.emplace(PortOf(ports_, pair.first) + "." + PortOf(ports_, pair.second),
                     Slot{&pair, &count});
  }
  for (const auto& [percent, pairs] : ByPercent(loss_)) {
    for (const std::string& name : {SeenSet(percent), DroppedSet(percent)}) {
      if (percent == 0 && name == DroppedSet(percent)) continue;
      const bool seen = name == SeenSet(percent);
      for (const CountedPortPair& element : netlink_.PortPairs(name)) {
        const auto it = by_ports.find(element.in_port + "." + element.out_port);
        if (it == by_ports.end() || it->second.count->percent != percent) {
          const auto pair = NodePair(element, node_of_port_, name);
          throw NftError("nft: set " + name + " holds " + pair.first + " -> " + pair.second +
                         ", a pair without " + std::to_string(percent) + "% loss");
        }
        (seen ? it->second.count->seen : it->second.count->dropped) = element.packets;
        if (seen) it->second.in_kernel = true;
      }
    }
  }
  for (const auto& [ports, slot] : by_ports) {
    if (!slot.in_kernel) {
      throw NftError("nft: loss of " + slot.pair->first + " -> " + slot.pair->second +
                     " is missing from table " + table_);
    }
  }
  return counts;
}

PartitionCount NftPartitioner::ReadPartition() {
  PartitionCount count;
  count.forwarded = netlink_.CounterPackets(std::string(kForwarded));
  count.dropped = netlink_.CounterPackets(std::string(kCut));
  const std::string set(kSet);
  for (const CountedPortPair& element : netlink_.PortPairs(set)) {
    count.pairs.insert(NodePair(element, node_of_port_, set));
  }
  return count;
}

std::string NftPartitioner::KernelDigest() {
  return Fnv1aHex(nft_.RunStateless("list table bridge " + table_));
}

}  // namespace schism::nemesis
