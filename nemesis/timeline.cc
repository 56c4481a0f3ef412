// Names and the timeline.json format of schedule.h.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <stdexcept>
#include <utility>

#include "nemesis/schedule.h"
#include "nemesis/suggest.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis {
namespace {

constexpr std::array<std::pair<OpKind, std::string_view>, 16> kOpNames = {{
    {OpKind::kPartition, "partition"},
    {OpKind::kHeal, "heal"},
    {OpKind::kKill, "kill"},
    {OpKind::kRestart, "restart"},
    {OpKind::kLoss, "loss"},
    {OpKind::kLossEnd, "loss-end"},
    {OpKind::kPause, "pause"},
    {OpKind::kResume, "resume"},
    {OpKind::kFlap, "flap"},
    {OpKind::kTerm, "term"},
    {OpKind::kDelay, "delay"},
    {OpKind::kDelayEnd, "delay-end"},
    {OpKind::kBandwidth, "bandwidth"},
    {OpKind::kBandwidthEnd, "bandwidth-end"},
    {OpKind::kClock, "clock"},
    {OpKind::kClockEnd, "clock-end"},
}};
constexpr std::array<std::pair<GrudgeKind, std::string_view>, 10> kGrudgeNames = {{
    {GrudgeKind::kHalves, "halves"},
    {GrudgeKind::kOne, "one"},
    {GrudgeKind::kIsolateLeader, "isolate-leader"},
    {GrudgeKind::kMajoritiesRing, "majorities-ring"},
    {GrudgeKind::kBridge, "bridge"},
    {GrudgeKind::kComponents, "components"},
    {GrudgeKind::kRandomHalves, "random-halves"},
    {GrudgeKind::kMinorityThird, "minority-third"},
    {GrudgeKind::kOneWay, "one-way"},
    {GrudgeKind::kExplicit, "explicit"},
}};
constexpr std::array<std::pair<KillTarget, std::string_view>, 8> kTargetNames = {{
    {KillTarget::kRandom, "random"},
    {KillTarget::kLeader, "leader"},
    {KillTarget::kVoter, "voter"},
    {KillTarget::kNode, "node"},
    {KillTarget::kMinority, "minority"},
    {KillTarget::kMajority, "majority"},
    {KillTarget::kAll, "all"},
    {KillTarget::kRandom, "one"},  // read only: NameOf finds "random" first
}};
constexpr std::array<std::pair<ClockMode, std::string_view>, 3> kClockModeNames = {{
    {ClockMode::kBump, "bump"},
    {ClockMode::kStrobe, "strobe"},
    {ClockMode::kRate, "rate"},
}};
constexpr std::array<std::pair<LossTarget, std::string_view>, 4> kLossTargetNames = {{
    {LossTarget::kPair, "pair"},
    {LossTarget::kInto, "into"},
    {LossTarget::kAll, "all"},
    {LossTarget::kPairs, "pairs"},
}};

// The fields each op reads, "t" and "f" included, in the order a suggestion
// prefers them; input-only spellings ("grouping") count. Any other field of
// an entry is a typo, or belongs to another op.
const std::vector<std::string>& FieldsOf(OpKind kind) {
  static const std::map<OpKind, std::vector<std::string>> fields = [] {
    const std::vector<std::string> grudge = {"grudge", "grouping", "components", "drops"};
    const std::vector<std::string> pairs = {"target", "node", "pairs"};
    // An op's own fields, then fields it shares with others, then "t" and "f".
    auto reads = [](std::vector<std::string> own, const std::vector<std::string>& shared = {}) {
      own.insert(own.end(), shared.begin(), shared.end());
      own.insert(own.end(), {"t", "f"});
      return own;
    };
    return std::map<OpKind, std::vector<std::string>>{
        {OpKind::kPartition, reads(grudge)},
        {OpKind::kHeal, reads({})},
        {OpKind::kKill, reads({"target", "node", "signal", "restart_after", "voter_wait"})},
        {OpKind::kRestart, reads({"node"})},
        {OpKind::kLoss, reads({"percent"}, pairs)},
        {OpKind::kLossEnd, reads({})},
        {OpKind::kPause, reads({"target", "node", "resume_after", "how"})},
        {OpKind::kResume, reads({"node"})},
        {OpKind::kFlap, reads({"hold", "every"}, grudge)},
        {OpKind::kTerm, reads({"target", "node", "grace", "restart_after"})},
        {OpKind::kDelay, reads({"delay_ms", "jitter_ms"}, pairs)},
        {OpKind::kDelayEnd, reads({})},
        {OpKind::kBandwidth, reads({"target", "node", "rate_kbit"})},
        {OpKind::kBandwidthEnd, reads({"node"})},
        {OpKind::kClock,
         reads({"target", "node", "mode", "offset_ms", "offset2_ms", "period", "rate"})},
        {OpKind::kClockEnd, reads({"node"})},
    };
  }();
  return fields.at(kind);
}

// Every field some op reads: what an entry without a usable "f" is checked against.
std::vector<std::string> AllFields() {
  std::vector<std::string> all;
  for (const auto& [kind, name] : kOpNames) {
    for (const std::string& field : FieldsOf(kind)) {
      if (std::find(all.begin(), all.end(), field) == all.end()) all.push_back(field);
    }
  }
  return all;
}

// The names of a table, for a suggestion.
template <typename E, std::size_t N>
std::vector<std::string> NamesOf(const std::array<std::pair<E, std::string_view>, N>& names) {
  std::vector<std::string> out;
  for (const auto& [v, name] : names) out.emplace_back(name);
  return out;
}

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

using Pairs = std::vector<std::pair<std::string, std::string>>;

nlohmann::json PairsJson(const Pairs& pairs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [src, dst] : pairs) out.push_back({src, dst});
  return out;
}

