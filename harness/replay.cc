#include "harness/replay.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>

#include "harness/built_in.h"
#include "harness/elector.h"
#include "harness/errors.h"
#include "harness/faults/mechanism.h"
#include "harness/profiles/service.h"
#include "harness/run_store.h"

namespace schism::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json ReadJson(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw UsageError(file.string() + ": cannot be read");
  try {
    return json::parse(in);
  } catch (const json::exception& e) {  // parse_error, or out_of_range for 1e999.
    throw UsageError(file.string() + ": not JSON (" + e.what() +
                     "); pass a run dir, its timeline.json or a timeline file");
  }
}

constexpr const char* kSpool = RunDir::kTimelineSpoolName;

// The ops a run that died had applied, as {"ops": [...]}.
json ReadSpool(const fs::path& file) {
  try {
    return json{{"ops", ReadSpooledOps(file)}};
  } catch (const std::runtime_error& e) {
    throw UsageError(e.what());
  }
}

// A timeline written by `schism run`: {"seed":..,"ops":[{"t":..,"op":..,"applied":..}]}.
bool IsRecorded(const json& timeline) {
  const json* ops = timeline.is_object() && timeline.contains("ops") ? &timeline["ops"] : &timeline;
  if (!ops->is_array() || ops->empty()) return false;
  return std::all_of(ops->begin(), ops->end(),
                     [](const json& e) { return e.is_object() && e.contains("applied"); });
}

std::vector<std::string> NodeNames(std::size_t n) {
  std::vector<std::string> names;
  for (std::size_t i = 1; i <= n; ++i) names.push_back("n" + std::to_string(i));
  return names;
}

template <typename T>
T Field(const json& config, const char* key, const std::string& where) {
  const auto it = config.find(key);
  if (it == config.end()) {
    throw UsageError(where + ": lacks \"" + key + "\" (written by an older schism?)");
  }
  try {
    return it->get<T>();
  } catch (const json::exception&) {
    throw UsageError(where + ": \"" + key + "\" has the wrong type");
  }
}

void Apply(const ReplayOverrides& o, RunConfig& c) {
  if (o.nodes) c.nodes = *o.nodes;
  if (o.time_s) c.time_s = *o.time_s;
  if (o.seed) c.seed = *o.seed;
  if (o.elector && o.node_cmd) {
    throw UsageError("--elector and --node-cmd both given: pick one");
  }
  if ((o.elector || o.node_cmd) && o.profile) {
    throw UsageError("--profile and --" + std::string(o.elector ? "elector" : "node-cmd") +
                     " both given: pick one");
  }
  if (o.elector || o.node_cmd || o.profile) {  // another elector: the recorded server and its probe go
    c.profile.clear();
    c.probe_cmd.clear();
  }
  if (o.profile) {
    c.profile = *o.profile;
    c.elector = *o.profile;
    c.node_cmd.clear();
    c.elector_args.clear();
  }
  if (o.service) c.service = *o.service;
  if (o.elector) {  // the built-in elector, without a recorded command template
    CheckBuiltInElector(*o.elector);
    if (*o.elector != c.elector) c.elector_args.clear();  // the recorded ones are another's
    c.elector = *o.elector;
    c.node_cmd.clear();
  }
  if (o.node_cmd) {  // another elector: the recorded one's arguments do not apply
    if (o.node_cmd->find_first_not_of(" \t") == std::string::npos) {
      throw UsageError("--node-cmd is empty: give your elector's command template");
    }
    try {
      c.node_cmd = WithAbsoluteProgram(*o.node_cmd);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--node-cmd: ") + e.what());
    }
    c.elector = "custom";
    c.elector_args.clear();
  }
  if (o.bug) {
    if (!c.node_cmd.empty()) {
      throw UsageError("--bug applies to built-in electors only, and this replay runs --node-cmd");
    }
    auto it = std::find(c.elector_args.begin(), c.elector_args.end(), "--bug");
    if (it != c.elector_args.end()) {
      c.elector_args.erase(it, it + std::min<std::ptrdiff_t>(2, c.elector_args.end() - it));
    }
    for (const std::string& arg : BugArgs(c.elector, *o.bug)) c.elector_args.push_back(arg);
  }
  if (o.test) c.test = *o.test;
  if (o.port) c.port = *o.port;
  if (o.split_brain_fails) c.split_brain_fails = *o.split_brain_fails;
  c.node_binary = o.node_binary;
  c.store = o.store;
}

}  // namespace

