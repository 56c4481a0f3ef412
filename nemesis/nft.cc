#include "nemesis/nft.h"

#include <algorithm>
#include <cstdio>
#include <utility>
#include <vector>

#include "nemesis/nft_netlink.h"

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

// Loss is kept per percent (ShareRules in nft_netlink.h): the pairs that
// lose p % are the elements of the set loss_<p>, and one rule per percent
// counts their packets in loss_<p>_seen and drops p % of them, counted in
// loss_<p>_dropped.
ShareRules LossRules() {
  ShareRules rules;
  rules.chain = std::string(kLossChain);
  rules.prefix = "loss";
  rules.hit = "dropped";
  return rules;
}

// A set of port pairs, sized for `size` of them (0: unbounded).
std::string SetBlock(std::string_view name, const std::string& elements, std::size_t size) {
  std::string out = "\tset " + std::string(name) + " {\n";
  out += "\t\ttype ifname . ifname\n";
  if (size > 0) out += "\t\tsize " + std::to_string(size) + "\n";
  if (!elements.empty()) out += "\t\telements = { " + elements + " }\n";
  out += "\t}\n\n";
  return out;
}

std::string CounterBlock(std::string_view name) {
  return "\tcounter " + std::string(name) + " {\n\t}\n\n";
}

// The loss chain's rule for one percent, as nft lists it.
std::string LossRule(const ShareRules& rules, int percent) {
  std::string out = "iifname . oifname @" + rules.SetName(percent) + " counter name \"" +
                    rules.SeenCounter(percent) + "\"";
  if (percent == 0) return out;
  return out + " " + RandomDrop(percent) + "counter name \"" + rules.HitCounter(percent) +
         "\" drop";
}

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
  const ShareRules rules = LossRules();
  const auto groups = ByPercent(loss);
  std::string out = "table bridge " + std::string(table) + " {\n";
  out += CounterBlock(kCut) + CounterBlock(kForwarded);
  for (const auto& [percent, pairs] : groups) {
    out += CounterBlock(rules.SeenCounter(percent));
    if (percent > 0) out += CounterBlock(rules.HitCounter(percent));
  }
  // Sized for every directed pair, so the kernel makes its hash table whole
  // at once instead of growing it while a large partition goes in.
  out += SetBlock(kSet, elements, ports.size() * (ports.size() - 1));
  for (const auto& [percent, pairs] : groups) {
    out += SetBlock(rules.SetName(percent), PairElements(ports, pairs), pairs.size());
  }
  out += "\tchain forward {\n";
  out += "\t\ttype filter hook forward priority 0; policy accept;\n";
  out += "\t\tcounter name \"" + std::string(kForwarded) + "\"\n";
  out += "\t\tiifname . oifname @" + std::string(kSet) + " counter name \"" + std::string(kCut) +
         "\" drop\n";
  out += "\t}\n\n";
  out += "\tchain " + std::string(kLossChain) + " {\n";
  out += "\t\ttype filter hook forward priority 10; policy accept;\n";
  for (const auto& [percent, pairs] : groups) out += "\t\t" + LossRule(rules, percent) + "\n";
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
  const ShareRules rules = LossRules();
  netlink_.ReplaceShares(rules, loss_, loss, [&](const DirectedPair& pair) {
    return rules.MakeKey(PortOf(ports_, pair.first), PortOf(ports_, pair.second));
  });
  loss_ = loss;
}

void NftPartitioner::ClearLoss() { SetLoss(LossMap{}); }

ShareCounts NftPartitioner::ReadLoss() { return netlink_.ReadShares(LossRules(), loss_); }

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