// Reads one timeline entry; `where` prefixes every error ("timeline[3]: ").
class EntryReader {
 public:
  EntryReader(const nlohmann::json& entry, std::string where, const std::vector<std::string>* nodes)
      : entry_(entry), where_(std::move(where)), nodes_(nodes) {}

  [[noreturn]] void Fail(const std::string& what) const {
    throw std::invalid_argument(where_ + what);
  }

  std::string String(const char* key) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
    if (!it->is_string()) Fail(std::string("\"") + key + "\" must be a string");
    return it->get<std::string>();
  }

  // A finite number >= 0.
  double Number(const char* key, std::optional<double> fallback) const {
    const double value = SignedNumber(key, fallback);
    if (value < 0) Fail(std::string("\"") + key + "\" must not be negative");
    return value;
  }

  // A finite number of either sign.
  double SignedNumber(const char* key, std::optional<double> fallback) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) {
      if (!fallback) Fail(std::string("missing \"") + key + "\"");
      return *fallback;
    }
    if (!it->is_number()) Fail(std::string("\"") + key + "\" must be a number");
    const double value = it->get<double>();
    if (!std::isfinite(value)) Fail(std::string("\"") + key + "\" must be finite");
    return value;
  }

  // A number that must be greater than zero.
  double Positive(const char* key, std::optional<double> fallback) const {
    const double value = Number(key, fallback);
    if (!(value > 0)) Fail(std::string("\"") + key + "\" must be greater than 0");
    return value;
  }

  const nlohmann::json* Find(const char* key) const {
    const auto it = entry_.find(key);
    return it == entry_.end() ? nullptr : &*it;
  }

  // A whole number; sign and range are left to the caller.
  int Integer(const char* key) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
    if (!it->is_number()) Fail(std::string("\"") + key + "\" must be a number");
    const double value = it->get<double>();
    if (value != std::floor(value) || std::abs(value) > 1e9) {
      Fail(std::string("\"") + key + "\" must be a whole number");
    }
    return static_cast<int>(value);
  }

  bool Has(const char* key) const { return entry_.contains(key); }

  // Fails on the first field (in key order) that is not in `known`:
  // "unknown field \"restart_afer\" for kill; did you mean \"restart_after\"?".
  // `op` names the op kind, or is empty when there is none.
  void OnlyFields(const std::vector<std::string>& known, std::string_view op) const {
    for (const auto& [key, value] : entry_.items()) {
      if (std::find(known.begin(), known.end(), key) != known.end()) continue;
      Fail("unknown field \"" + key + "\"" + (op.empty() ? "" : " for " + std::string(op)) +
           DidYouMean(key, known));
    }
  }

  // A node name that must belong to the cluster when it is known.
  std::string Node(const char* key) const {
    std::string name = String(key);
    CheckNode(name, "");
    return name;
  }

  void CheckNode(const std::string& name, const std::string& context) const {
    if (nodes_ == nullptr) return;
    if (std::find(nodes_->begin(), nodes_->end(), name) == nodes_->end()) {
      Fail("unknown node \"" + name + "\"" + (context.empty() ? "" : " in " + context));
    }
  }

  Components ComponentList() const {
    const auto it = entry_.find("components");
    if (it == entry_.end()) Fail("missing \"components\"");
    const char* shape = "\"components\" must be an array of arrays of node names";
    if (!it->is_array()) Fail(shape);
    Components components;
    for (const auto& group : *it) {
      if (!group.is_array()) Fail(shape);
      std::vector<std::string> names;
      for (const auto& name : group) {
        if (!name.is_string()) Fail(shape);
        CheckNode(name.get<std::string>(), "components");
        names.push_back(name.get<std::string>());
      }
      components.push_back(std::move(names));
    }
    return components;
  }

  // "n1,n2|n3,n4,n5": every node once when the cluster is known.
  Components Grouping() const {
    const std::string text = String("grouping");
    Components components;
    try {
      components = SplitGrouping(text);
    } catch (const std::invalid_argument& e) {
      Fail(e.what());
    }
    if (nodes_ != nullptr) {
      for (const auto& group : components) {
        for (const auto& name : group) CheckNode(name, "grouping");
      }
      for (const auto& node : *nodes_) {
        const bool listed = std::any_of(components.begin(), components.end(), [&](const auto& g) {
          return std::find(g.begin(), g.end(), node) != g.end();
        });
        if (!listed) Fail("node \"" + node + "\" is missing from grouping");
      }
    }
    return components;
  }

  // [["n1","n2"],...]: directed pairs of distinct nodes.
  Pairs PairList(const char* key) const {
    const auto it = entry_.find(key);
    if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
    const std::string shape = std::string("\"") + key + "\" must be an array of [src, dst] pairs";
    if (!it->is_array()) Fail(shape);
    Pairs pairs;
    for (const auto& pair : *it) {
      if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
        Fail(shape);
      }
      const std::string src = pair[0].get<std::string>();
      const std::string dst = pair[1].get<std::string>();
      CheckNode(src, key);
      CheckNode(dst, key);
      if (src == dst)
        Fail(std::string("pair [\"") + src + "\", \"" + dst + "\"] in " + key +
             " names one node twice");
      pairs.emplace_back(src, dst);
    }
    return pairs;
  }

 private:
  const nlohmann::json& entry_;
  std::string where_;
  const std::vector<std::string>* nodes_;
};

