// FromAppliedTimeline (schedule.h): the harness's timeline.json back into ops
// that replay the resolved targets.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "nemesis/schedule.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis {
namespace {

std::vector<std::string> NodeList(const nlohmann::json& applied, const std::string& where) {
  const auto it = applied.find("nodes");
  if (it == applied.end() || !it->is_array()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"nodes\" array");
  }
  std::vector<std::string> nodes;
  for (const auto& name : *it) {
    if (!name.is_string()) throw std::invalid_argument(where + "\"applied.nodes\" must hold names");
    nodes.push_back(name.get<std::string>());
  }
  return nodes;
}

// The nodes a process, bandwidth or clock op hit: "victims", or its one "node".
std::vector<std::string> Victims(const nlohmann::json& applied, const std::string& where) {
  if (const auto group = applied.find("victims"); group != applied.end()) {
    if (!group->is_array()) throw std::invalid_argument(where + "\"applied.victims\" must be a list");
    std::vector<std::string> nodes;
    for (const auto& name : *group) {
      if (!name.is_string()) throw std::invalid_argument(where + "\"applied.victims\" must hold names");
      nodes.push_back(name.get<std::string>());
    }
    return nodes;
  }
  const auto it = applied.find("node");
  if (it == applied.end() || !it->is_string()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"node\"");
  }
  return {it->get<std::string>()};
}

// The resolved directed pairs of a loss or delay.
nlohmann::json AppliedPairs(const nlohmann::json& applied, const std::string& where) {
  const auto pairs = applied.find("pairs");
  if (pairs == applied.end() || !pairs->is_array()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"pairs\"");
  }
  return *pairs;
}

// Appends the ops that replay one applied entry.
void Rebuild(const nlohmann::json& entry, const std::string& where, std::vector<Op>& out);

// Rebuilds one entry; with `nodes`, every node a rebuilt op names must be one of them.
void RebuildChecked(const nlohmann::json& entry, const std::string& where,
                    const std::vector<std::string>* nodes, std::vector<Op>& out) {
  std::size_t first = out.size();
  Rebuild(entry, where, out);
  if (nodes == nullptr) return;
  for (std::size_t i = first; i < out.size(); ++i) {
    internal::ParseOp(ToJson(out[i]), where, nodes);
  }
}

void Rebuild(const nlohmann::json& entry, const std::string& where, std::vector<Op>& out) {
  if (!entry.is_object()) throw std::invalid_argument(where + "must be a JSON object");
  const auto t = entry.find("t");
  if (t == entry.end() || !t->is_number() || t->get<double>() < 0) {
    throw std::invalid_argument(where + "needs a non-negative number \"t\"");
  }
  const auto applied_it = entry.find("applied");
  if (!entry.contains("op") || applied_it == entry.end() || !applied_it->is_object()) {
    throw std::invalid_argument(where + "needs \"op\" and \"applied\" objects");
  }
  const nlohmann::json& applied = *applied_it;
  // A skipped op did nothing; an armed voter kill is recorded again once it fires.
  if (applied.contains("skipped") || applied.contains("awaiting")) return;

  nlohmann::json op_json = entry["op"];
  if (op_json.is_object()) op_json["t"] = *t;
  Op op = internal::ParseOp(op_json, where + "op: ", nullptr);
  switch (op.kind) {
    case OpKind::kPartition: {
      try {
        if (applied.contains("components")) {
          op.grudge = GrudgeKind::kComponents;
          op.components = applied["components"].get<Components>();
        } else {
          op.grudge = GrudgeKind::kExplicit;
          op.drops = GrudgeFromJson(applied.value("grudge", nlohmann::json::object()));
        }
      } catch (const std::exception& e) {
        throw std::invalid_argument(where + "applied: " + e.what());
      }
      op.components = op.grudge == GrudgeKind::kComponents ? op.components : Components{};
      break;
    }
    case OpKind::kKill:
    case OpKind::kPause:
    case OpKind::kTerm:
    case OpKind::kBandwidth:
    case OpKind::kClock:
      op.target = KillTarget::kNode;
      op.voter_wait_s = 0;
      for (const auto& victim : Victims(applied, where)) {
        Op one = op;
        one.node = victim;
        out.push_back(std::move(one));
      }
      return;
    case OpKind::kDelay: {
      nlohmann::json spec = ToJson(op);
      spec["target"] = "pairs";
      spec["pairs"] = AppliedPairs(applied, where);
      spec.erase("node");
      op = internal::ParseOp(spec, where + "applied: ", nullptr);
      break;
    }
    case OpKind::kFlap:
      return;  // its partitions and heals are entries of their own
    case OpKind::kLoss: {
      const auto percent = applied.find("percent");
      if (percent == applied.end() || !percent->is_number_integer()) {
        throw std::invalid_argument(where + "\"applied\" lacks the loss \"percent\"");
      }
      nlohmann::json spec = {{"t", *t},
                             {"f", "loss"},
                             {"target", "pairs"},
                             {"pairs", AppliedPairs(applied, where)},
                             {"percent", *percent}};
      op = internal::ParseOp(spec, where + "applied: ", nullptr);
      break;
    }
    case OpKind::kRestart:
    case OpKind::kResume:
      for (const auto& node : NodeList(applied, where)) {
        Op one = op;
        one.node = node;
        out.push_back(std::move(one));
      }
      return;
    case OpKind::kHeal:
    case OpKind::kLossEnd:
    case OpKind::kDelayEnd:
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      break;
  }
  out.push_back(std::move(op));
}

}  // namespace

namespace {

std::vector<Op> FromApplied(const nlohmann::json& timeline, const std::vector<std::string>* nodes) {
  const nlohmann::json* list = &timeline;
  if (timeline.is_object() && timeline.contains("ops")) list = &timeline["ops"];
  if (!list->is_array()) {
    throw std::invalid_argument(
        "timeline: must be the harness's timeline.json object or its \"ops\" array");
  }
  std::vector<Op> ops;
  for (std::size_t i = 0; i < list->size(); ++i) {
    RebuildChecked((*list)[i], "timeline[" + std::to_string(i) + "]: ", nodes, ops);
  }
  // A voter kill is recorded when the vote arrives, after later-scheduled ops.
  std::stable_sort(ops.begin(), ops.end(),
                   [](const Op& a, const Op& b) { return a.offset_s < b.offset_s; });
  return ops;
}

}  // namespace

std::vector<Op> FromAppliedTimeline(const nlohmann::json& timeline) {
  return FromApplied(timeline, nullptr);
}

std::vector<Op> FromAppliedTimeline(const nlohmann::json& timeline,
                                    const std::vector<std::string>& nodes) {
  return FromApplied(timeline, &nodes);
}

}  // namespace schism::nemesis
