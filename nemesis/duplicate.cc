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

std::string CounterName(std::size_t i, const char* what) {
  return "dup_" + std::to_string(i) + "_" + what;
}

// The match of one pair's IPv4 packets, e.g. ip saddr 10.241.0.1 ip daddr 10.241.0.2.
std::string PairMatch(const DuplicateNode& src, const DuplicateNode& dst) {
  return "ip saddr " + src.address + " ip daddr " + dst.address;
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
  std::string counters;
  std::map<std::string, std::string> rules_into;  // dst -> the rules of its chain
  std::size_t i = 0;
  for (const auto& [pair, percent] : pairs) {
    const std::string seen = CounterName(i, "seen");
    const std::string dup = CounterName(i, "dup");
    ++i;
    counters += "\tcounter " + seen + " {\n\t}\n";
    counters += "\tcounter " + dup + " {\n\t}\n";
    const DuplicateNode& dst = nodes.at(pair.second);
    const std::string match = PairMatch(nodes.at(pair.first), dst);
    // numgen yields 0..99 uniformly; nft rejects "< 100", so 100 % has no numgen.
    const std::string random =
        percent >= 100 ? "" : "numgen random mod 100 < " + std::to_string(percent) + " ";
    std::string& rules = rules_into[pair.second];
    rules += "\t\t" + match + " counter name \"" + seen + "\"\n";
    rules += "\t\t" + match + " " + random + "counter name \"" + dup + "\" meta mark set " +
             MarkHex() + " dup to \"" + dst.port + "\"\n";
  }
  std::string out = "table netdev " + std::string(table) + " {\n" + counters;
  for (const auto& [dst, rules] : rules_into) {
    const std::string& port = nodes.at(dst).port;
    out += "\n\tchain to_" + port + " {\n";
    out += "\t\ttype filter hook egress device \"" + port + "\" priority 0; policy accept;\n";
    out += "\t\tmeta mark " + MarkHex() + " accept\n";
    out += rules;
    out += "\t}\n";
  }
  out += "}\n";
  return out;
}

PacketDuplicator::PacketDuplicator(int hub_netns_fd, DuplicateNodes nodes, std::string table)
    : nft_(hub_netns_fd), nodes_(std::move(nodes)), table_(std::move(table)) {
  Set(DuplicateMap{});
}

PacketDuplicator::~PacketDuplicator() {
  try {
    nft_.Run("delete table netdev " + table_);
  } catch (...) {
    // The hub may be gone or the table removed by hand: nothing left to undo.
  }
}

void PacketDuplicator::Set(const DuplicateMap& pairs) {
  std::string ruleset = RenderDuplicateRuleset(pairs, nodes_, table_);  // Validates first.
  // "add" then "delete" removes the old table (or a stale one, or none) with
  // its chains and counters; the new one replaces it in the same transaction.
  nft_.Run("add table netdev " + table_ + "\ndelete table netdev " + table_ + "\n" + ruleset);
  pairs_ = pairs;
  ruleset_ = std::move(ruleset);
}

DuplicateCounts PacketDuplicator::ReadCounts() {
  DuplicateCounts counts;
  if (pairs_.empty()) return counts;
  const nlohmann::json listing = nft_.RunJson("list counters table netdev " + table_);
  std::map<std::string, std::uint64_t> packets;
  for (const auto& item : listing.value("nftables", nlohmann::json::array())) {
    const auto it = item.find("counter");
    if (it == item.end()) continue;
    packets[it->value("name", "")] = it->value("packets", std::uint64_t{0});
  }
  std::size_t i = 0;
  for (const auto& [pair, percent] : pairs_) {
    const auto seen = packets.find(CounterName(i, "seen"));
    const auto dup = packets.find(CounterName(i, "dup"));
    if (seen == packets.end() || dup == packets.end()) {
      throw NftError("nft: duplicate counter dup_" + std::to_string(i) +
                     "_* is missing from table " + table_);
    }
    counts[pair] = DuplicateCount{percent, seen->second, dup->second};
    ++i;
  }
  return counts;
}

}  // namespace schism::nemesis