void ParsePartition(const EntryReader& in, Op& op) {
  if (in.Has("grouping")) {
    if (in.Has("grudge") && in.String("grudge") != "components") {
      in.Fail("\"grouping\" goes with grudge \"components\" only");
    }
    if (in.Has("components")) in.Fail("give \"grouping\" or \"components\", not both");
    op.grudge = GrudgeKind::kComponents;
    op.components = in.Grouping();
    return;
  }
  const std::string name = in.String("grudge");
  const auto grudge = ValueOf(kGrudgeNames, name);
  if (!grudge) in.Fail("unknown grudge \"" + name + "\"" + DidYouMean(name, NamesOf(kGrudgeNames)));
  op.grudge = *grudge;
  if (op.grudge == GrudgeKind::kComponents) op.components = in.ComponentList();
  if (op.grudge == GrudgeKind::kExplicit) {
    for (const auto& [src, dst] : in.PairList("drops")) op.drops.Drop(src, dst);
  }
}

KillTarget ParseTarget(const EntryReader& in, Op& op) {
  const std::string name = in.String("target");
  const auto target = ValueOf(kTargetNames, name);
  if (!target) {
    std::vector<std::string> choices = NamesOf(kTargetNames);
    if (op.kind != OpKind::kKill) std::erase(choices, std::string(ToString(KillTarget::kVoter)));
    in.Fail("unknown " + std::string(ToString(op.kind)) + " target \"" + name + "\"" +
            DidYouMean(name, choices));
  }
  if (*target == KillTarget::kVoter && op.kind != OpKind::kKill) {
    in.Fail("only a kill can target \"voter\"");
  }
  if (*target == KillTarget::kNode) op.node = in.Node("node");
  return *target;
}

