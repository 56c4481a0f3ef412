#pragma once
// Durable storage of an elector's state in <data dir>/<elector>-state.json,
// e.g. raft-state.json: {"term":7,"votedFor":"n2"}. The runtime keeps the
// file; what the JSON object holds is the elector's business.

#include <optional>
#include <string>
#include <string_view>

#include "nodes/elector.h"

namespace schism::nodes {

// Returns "<dir>/<elector>-state.json".
std::string StateFilePath(std::string_view dir, std::string_view elector);

// Reads the state of `elector` from `dir` into *state: nullopt when there is
// no file yet (a fresh node), else the JSON object it holds. Returns false and
// sets *error to one line naming the file and the problem when it cannot be
// read or holds no JSON object.
bool LoadState(std::string_view dir, std::string_view elector, std::optional<Json>* state,
               std::string* error);

// Durably replaces the state of `elector` in `dir` with `state` (one line of
// compact JSON): after a crash, even a power cut, the file holds either the old
// or the new state. Returns false and sets *error to one line naming the path,
// the failed call and the errno text.
bool SaveState(std::string_view dir, std::string_view elector, const Json& state,
               std::string* error);

}  // namespace schism::nodes
