#pragma once
// Checking a history file: one streaming pass through every selected checker
// (and, for a run, the HTML report), then the files of the run store.

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "harness/run_store.h"

namespace schism::harness {

// Flags given to `schism check`. Each one set wins over what the history's
// run/start event recorded (the options the run judged with), which wins
// over the defaults of checkers::CheckOptions.
struct CheckOverrides {
  std::optional<std::size_t> nodes;
  std::optional<double> liveness_deadline_s;
  std::optional<double> stable_window_s;
  std::optional<double> partition_grace_s;
  std::optional<bool> split_brain_fails;
};

struct CheckSettings {
  std::vector<std::string> checkers;  // empty: those the run recorded, else all
  CheckOverrides overrides;
  bool lenient = false;  // skip malformed lines (verdict at best unknown) instead of failing
  bool html = true;      // also render report.html
  std::string title;     // heads the report
};

struct CheckOutcome {
  std::vector<checkers::Verdict> verdicts;
  // Merged over the checkers; unknown at best when lines were skipped or the
  // run was interrupted or did not finish (it did not run its course).
  checkers::Validity overall = checkers::Validity::kUnknown;
  std::uint64_t events = 0;
  std::uint64_t skipped_lines = 0;
  std::string html;  // when CheckSettings::html
  checkers::CheckOptions options;       // what the checkers judged with
  std::vector<std::string> checker_names;
  nlohmann::json run;  // the run's parameters (run/start "config"); null if not recorded
  // The run/end event says the run was interrupted; then at what time.
  bool interrupted = false;
  // The history has the run's start but not its end: the run did not finish
  // (its controller was killed, or it still runs). The verdict is at best
  // unknown and covers only what was recorded.
  bool partial = false;
  double ended_at_s = 0;  // "t" of the last event
  // How the nodes kept the contract: ignored lines, buffered output (checkers::ContractWatch).
  std::vector<std::string> warnings;
  // The history line of every event a verdict gives as evidence, by "i".
  std::map<std::uint64_t, std::string> evidence_events;
  // What the controller itself used, when a run (not `schism check`) fills it:
  // {"cpu_s","max_rss_kib","start_s","teardown_s","wall_s"}; null otherwise.
  nlohmann::json controller;
};

// Streams `history` once (after a look at its first event for the recorded
// options). Throws UsageError for an unknown checker name, an unreadable file
// ("cannot read <path>: <reason>"), a run dir or a directory without a
// history, or, unless lenient, a malformed line ("<path>:<line>: <problem>").
CheckOutcome CheckHistory(const std::filesystem::path& history, const CheckSettings& settings);

// The content of results.json for `outcome` (see docs/running.md):
// schema, verdict, valid, interrupted, run, checks and the checkers' verdicts.
nlohmann::json ResultsFor(const CheckOutcome& outcome);

// Writes results.json, junit.xml and report.html into the run dir.
void WriteReports(const RunDir& dir, const CheckOutcome& outcome, const std::string& suite,
                  double seconds);

// `schism report`: renders `run_dir`'s report.html again from its history,
// with the options and checkers the run recorded (a report from an older
// schism gets today's page), and returns its path. Throws UsageError when
// `run_dir` is not a run dir (no history.jsonl), or as CheckHistory does.
std::filesystem::path RegenerateReport(const std::filesystem::path& run_dir);

// The exit code for a verdict (DESIGN.md §4).
int ExitCodeFor(checkers::Validity v);

// The checker names run/start's "checks" records (empty when it names none:
// then every default checker runs).
std::vector<std::string> RecordedCheckers(const nlohmann::json& checks);

}  // namespace schism::harness