// The directed pairs of a loss or delay: "target" pair/into/all/pairs.
void ParsePairTarget(const EntryReader& in, Op& op) {
  const std::string name = in.Has("target") ? in.String("target") : "all";
  const auto target = ValueOf(kLossTargetNames, name);
  if (!target) {
    in.Fail("unknown " + std::string(ToString(op.kind)) + " target \"" + name + "\"" +
            DidYouMean(name, NamesOf(kLossTargetNames)));
  }
  op.loss_target = *target;
  if (op.loss_target == LossTarget::kInto && in.Has("node")) op.node = in.Node("node");
  if (op.loss_target == LossTarget::kPairs) op.loss_pairs = in.PairList("pairs");
}

void ParseFlap(const EntryReader& in, Op& op) {
  ParsePartition(in, op);
  op.hold_s = in.Positive("hold", std::nullopt);
  if (const nlohmann::json* every = in.Find("every")) {
    if (!every->is_array() || every->size() != 2 || !(*every)[0].is_number() ||
        !(*every)[1].is_number()) {
      in.Fail("\"every\" must be [min, max] seconds");
    }
    op.flap_min_s = (*every)[0].get<double>();
    op.flap_max_s = (*every)[1].get<double>();
    if (!(op.flap_min_s >= 0.05 && op.flap_max_s >= op.flap_min_s && op.flap_max_s < 1e6)) {
      in.Fail("\"every\" must be [min, max] with 0.05 <= min <= max");
    }
  }
}

void ParseDelay(const EntryReader& in, Op& op) {
  op.delay_ms = in.Number("delay_ms", std::nullopt);
  op.jitter_ms = in.Number("jitter_ms", 0.0);
  if (op.jitter_ms > op.delay_ms) {
    in.Fail("jitter_ms " + nlohmann::json(op.jitter_ms).dump() + " is more than delay_ms " +
            nlohmann::json(op.delay_ms).dump() + " (a packet cannot be held less than 0 ms)");
  }
  if (op.delay_ms > 60000) in.Fail("delay_ms must be at most 60000");
  ParsePairTarget(in, op);
}

void ParseClock(const EntryReader& in, Op& op) {
  op.target = ParseTarget(in, op);
  const std::string mode = in.String("mode");
  const auto parsed = ValueOf(kClockModeNames, mode);
  if (!parsed) {
    in.Fail("unknown clock mode \"" + mode + "\" (bump, strobe or rate)" +
            DidYouMean(mode, NamesOf(kClockModeNames)));
  }
  op.clock_mode = *parsed;
  switch (op.clock_mode) {
    case ClockMode::kBump:
      op.clock_offset_ms = in.SignedNumber("offset_ms", std::nullopt);
      break;
    case ClockMode::kStrobe:
      op.clock_offset_ms = in.SignedNumber("offset_ms", 0.0);
      op.clock_offset2_ms = in.SignedNumber("offset2_ms", std::nullopt);
      op.clock_period_s = in.Positive("period", std::nullopt);
      break;
    case ClockMode::kRate:
      op.clock_rate = in.Positive("rate", std::nullopt);
      if (op.clock_rate > 100) in.Fail("\"rate\" must be at most 100");
      break;
  }
}

void ParseLoss(const EntryReader& in, Op& op) {
  op.loss_percent = in.Integer("percent");
  try {
    CheckLossPercent(op.loss_percent);
  } catch (const std::invalid_argument& e) {
    in.Fail(e.what());
  }
  ParsePairTarget(in, op);
}


}  // namespace

