#pragma once
// Checking a history file: one streaming pass through every selected checker
// (and, for a run, the HTML report), then the files of the run store.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "harness/run_store.h"

namespace schism::harness {

struct CheckSettings {
  std::vector<std::string> checkers;  // empty: all of them
  checkers::CheckOptions options;
  bool lenient = false;  // skip malformed lines (verdict at best unknown) instead of failing
  bool html = true;      // also render report.html
  std::string title;     // heads the report
};

struct CheckOutcome {
  std::vector<checkers::Verdict> verdicts;
  checkers::Validity overall = checkers::Validity::kUnknown;
  std::uint64_t events = 0;
  std::uint64_t skipped_lines = 0;
  std::string html;  // when CheckSettings::html
};

// Streams `history` once. Throws UsageError for an unknown checker name, an
// unreadable file ("cannot read <path>: <reason>") or, unless lenient, a
// malformed line ("<path>:<line>: <problem>").
CheckOutcome CheckHistory(const std::filesystem::path& history, const CheckSettings& settings);

// Writes results.json, junit.xml and report.html into the run dir.
void WriteReports(const RunDir& dir, const CheckOutcome& outcome, const std::string& suite,
                  double seconds);

// The exit code for a verdict (DESIGN.md §4).
int ExitCodeFor(checkers::Validity v);

}  // namespace schism::harness
