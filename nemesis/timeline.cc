// The timeline.json format of schedule.h: the envelope of every entry ("t",
// "f", unknown fields) here, each op's own fields in its fault kind
// (fault_kind.h).
#include <algorithm>
#include <stdexcept>
#include <utility>

#include "nemesis/entry_reader.h"
#include "nemesis/fault_kind.h"
#include "nemesis/names.h"
#include "nemesis/schedule.h"
#include "nemesis/suggest.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis {
namespace {

// The fields op `kind` reads, "t" and "f" last: any other field of an entry
// is a typo, or belongs to another op.
std::vector<std::string> FieldsOf(OpKind kind) {
  std::vector<std::string> fields = SpecOf(kind)->fields;
  fields.insert(fields.end(), {"t", "f"});
  return fields;
}

// Every field some op reads, in op order: what an entry without a usable
// "f" is checked against.
std::vector<std::string> AllFields() {
  std::vector<std::string> all;
  for (OpKind kind : AllOpKinds()) {
    for (const std::string& field : FieldsOf(kind)) {
      if (std::find(all.begin(), all.end(), field) == all.end()) all.push_back(field);
    }
  }
  return all;
}

// The op named `name`, or nullopt.
std::optional<OpKind> OpNamed(std::string_view name) {
  for (OpKind kind : AllOpKinds()) {
    if (ToString(kind) == name) return kind;
  }
  return std::nullopt;
}

std::vector<std::string> OpNames() {
  std::vector<std::string> names;
  for (OpKind kind : AllOpKinds()) names.emplace_back(ToString(kind));
  return names;
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
  const auto kind = OpNamed(f);
  if (!kind) in.Fail("unknown op \"" + f + "\"" + DidYouMean(f, OpNames()));
  in.OnlyFields(FieldsOf(*kind), f);
  Op op;
  op.kind = *kind;
  op.offset_s = in.Number("t", std::nullopt);
  OwnerOf(op.kind)->Read(in, op);
  return op;
}

}  // namespace internal

std::string_view ToString(GrudgeKind kind) { return NameOf(kGrudgeNames, kind); }
std::string_view ToString(KillTarget target) { return NameOf(kTargetNames, target); }
std::string_view ToString(LossTarget target) { return NameOf(kLossTargetNames, target); }
std::string_view ToString(ClockMode mode) { return NameOf(kClockModeNames, mode); }

bool IsNonTransitive(GrudgeKind kind) {
  return kind == GrudgeKind::kMajoritiesRing || kind == GrudgeKind::kBridge;
}

nlohmann::json ToJson(const Op& op) {
  nlohmann::json out = {{"t", op.offset_s}, {"f", ToString(op.kind)}};
  if (const FaultKind* owner = OwnerOf(op.kind)) owner->Write(op, out);
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