namespace internal {

Op ParseOp(const nlohmann::json& entry, const std::string& where,
           const std::vector<std::string>* nodes) {
  if (!entry.is_object()) throw std::invalid_argument(where + "must be a JSON object");
  const EntryReader in(entry, where, nodes);
  // The op first, then its fields: a misspelt field is reported as such,
  // not as the missing field it was meant to be.
  if (!in.Has("f")) in.OnlyFields(AllFields(), "");
  const std::string f = in.String("f");
  const auto kind = ValueOf(kOpNames, f);
  if (!kind) in.Fail("unknown op \"" + f + "\"" + DidYouMean(f, NamesOf(kOpNames)));
  in.OnlyFields(FieldsOf(*kind), f);
  Op op;
  op.kind = *kind;
  op.offset_s = in.Number("t", std::nullopt);
  switch (op.kind) {
    case OpKind::kPartition:
      ParsePartition(in, op);
      break;
    case OpKind::kKill:
      op.target = ParseTarget(in, op);
      op.signal = static_cast<int>(in.Number("signal", 9.0));
      op.restart_after_s = in.Number("restart_after", 0.0);
      op.voter_wait_s = in.Number("voter_wait", 0.0);
      break;
    case OpKind::kPause: {
      op.target = ParseTarget(in, op);
      op.resume_after_s = in.Number("resume_after", 0.0);
      const std::string how = in.Has("how") ? in.String("how") : "stop";
      if (how != "stop" && how != "freeze") {
        in.Fail("\"how\" must be \"stop\" or \"freeze\"" + DidYouMean(how, {"stop", "freeze"}));
      }
      op.freeze = how == "freeze";
      break;
    }
    case OpKind::kLoss:
      ParseLoss(in, op);
      break;
    case OpKind::kRestart:
    case OpKind::kResume:
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      if (in.Has("node")) op.node = in.Node("node");
      break;
    case OpKind::kHeal:
    case OpKind::kLossEnd:
    case OpKind::kDelayEnd:
      break;
    case OpKind::kFlap:
      ParseFlap(in, op);
      break;
    case OpKind::kTerm:
      op.target = ParseTarget(in, op);
      op.grace_s = in.Number("grace", 2.0);
      op.restart_after_s = in.Number("restart_after", 0.0);
      break;
    case OpKind::kDelay:
      ParseDelay(in, op);
      break;
    case OpKind::kBandwidth: {
      op.target = ParseTarget(in, op);
      op.rate_kbit = in.Integer("rate_kbit");
      if (op.rate_kbit < 8 || op.rate_kbit > 10'000'000) {
        in.Fail("rate_kbit " + std::to_string(op.rate_kbit) + " is outside 8..10000000");
      }
      break;
    }
    case OpKind::kClock:
      ParseClock(in, op);
      break;
  }
  return op;
}

}  // namespace internal

std::string_view ToString(OpKind kind) { return NameOf(kOpNames, kind); }
std::string_view ToString(GrudgeKind kind) { return NameOf(kGrudgeNames, kind); }
std::string_view ToString(KillTarget target) { return NameOf(kTargetNames, target); }
std::string_view ToString(LossTarget target) { return NameOf(kLossTargetNames, target); }
std::string_view ToString(ClockMode mode) { return NameOf(kClockModeNames, mode); }

bool IsNonTransitive(GrudgeKind kind) {
  return kind == GrudgeKind::kMajoritiesRing || kind == GrudgeKind::kBridge;
}

