#pragma once
// Test support: the one-line error FromJson gives for a timeline.

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "nemesis/schedule.h"

namespace schism::nemesis::testing {

// Returns what FromJson(text, nodes) throws, or "no error".
inline std::string TimelineError(std::string_view text, const std::vector<std::string>& nodes) {
  try {
    FromJson(nlohmann::json::parse(text), nodes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace schism::nemesis::testing
