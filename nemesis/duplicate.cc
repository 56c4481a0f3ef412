#include "nemesis/duplicate.h"

#include <arpa/inet.h>

#include <cstdio>
#include <stdexcept>

namespace schism::nemesis {
namespace {

std::string PairName(const std::pair<std::string, std::string>& pair) {
  return pair.first + "->" + pair.second;
}

std::string NodeList(const DuplicateNodes& nodes) {
  std::string list;
  for (const auto& [name, node] : nodes) list += (list.empty() ? "" : " ") + name;
  return list;
}

std::string MarkHex() {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(kDuplicateMark));
  return buf;
}

constexpr std::string_view kChain = "copies";

ShareRules DuplicateRules() {
  ShareRules rules;
  rules.chain = std::string(kChain);
  rules.prefix = "dup";
  rules.hit = "duplicated";
  rules.key = ShareRules::Key::kIpv4AddressesAndPort;
  rules.action = ShareRules::Action::kDuplicate;
  rules.mark = kDuplicateMark;
  return rules;
}

// The chain's hook, on the egress of every node's port.
std::string ChainHook(const DuplicateNodes& nodes) {
  std::string devices;
  for (const auto& [name, node] : nodes) devices += (devices.empty() ? "" : ", ") + node.port;
  return "type filter hook egress devices = { " + devices + " } priority filter; policy accept;";
}

}  // namespace

void CheckDuplicates(const DuplicateMap& pairs, const DuplicateNodes& nodes) {
  for (const auto& [name, node] : nodes) {
    CheckIfname(node.port);
    in_addr parsed{};
    if (::inet_pton(AF_INET, node.address.c_str(), &parsed) != 1) {
      throw std::invalid_argument("duplicate: node " + name + "'s address \"" + node.address +
                                  "\" is not an IPv4 address");
    }
  }
  for (const auto& [pair, percent] : pairs) {
    const std::string where = "duplicate " + PairName(pair) + ": ";
    for (const std::string& node : {pair.first, pair.second}) {
      if (nodes.count(node) == 0) {
        throw std::invalid_argument(where + "unknown node \"" + node +
                                    "\" (nodes: " + NodeList(nodes) + ")");
      }
    }
    if (pair.first == pair.second) {
      throw std::invalid_argument(where + "a node cannot duplicate to itself");
    }
    if (percent < 1 || percent > 100) {
      throw std::invalid_argument(where + std::to_string(percent) + "% is outside 1..100");
    }
  }
}

std::string RenderDuplicateRuleset(const DuplicateMap& pairs, const DuplicateNodes& nodes,
                                   std::string_view table) {
  CheckDuplicates(pairs, nodes);
  CheckIfname(std::string(table));  // Table names follow the same safe alphabet.
  const ShareRules rules = DuplicateRules();
  const auto groups = ByPercent(pairs);
  std::string out = "table netdev " + std::string(table) + " {\n";
  for (const auto& [percent, members] : groups) {
    for (const std::string& counter : {rules.SeenCounter(percent), rules.HitCounter(percent)}) {
      out += "\tcounter " + counter + " {\n\t}\n\n";
    }
  }
  for (const auto& [percent, members] : groups) {
    std::string elements;
    for (const auto& [src, dst] : members) {
      elements += (elements.empty() ? "" : ", ") + nodes.at(src).address + " . " +
                  nodes.at(dst).address + " . \"" + nodes.at(dst).port + "\"";
    }
    out += "\tset " + rules.SetName(percent) + " {\n\t\ttype ipv4_addr . ipv4_addr . ifname\n";
    out += "\t\tsize " + std::to_string(members.size()) + "\n";
    out += "\t\telements = { " + elements + " }\n\t}\n\n";
  }
  out += "\tchain " + std::string(kChain) + " {\n\t\t" + ChainHook(nodes) + "\n";
  for (const auto& [percent, members] : groups) {
    // numgen yields 0..99 uniformly; nft rejects "< 100", so 100 % has no numgen.
    const std::string random =
        percent >= 100 ? "" : "numgen random mod 100 < " + std::to_string(percent) + " ";
    out += "\t\tmeta mark != " + MarkHex() + " ip saddr . ip daddr . oifname @" +
           rules.SetName(percent) + " counter name \"" + rules.SeenCounter(percent) + "\" " +
           random + "counter name \"" + rules.HitCounter(percent) + "\" meta mark set " +
           MarkHex() + " dup to oif\n";
  }
  out += "\t}\n}\n";
  return out;
}

PacketDuplicator::PacketDuplicator(int hub_netns_fd, DuplicateNodes nodes, std::string table)
    : nft_(hub_netns_fd),
      netlink_(hub_netns_fd, table, kNftNetdev),
      nodes_(std::move(nodes)),
      table_(std::move(table)) {
  CheckDuplicates(DuplicateMap{}, nodes_);
  CheckIfname(table_);
  // "add" then "delete" removes a stale table of the same name (or none);
  // the new one replaces it in the same transaction.
  nft_.Run("add table netdev " + table_ + "\ndelete table netdev " + table_ + "\ntable netdev " +
           table_ + " {\n\tchain " + std::string(kChain) + " {\n\t\t" + ChainHook(nodes_) +
           "\n\t}\n}\n");
}

PacketDuplicator::~PacketDuplicator() {
  try {
    nft_.Run("delete table netdev " + table_);
  } catch (...) {
    // The hub may be gone or the table removed by hand: nothing left to undo.
  }
}

void PacketDuplicator::Set(const DuplicateMap& pairs) {
  CheckDuplicates(pairs, nodes_);  // before touching nft
  const ShareRules rules = DuplicateRules();
  netlink_.ReplaceShares(rules, pairs_, pairs, [&](const DirectedPair& pair) {
    const DuplicateNode& dst = nodes_.at(pair.second);
    return rules.MakeKey(nodes_.at(pair.first).address, dst.address, dst.port);
  });
  pairs_ = pairs;
}

ShareCounts PacketDuplicator::ReadCounts() { return netlink_.ReadShares(DuplicateRules(), pairs_); }

}  // namespace schism::nemesis
