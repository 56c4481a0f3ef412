// FromAppliedTimeline (schedule.h): the harness's timeline.json back into ops
// that replay the resolved targets; each entry's fault kind (fault_kind.h)
// rebuilds its ops.
#include <algorithm>
#include <stdexcept>
#include <string>

#include "nemesis/fault_kind.h"
#include "nemesis/schedule.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis {
namespace {

// Appends the ops that replay one applied entry.
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
  const Op op = internal::ParseOp(op_json, where + "op: ", nullptr);
  OwnerOf(op.kind)->Rebuild(op, applied, where, out);  // ParseOp knows only owned kinds
}

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
