#pragma once
// Durable storage of a Raft node's hard state in <data dir>/raft-state.json:
//   {"term":7,"votedFor":"n2"}      ("votedFor" is null when there is no vote)

#include <string>

#include "nodes/raft.h"

namespace schism::nodes {

inline constexpr char kStateFileName[] = "raft-state.json";

// Reads the hard state from `dir`. A missing file is a fresh node: *state is
// set to {} and true is returned. Returns false and sets *error to one line
// naming the file and the problem when it cannot be read or is corrupt.
bool LoadHardState(const std::string& dir, HardState* state, std::string* error);

// Durably replaces the hard state in `dir`: writes a temporary file, fsyncs it,
// renames it over the state file and fsyncs the directory, so that after a
// crash the file holds either the old or the new state. Returns false and sets
// *error to one line naming the path, the failed call and the errno text.
bool SaveHardState(const std::string& dir, const HardState& state, std::string* error);

}  // namespace schism::nodes
