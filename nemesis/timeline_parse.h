#pragma once
// Internal to nemesis/: the one-entry parser shared by FromJson (timeline.cc)
// and FromAppliedTimeline (replay.cc). Not part of the public API.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "nemesis/schedule.h"

namespace schism::nemesis::internal {

// Parses one timeline entry (offset included). `where` prefixes every error,
// e.g. "timeline[3]: ". When `nodes` is not null, every node the entry names
// must be one of them, and a "grouping" must list each exactly once. Throws
// std::invalid_argument with a one-line message.
Op ParseOp(const nlohmann::json& entry, const std::string& where,
           const std::vector<std::string>* nodes);

}  // namespace schism::nemesis::internal
