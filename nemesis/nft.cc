#include "nemesis/nft.h"

#include <cstdio>
#include <utility>

namespace schism::nemesis {
namespace {

constexpr std::string_view kSet = "drop_pairs";
constexpr std::string_view kLossChain = "loss";
// Counts every frame the bridge forwards between two node ports, cut or not.
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

// The set's elements, e.g. "vn1" . "vn3", "vn3" . "vn1"; empty when nothing drops.
std::string Elements(const Grudge& grudge, const PortMap& ports) {
  std::string out;
  for (const auto& [src, dst] : grudge.drops) {
    if (!out.empty()) out += ", ";
    out += '"' + PortOf(ports, src) + "\" . \"" + PortOf(ports, dst) + '"';
  }
  return out;
}

std::string SetRef(std::string_view table) {
  return "bridge " + std::string(table) + " " + std::string(kSet);
}

// The match of one directed pair on the bridge, e.g. iifname "vn1" oifname "vn2".
std::string PairMatch(const PortMap& ports, const std::pair<std::string, std::string>& pair) {
  return "iifname \"" + PortOf(ports, pair.first) + "\" oifname \"" + PortOf(ports, pair.second) +
         "\"";
}

// The match that selects `percent` % of packets, followed by a space; empty
// for 100 (every packet). numgen yields 0..99 uniformly, so "< percent" takes
// percent % of them; nft rejects "< 100" as out of range, hence the special
// case. Callers add no drop rule at all for 0.
std::string RandomDrop(int percent) {
  if (percent >= 100) return "";
  return "numgen random mod 100 < " + std::to_string(percent) + " ";
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
  const std::string elements = Elements(grudge, ports);
  std::string out = "table bridge " + std::string(table) + " {\n";
  out += "\tcounter " + std::string(kForwarded) + " {\n\t}\n\n";
  out += "\tset " + std::string(kSet) + " {\n";
  out += "\t\ttype ifname . ifname\n";
  out += "\t\tcounter\n";
  if (!elements.empty()) out += "\t\telements = { " + elements + " }\n";
  out += "\t}\n\n";
  out += "\tchain forward {\n";
  out += "\t\ttype filter hook forward priority 0; policy accept;\n";
  out += "\t\tcounter name \"" + std::string(kForwarded) + "\"\n";
  out += "\t\tiifname . oifname @" + std::string(kSet) + " counter drop\n";
  out += "\t}\n\n";
  out += "\tchain " + std::string(kLossChain) + " {\n";
  out += "\t\ttype filter hook forward priority 10; policy accept;\n";
  for (const auto& [pair, percent] : loss) {
    if (percent > 0) out += "\t\t" + PairMatch(ports, pair) + " " + RandomDrop(percent) + "drop\n";
  }
  out += "\t}\n}\n";
  return out;
}

std::string RenderApplyCommands(const Grudge& grudge, const PortMap& ports,
                                std::string_view table) {
  CheckPorts(ports);
  const std::string elements = Elements(grudge, ports);
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
    : nft_(hub_netns_fd), ports_(std::move(ports)), table_(std::move(table)) {
  CheckPorts(ports_);
  CheckIfname(table_);  // Table names follow the same safe alphabet.
  const Grudge healed;
  const std::string ruleset = RenderRuleset(healed, ports_, table_);
  // "add" then "delete" makes a stale table from an earlier run disappear
  // without failing when there is none; all three steps are one transaction.
  Run("add table bridge " + table_ + "\ndelete table bridge " + table_ + "\n" + ruleset);
  ruleset_ = ruleset;
}

NftPartitioner::~NftPartitioner() {
  try {
    Run("delete table bridge " + table_);
  } catch (...) {
    // The hub may be gone or the table removed by hand: nothing left to undo.
  }
}

void NftPartitioner::Apply(const Grudge& grudge) {
  std::string ruleset = RenderRuleset(grudge, loss_, ports_, table_);
  Run(RenderApplyCommands(grudge, ports_, table_));
  grudge_ = grudge;
  ruleset_ = std::move(ruleset);
}

void NftPartitioner::Heal() { Apply(Grudge{}); }

void NftPartitioner::SetLoss(const LossMap& loss) {
  std::string ruleset = RenderRuleset(grudge_, loss, ports_, table_);  // Validates first.
  const std::string chain = "bridge " + table_ + " " + std::string(kLossChain);
  const std::uint64_t generation = loss_generation_ + 1;
  // Fresh counter names every time: deleting and re-adding one name in one
  // transaction is not something to rely on, and fresh counters start at 0.
  const auto counter = [&](std::uint64_t gen, std::size_t i, const char* what) {
    return "loss" + std::to_string(gen) + "_" + std::to_string(i) + "_" + what;
  };
  std::string commands = "flush chain " + chain + "\n";
  for (const auto& [pair, i] : loss_index_) {
    for (const char* what : {"seen", "drop"}) {
      commands +=
          "delete counter bridge " + table_ + " " + counter(loss_generation_, i, what) + "\n";
    }
  }
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& [pair, percent] : loss) {
    const std::size_t i = index.size();
    index[pair] = i;
    const std::string seen = counter(generation, i, "seen");
    const std::string drop = counter(generation, i, "drop");
    commands += "add counter bridge " + table_ + " " + seen + "\n";
    commands += "add counter bridge " + table_ + " " + drop + "\n";
    const std::string match = PairMatch(ports_, pair);
    commands += "add rule " + chain + " " + match + " counter name \"" + seen + "\"\n";
    if (percent > 0) {
      commands += "add rule " + chain + " " + match + " " + RandomDrop(percent) +
                  "counter name \"" + drop + "\" drop\n";
    }
  }
  Run(commands);
  loss_ = loss;
  loss_index_ = std::move(index);
  loss_generation_ = generation;
  ruleset_ = std::move(ruleset);
}

void NftPartitioner::ClearLoss() { SetLoss(LossMap{}); }

LossCounts NftPartitioner::ReadLoss() {
  LossCounts counts;
  if (loss_.empty()) return counts;
  const nlohmann::json listing = nft_.RunJson("list counters table bridge " + table_);
  std::map<std::string, std::uint64_t> packets;
  for (const auto& item : listing.value("nftables", nlohmann::json::array())) {
    const auto it = item.find("counter");
    if (it == item.end()) continue;
    packets[it->value("name", "")] = it->value("packets", std::uint64_t{0});
  }
  const std::string prefix = "loss" + std::to_string(loss_generation_) + "_";
  for (const auto& [pair, i] : loss_index_) {
    LossCount& count = counts[pair];
    count.percent = loss_.at(pair);
    const std::string base = prefix + std::to_string(i) + "_";
    const auto seen = packets.find(base + "seen");
    const auto dropped = packets.find(base + "drop");
    if (seen == packets.end() || dropped == packets.end()) {
      throw NftError("nft: loss counter " + base + "* is missing from table " + table_);
    }
    count.seen = seen->second;
    count.dropped = dropped->second;
  }
  return counts;
}

PartitionCount NftPartitioner::ReadPartition() {
  std::map<std::string, std::string> node_of;
  for (const auto& [node, port] : ports_) node_of[port] = node;
  const auto node = [&](const nlohmann::json& port) {
    const auto it = node_of.find(port.is_string() ? port.get<std::string>() : "");
    if (it == node_of.end()) {
      throw NftError("nft: set " + std::string(kSet) + " holds port " + port.dump() +
                     ", which belongs to no node");
    }
    return it->second;
  };
  const nlohmann::json listing = nft_.RunJson("list table bridge " + table_);
  PartitionCount count;
  for (const auto& item : listing.value("nftables", nlohmann::json::array())) {
    if (const auto c = item.find("counter"); c != item.end() && c->value("name", "") == kForwarded) {
      count.forwarded = c->value("packets", std::uint64_t{0});
    }
    const auto set = item.find("set");
    if (set == item.end() || set->value("name", "") != kSet) continue;
    for (const auto& entry : set->value("elem", nlohmann::json::array())) {
      // {"elem":{"val":{"concat":[src,dst]},"counter":{...}}}, or a bare value.
      const nlohmann::json& elem = entry.contains("elem") ? entry["elem"] : entry;
      const nlohmann::json& value = elem.contains("val") ? elem["val"] : elem;
      const nlohmann::json ports = value.value("concat", nlohmann::json::array());
      if (ports.size() != 2) throw NftError("nft: unexpected set element " + entry.dump());
      const std::pair<std::string, std::string> pair{node(ports[0]), node(ports[1])};
      count.pairs.insert(pair);
      if (elem.contains("counter")) {
        count.dropped[pair] = elem["counter"].value("packets", std::uint64_t{0});
      }
    }
  }
  return count;
}

std::string NftPartitioner::KernelDigest() {
  return Fnv1aHex(nft_.RunStateless("list table bridge " + table_));
}

}  // namespace schism::nemesis
