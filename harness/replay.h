#pragma once
// `schism replay`: running a recorded or a hand-written timeline again.
//
// A recorded run's timeline.json names every target it resolved (the nodes a
// partition split, the node a kill hit), so a replay applies the same faults
// to the same nodes at the same offsets, with the run's own config.json for
// the cluster (elector, size, length, seed). A hand-written timeline (an
// array of ops, docs/nemesis.md) takes the cluster from the command line.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/controller.h"

namespace schism::harness {

// What the command line says about the cluster; unset fields come from the
// recorded run's config.json, or from the defaults of `schism run`. An
// elector given here replaces the recorded one entirely: --elector drops a
// recorded --node-cmd, --node-cmd drops the recorded elector and its
// arguments (--bug included), and --bug replaces the recorded bug, so the
// timeline that broke one build can be run against the fixed one.
struct ReplayOverrides {
  std::optional<std::size_t> nodes;
  std::optional<double> time_s;
  std::optional<std::uint64_t> seed;
  std::optional<std::string> elector;
  std::optional<std::string> node_cmd;
  std::optional<std::string> bug;  // replaces the recorded --bug; "none" removes it
  std::optional<std::string> profile;  // a profile instead of the recorded elector
  std::optional<std::string> service;  // replaces the recorded --service
  std::optional<std::string> test;
  std::optional<std::uint16_t> port;
  std::optional<bool> split_brain_fails;
  std::filesystem::path node_binary;  // schism-node, for built-in electors
  std::filesystem::path store = "store";
};

// Builds the config of a replay of `path`: a run dir, a run's timeline.json
// (its config.json beside it), or a hand-written timeline file. Without
// --time a hand-written timeline gets the shortest run that fits it (at least
// 30 s). Throws UsageError with one line naming the file and, for a bad op,
// the entry, e.g. "t.json: timeline[2]: unknown node \"n9\" in grouping".
RunConfig ReplayConfig(const std::filesystem::path& path, const ReplayOverrides& overrides);

// The config of a recorded run from its config.json; `where` names the file
// in errors.
RunConfig RecordedConfig(const nlohmann::json& config, const std::string& where);

// The shortest run length whose default quiet period starts after every op
// of `ops` (plus a second), and at least 30 s.
double RunLengthFor(const std::vector<nemesis::Op>& ops);

}  // namespace schism::harness
