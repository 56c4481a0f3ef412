#include "checkers/checker.h"

#include <stdexcept>
#include <string>
#include <type_traits>

namespace schism::checkers {

std::string_view ToString(Validity validity) {
  switch (validity) {
    case Validity::kValid:
      return "valid";
    case Validity::kInvalid:
      return "invalid";
    case Validity::kUnknown:
      return "unknown";
  }
  return "unknown";
}

Validity Merge(Validity a, Validity b) {
  if (a == Validity::kInvalid || b == Validity::kInvalid) return Validity::kInvalid;
  if (a == Validity::kUnknown || b == Validity::kUnknown) return Validity::kUnknown;
  return Validity::kValid;
}

nlohmann::json ToJson(const CheckOptions& options) {
  nlohmann::json out = {{"liveness_deadline_s", options.liveness_deadline_s},
                        {"stable_window_s", options.stable_window_s},
                        {"partition_grace_s", options.partition_grace_s},
                        {"split_brain_fails", options.split_brain_fails}};
  if (options.nodes > 0) out["nodes"] = options.nodes;
  return out;
}

namespace {

template <typename T>
void Take(const nlohmann::json& recorded, const char* field, T& into) {
  auto it = recorded.find(field);
  if (it == recorded.end()) return;
  const bool fits = std::is_same_v<T, bool> ? it->is_boolean()
                    : std::is_integral_v<T> ? it->is_number_unsigned()
                                            : it->is_number();
  if (!fits)
    throw std::invalid_argument(std::string("recorded check option \"") + field +
                                "\" has the wrong type: " + it->dump());
  into = it->get<T>();
}

}  // namespace

void ApplyRecorded(const nlohmann::json& recorded, CheckOptions& options) {
  if (!recorded.is_object()) return;
  Take(recorded, "nodes", options.nodes);
  Take(recorded, "liveness_deadline_s", options.liveness_deadline_s);
  Take(recorded, "stable_window_s", options.stable_window_s);
  Take(recorded, "partition_grace_s", options.partition_grace_s);
  Take(recorded, "split_brain_fails", options.split_brain_fails);
}

}  // namespace schism::checkers