RunConfig RecordedConfig(const json& config, const std::string& where) {
  if (!config.is_object()) throw UsageError(where + ": must be a JSON object");
  RunConfig c;
  c.test = Field<std::string>(config, "test", where);
  c.elector = Field<std::string>(config, "elector", where);
  c.node_cmd = Field<std::string>(config, "node_cmd_template", where);
  c.elector_args = Field<std::vector<std::string>>(config, "elector_args", where);
  c.nodes = Field<std::size_t>(config, "nodes", where);
  c.time_s = Field<double>(config, "time_s", where);
  c.seed = Field<std::uint64_t>(config, "seed", where);
  c.interval_s = Field<double>(config, "nemesis_interval_s", where);
  c.quiet_s = Field<double>(config, "quiet_s", where);
  c.liveness_deadline_s = Field<double>(config, "liveness_deadline_s", where);
  c.split_brain_fails = Field<bool>(config, "split_brain_fails", where);
  // Recorded since the stability window and --checker came in; older runs used the defaults.
  if (config.contains("stable_window_s")) {
    c.stable_window_s = Field<double>(config, "stable_window_s", where);
  }
  if (config.contains("checkers")) {
    c.checkers = Field<std::vector<std::string>>(config, "checkers", where);
  }
  c.port = Field<std::uint16_t>(config, "port", where);
  // Recorded since probes and profiles came in.
  if (config.contains("profile")) c.profile = Field<std::string>(config, "profile", where);
  if (config.contains("service")) c.service = Field<std::string>(config, "service", where);
  if (config.contains("probe_cmd")) c.probe_cmd = Field<std::string>(config, "probe_cmd", where);
  if (config.contains("probe_every_ms")) {
    c.probe_every_ms = Field<int>(config, "probe_every_ms", where);
  }
  if (config.contains("probe_timeout_ms")) {
    c.probe_timeout_ms = Field<int>(config, "probe_timeout_ms", where);
  }
  if (config.contains("partition_grace_s") && !config["partition_grace_s"].is_null()) {
    c.partition_grace_s = Field<double>(config, "partition_grace_s", where);
  }
  c.nemeses.clear();
  return c;
}

double RunLengthFor(const std::vector<nemesis::Op>& ops) {
  double last = 0;
  for (const nemesis::Op& op : ops) last = std::max(last, op.offset_s);
  // The default quiet period is max(5 s, 20 % of the run); it must start at
  // least a second after the last op.
  double length = std::max({30.0, last + 1 + 5, (last + 1) / 0.8});
  return std::ceil(length);
}

RunConfig ReplayConfig(const fs::path& path, const ReplayOverrides& overrides) {
  fs::path file = fs::is_directory(path) ? path / "timeline.json" : path;
  // A run that died has no timeline.json, only the ops it had applied.
  if (fs::is_directory(path) && !fs::exists(file) && fs::exists(path / kSpool)) file = path / kSpool;
  if (!fs::exists(file)) throw UsageError(file.string() + ": no such file");
  const bool spool = file.filename() == kSpool;
  if (file.extension() == ".jsonl" && !spool) {
    throw UsageError(file.string() + " is a history, not a timeline: pass the run dir or its "
                     "timeline.json");
  }
  json timeline = spool ? ReadSpool(file) : ReadJson(file);
  const bool recorded = IsRecorded(timeline);
  const fs::path config_file = file.parent_path() / "config.json";

  RunConfig config;
  config.nemeses.clear();
  const bool with_config = recorded && fs::exists(config_file);
  if (with_config) {
    config = RecordedConfig(ReadJson(config_file), config_file.string());
  } else {
    config.seed = std::random_device{}() & 0xffffffu;
  }
  Apply(overrides, config);
  if (config.test.empty()) config.test = config.node_cmd.empty() ? config.elector : "custom";
  config.replay_of = fs::canonical(file).string();

  std::vector<std::string> names = NodeNames(config.nodes);
  try {  // a recorded timeline may cut off the service's members too
    for (const std::string& member : ServiceMemberNames(ServiceOf(config))) names.push_back(member);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--service: ") + e.what());
  }
  try {
    config.timeline = recorded ? nemesis::FromAppliedTimeline(timeline, names)
                               : nemesis::FromJson(timeline, names);
  } catch (const std::invalid_argument& e) {
    throw UsageError(file.string() + ": " + e.what());
  }
  if (!with_config && !overrides.time_s) config.time_s = RunLengthFor(*config.timeline);
  try {
    CheckTimelineFits(*config.timeline, config);
  } catch (const UsageError& e) {
    throw UsageError(file.string() + ": " + e.what());
  }
  return config;
}

}  // namespace schism::harness
