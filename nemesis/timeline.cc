// Names and the timeline.json format of schedule.h.
#include <array>
#include <stdexcept>
#include <utility>

#include "nemesis/schedule.h"

namespace schism::nemesis {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 4> kOpNames = {{
    {OpKind::kPartition, "partition"},
    {OpKind::kHeal, "heal"},
    {OpKind::kKill, "kill"},
    {OpKind::kRestart, "restart"},
}};
constexpr std::array<std::pair<GrudgeKind, std::string_view>, 6> kGrudgeNames = {{
    {GrudgeKind::kHalves, "halves"},
    {GrudgeKind::kOne, "one"},
    {GrudgeKind::kIsolateLeader, "isolate-leader"},
    {GrudgeKind::kMajoritiesRing, "majorities-ring"},
    {GrudgeKind::kBridge, "bridge"},
    {GrudgeKind::kComponents, "components"},
}};
constexpr std::array<std::pair<KillTarget, std::string_view>, 4> kTargetNames = {{
    {KillTarget::kRandom, "random"},
    {KillTarget::kLeader, "leader"},
    {KillTarget::kVoter, "voter"},
    {KillTarget::kNode, "node"},
}};

template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

template <typename E, std::size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, std::string_view>, N>& names,
                         std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return std::nullopt;
}

// Reads one timeline entry; `where` prefixes every error ("timeline[3]: ").
class EntryReader {
 public:
  EntryReader(const nlohmann::json& entry, std::string where)
      : entry_(entry), where_(std::move(where)) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw std::invalid_argument(where_ + what);
  }

  std::string String(const char* key) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
    if (!it->is_string()) Fail(std::string("\"") + key + "\" must be a string");
    return it->get<std::string>();
  }

  double Number(const char* key, std::optional<double> fallback) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) {
      if (!fallback) Fail(std::string("missing \"") + key + "\"");
      return *fallback;
    }
    if (!it->is_number()) Fail(std::string("\"") + key + "\" must be a number");
    const double value = it->get<double>();
    if (value < 0) Fail(std::string("\"") + key + "\" must not be negative");
    return value;
  }

  bool Has(const char* key) const { return entry_.contains(key); }

  Components ComponentList() const {
    const auto it = entry_.find("components");
    if (it == entry_.end()) Fail("missing \"components\"");
    if (!it->is_array()) Fail("\"components\" must be an array of arrays of node names");
    Components components;
    for (const auto& group : *it) {
      if (!group.is_array()) Fail("\"components\" must be an array of arrays of node names");
      std::vector<std::string> names;
      for (const auto& name : group) {
        if (!name.is_string()) Fail("\"components\" must be an array of arrays of node names");
        names.push_back(name.get<std::string>());
      }
      components.push_back(std::move(names));
    }
    return components;
  }

 private:
  const nlohmann::json& entry_;
  std::string where_;
};

}  // namespace

std::string_view ToString(OpKind kind) { return NameOf(kOpNames, kind); }
std::string_view ToString(GrudgeKind kind) { return NameOf(kGrudgeNames, kind); }
std::string_view ToString(KillTarget target) { return NameOf(kTargetNames, target); }

bool IsNonTransitive(GrudgeKind kind) {
  return kind == GrudgeKind::kMajoritiesRing || kind == GrudgeKind::kBridge;
}

nlohmann::json ToJson(const Op& op) {
  nlohmann::json out = {{"t", op.offset_s}, {"f", ToString(op.kind)}};
  switch (op.kind) {
    case OpKind::kPartition:
      out["grudge"] = ToString(op.grudge);
      if (op.grudge == GrudgeKind::kComponents) out["components"] = op.components;
      break;
    case OpKind::kKill:
      out["target"] = ToString(op.target);
      if (op.target == KillTarget::kNode) out["node"] = op.node;
      out["signal"] = op.signal;
      out["restart_after"] = op.restart_after_s;
      if (op.target == KillTarget::kVoter) out["voter_wait"] = op.voter_wait_s;
      break;
    case OpKind::kRestart:
      if (!op.node.empty()) out["node"] = op.node;
      break;
    case OpKind::kHeal:
      break;
  }
  return out;
}

nlohmann::json ToJson(const std::vector<Op>& ops) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& op : ops) out.push_back(ToJson(op));
  return out;
}

std::vector<Op> FromJson(const nlohmann::json& timeline) {
  if (!timeline.is_array()) throw std::invalid_argument("timeline: must be a JSON array of ops");
  std::vector<Op> ops;
  for (std::size_t i = 0; i < timeline.size(); ++i) {
    const nlohmann::json& entry = timeline[i];
    const std::string where = "timeline[" + std::to_string(i) + "]: ";
    if (!entry.is_object()) throw std::invalid_argument(where + "must be a JSON object");
    const EntryReader in(entry, where);
    Op op;
    op.offset_s = in.Number("t", std::nullopt);
    if (!ops.empty() && op.offset_s < ops.back().offset_s) {
      in.Fail("offset " + nlohmann::json(op.offset_s).dump() + " is before the previous op's " +
              nlohmann::json(ops.back().offset_s).dump());
    }
    const std::string f = in.String("f");
    const auto kind = ValueOf(kOpNames, f);
    if (!kind) in.Fail("unknown op \"" + f + "\"");
    op.kind = *kind;
    if (op.kind == OpKind::kPartition) {
      const std::string name = in.String("grudge");
      const auto grudge = ValueOf(kGrudgeNames, name);
      if (!grudge) in.Fail("unknown grudge \"" + name + "\"");
      op.grudge = *grudge;
      if (op.grudge == GrudgeKind::kComponents) op.components = in.ComponentList();
    } else if (op.kind == OpKind::kKill) {
      const std::string name = in.String("target");
      const auto target = ValueOf(kTargetNames, name);
      if (!target) in.Fail("unknown kill target \"" + name + "\"");
      op.target = *target;
      if (op.target == KillTarget::kNode) op.node = in.String("node");
      op.signal = static_cast<int>(in.Number("signal", 9.0));
      op.restart_after_s = in.Number("restart_after", 0.0);
      op.voter_wait_s = in.Number("voter_wait", 0.0);
    } else if (op.kind == OpKind::kRestart && in.Has("node")) {
      op.node = in.String("node");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace schism::nemesis
