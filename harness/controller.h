#pragma once
// `schism run`: one test run from start to verdict.
//
// The controller builds the sandbox, starts one elector per node namespace,
// stamps every contract line the nodes print with its own monotonic clock into
// history.jsonl as it arrives, drives the seeded nemesis schedule, and at the
// end stops everything, checks the history and writes the run store.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "nemesis/schedule.h"

namespace schism::harness {

struct RunConfig {
  std::string test;                       // run store folder; default: the elector's name
  std::string elector = "raft";           // built-in elector, used when node_cmd is empty
  std::string node_cmd;                   // contract v1 command template (DESIGN.md §2)
  // A real server instead of an elector (harness/profiles/profile.h): its
  // members are started in the node namespaces and watched by its probe.
  std::string profile;
  // A probe (harness/prober.h): a read-only command template, with the
  // placeholders of node_cmd, run inside each node's namespace; its stdout
  // (one JSON object, harness/probe_reader.h) becomes the node's role events.
  std::string probe_cmd;
  // A service (harness/profiles/service.h), "redis" or "etcd:3": servers in
  // namespaces of their own that the nodes are clients of ({service}); empty:
  // the profile's (a recipe's), if any.
  std::string service;
  int probe_every_ms = 0;    // 0: the profile's, else 250
  int probe_timeout_ms = 0;  // 0: the profile's, else 1000
  // partition-quorum's grace; unset: the profile's, else CheckOptions' default.
  std::optional<double> partition_grace_s;
  std::vector<std::string> elector_args;  // extra words for the built-in elector
  std::filesystem::path node_binary;      // schism-node, for built-in electors
  // Who the nodes (and a service's members) run as: a user name, UID[:GID] or
  // "root" (harness/node_user.h). Empty: nobody, or root with a warning when
  // nobody cannot reach the store or the programs.
  std::string node_user;
  std::size_t nodes = 5;
  double time_s = 30;
  std::uint64_t seed = 0;
  std::vector<std::string> nemeses = {"partition", "kill"};
  std::map<std::string, double> weights;  // share of cycles per nemesis (ScheduleOptions)
  double interval_s = 3;
  double quiet_s = 0;               // healed period at the end; 0: max(5, 20% of time)
  double liveness_deadline_s = 0;   // 0: 80% of the quiet period, at most quiet - window
  std::optional<double> stable_window_s;  // unset: CheckOptions' default (1 s)
  std::vector<std::string> checkers;      // the checkers to run; empty: all
  bool split_brain_fails = true;    // termless electors: two leaders at once is a failure
  std::uint16_t port = 7000;
  std::filesystem::path store = "store";
  // Seconds between fdatasyncs of the history (0: none; every line is still
  // written at once, which a crash of the controller cannot lose, but a crash
  // of the machine may).
  double fsync_every_s = 0;
  // A replay: these ops (a timeline) run instead of a schedule generated from
  // `nemeses` and `seed`; `seed` still seeds the nodes and any random target.
  std::optional<std::vector<nemesis::Op>> timeline;
  std::string replay_of;  // where `timeline` came from, recorded in config.json
};

struct RunResult {
  std::filesystem::path run_dir;
  checkers::Validity overall = checkers::Validity::kUnknown;
  std::vector<checkers::Verdict> verdicts;
  bool interrupted = false;  // SIGINT or SIGTERM ended it early
  int interrupt_signal = 0;  // which of the two
  std::vector<std::string> warnings;                      // how the nodes kept the contract
  std::map<std::uint64_t, std::string> evidence_events;  // history lines, by "i"
};

// Throws UsageError naming the first flag of `config` that a run refuses
// (nodes out of range, --time not longer than the quiet period, a liveness
// deadline that does not fit, an unknown checker, ...). RunTest calls it first.
void CheckRunConfig(const RunConfig& config);

// Runs one test. Progress lines go to `progress`. Throws UsageError for a bad
// configuration (checked before anything is built), SetupError when a node
// exits before it ever printed a contract line (the elector cannot start: a
// setup problem, not a finding), and std::exception for an environment
// failure; in every case everything the run made is gone again (processes,
// namespaces, rules), while the run dir keeps what was recorded.
RunResult RunTest(const RunConfig& config, std::ostream& progress);

// The service a run places beside its nodes: --service, else its profile's.
std::string ServiceOf(const RunConfig& config);

// Throws UsageError naming the first op of a replayed timeline that would
// start a fault inside the quiet period, or end one after the run.
void CheckTimelineFits(const std::vector<nemesis::Op>& ops, const RunConfig& config);

// The quiet period, stability window and liveness deadline that RunTest
// uses for `config`, and all the checker options it records and judges with.
// A run with no fault at all (--nemesis none, an empty timeline) has no
// quiet period and no final heal: its liveness deadline counts from the start.
bool HasFaults(const RunConfig& config);
double QuietPeriod(const RunConfig& config);
double StableWindow(const RunConfig& config);
double LivenessDeadline(const RunConfig& config);
checkers::CheckOptions CheckOptionsFor(const RunConfig& config);
// run/start's "checks": those options, and the checkers to run (--checker,
// else the profile's, else none named: every default checker).
nlohmann::json RecordedChecks(const RunConfig& config);

// config.json (and run/start's "config") for `config`, whose nodes run `command`.
nlohmann::json ConfigJson(const RunConfig& config, const std::vector<std::string>& command);
// The schedule generator's options for `config` (its nemeses, length, quiet period, seed).
nemesis::ScheduleOptions ScheduleOptionsFor(const RunConfig& config);

}  // namespace schism::harness
