#pragma once
// Renders checker verdicts for files and terminals. Pure string producers: the
// caller writes the results wherever it likes.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"

namespace schism::checkers {

// The version of the results.json layout; it grows when a field changes meaning.
inline constexpr int kResultsSchema = 1;

// The content of results.json:
//   {"schema": 1, "verdict": "valid" | "invalid" | "unknown", "valid": bool,
//    ...every field of `extra`...,
//    "checkers": [{"checker": "quorum", "verdict": "valid", "valid": true,
//                  "reason": "...", "evidence": [9, 14], "details": {...}}, ...]}
// "verdict" is the three-way answer; "valid" is true only for "valid", so
// `if results["valid"]` never passes an unknown run. Checkers keep the order
// of `verdicts`.
nlohmann::json ResultsJson(const std::vector<Verdict>& verdicts, Validity overall,
                           const nlohmann::json& extra = nlohmann::json::object());

// A JUnit XML report with one testsuite named `suite_name` that took `seconds`,
// and one testcase per checker: an invalid verdict becomes a <failure> whose
// message is the reason and whose text lists the evidence; an unknown verdict
// becomes <skipped message="reason">. A non-empty `interrupted` adds a
// testcase "run" with an <error> of that message: the run did not finish.
std::string JUnitXml(const std::vector<Verdict>& verdicts, std::string_view suite_name,
                     double seconds, const std::string& interrupted = "");

// A plain-text table for terminals, one row per checker, columns aligned:
//   checker          | verdict | reason
//   -----------------+---------+-------------------------
//   election-safety  | valid   | one leader in each of 7 terms
// Each line ends with '\n'.
std::string VerdictTable(const std::vector<Verdict>& verdicts);

}  // namespace schism::checkers