namespace {

void GrudgeJson(const Op& op, nlohmann::json& out) {
  out["grudge"] = ToString(op.grudge);
  if (op.grudge == GrudgeKind::kComponents) out["components"] = op.components;
  if (op.grudge == GrudgeKind::kExplicit) {
    out["drops"] = PairsJson(Pairs(op.drops.drops.begin(), op.drops.drops.end()));
  }
}

void TargetJson(const Op& op, nlohmann::json& out) {
  out["target"] = ToString(op.target);
  if (op.target == KillTarget::kNode) out["node"] = op.node;
}

void PairTargetJson(const Op& op, nlohmann::json& out) {
  out["target"] = ToString(op.loss_target);
  if (op.loss_target == LossTarget::kInto && !op.node.empty()) out["node"] = op.node;
  if (op.loss_target == LossTarget::kPairs) out["pairs"] = PairsJson(op.loss_pairs);
}

void ClockJson(const Op& op, nlohmann::json& out) {
  out["mode"] = ToString(op.clock_mode);
  switch (op.clock_mode) {
    case ClockMode::kBump:
      out["offset_ms"] = op.clock_offset_ms;
      break;
    case ClockMode::kStrobe:
      out["offset_ms"] = op.clock_offset_ms;
      out["offset2_ms"] = op.clock_offset2_ms;
      out["period"] = op.clock_period_s;
      break;
    case ClockMode::kRate:
      out["rate"] = op.clock_rate;
      break;
  }
}

}  // namespace

nlohmann::json ToJson(const Op& op) {
  nlohmann::json out = {{"t", op.offset_s}, {"f", ToString(op.kind)}};
  switch (op.kind) {
    case OpKind::kPartition:
      GrudgeJson(op, out);
      break;
    case OpKind::kKill:
      TargetJson(op, out);
      out["signal"] = op.signal;
      out["restart_after"] = op.restart_after_s;
      if (op.target == KillTarget::kVoter) out["voter_wait"] = op.voter_wait_s;
      break;
    case OpKind::kPause:
      out["target"] = ToString(op.target);
      if (op.target == KillTarget::kNode) out["node"] = op.node;
      out["resume_after"] = op.resume_after_s;
      if (op.freeze) out["how"] = "freeze";
      break;
    case OpKind::kLoss:
      PairTargetJson(op, out);
      out["percent"] = op.loss_percent;
      break;
    case OpKind::kRestart:
    case OpKind::kResume:
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      if (!op.node.empty()) out["node"] = op.node;
      break;
    case OpKind::kHeal:
    case OpKind::kLossEnd:
    case OpKind::kDelayEnd:
      break;
    case OpKind::kFlap:
      GrudgeJson(op, out);
      out["hold"] = op.hold_s;
      out["every"] = {op.flap_min_s, op.flap_max_s};
      break;
    case OpKind::kTerm:
      TargetJson(op, out);
      out["grace"] = op.grace_s;
      out["restart_after"] = op.restart_after_s;
      break;
    case OpKind::kDelay:
      PairTargetJson(op, out);
      out["delay_ms"] = op.delay_ms;
      out["jitter_ms"] = op.jitter_ms;
      break;
    case OpKind::kBandwidth:
      TargetJson(op, out);
      out["rate_kbit"] = op.rate_kbit;
      break;
    case OpKind::kClock:
      TargetJson(op, out);
      ClockJson(op, out);
      break;
  }
  return out;
}

nlohmann::json ToJson(const std::vector<Op>& ops) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& op : ops) out.push_back(ToJson(op));
  return out;
}

namespace {

std::vector<Op> ParseTimeline(const nlohmann::json& timeline,
                              const std::vector<std::string>* nodes) {
  const nlohmann::json* list = &timeline;
  if (timeline.is_object() && timeline.contains("ops")) list = &timeline["ops"];
  if (!list->is_array()) {
    throw std::invalid_argument(
        "timeline: must be a JSON array of ops, or an object whose \"ops\" is one");
  }
  std::vector<Op> ops;
  for (std::size_t i = 0; i < list->size(); ++i) {
    const std::string where = "timeline[" + std::to_string(i) + "]: ";
    Op op = internal::ParseOp((*list)[i], where, nodes);
    if (!ops.empty() && op.offset_s < ops.back().offset_s) {
      throw std::invalid_argument(where + "offset " + nlohmann::json(op.offset_s).dump() +
                                  " is before the previous op's " +
                                  nlohmann::json(ops.back().offset_s).dump());
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace

std::vector<Op> FromJson(const nlohmann::json& timeline) {
  return ParseTimeline(timeline, nullptr);
}

std::vector<Op> FromJson(const nlohmann::json& timeline, const std::vector<std::string>& nodes) {
  return ParseTimeline(timeline, &nodes);
}

}  // namespace schism::nemesis
