#pragma once
// Renders checker verdicts for files and terminals. Pure string producers: the
// caller writes the results wherever it likes.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"

namespace schism::checkers {

// The content of results.json:
//   {"valid": true | false | "unknown",
//    "checkers": [{"checker": "quorum", "valid": ..., "reason": "...",
//                  "evidence": [9, 14], "details": {...}}, ...]}
// "valid" follows Jepsen: true, false, or the string "unknown". Checkers keep
// the order of `verdicts`.
nlohmann::json ResultsJson(const std::vector<Verdict>& verdicts, Validity overall);

// A JUnit XML report with one testsuite named `suite_name` that took `seconds`,
// and one testcase per checker: an invalid verdict becomes a <failure> whose
// message is the reason and whose text lists the evidence; an unknown verdict
// becomes <skipped message="reason">.
std::string JUnitXml(const std::vector<Verdict>& verdicts, std::string_view suite_name,
                     double seconds);

// A plain-text table for terminals, one row per checker, columns aligned:
//   checker          | verdict | reason
//   -----------------+---------+-------------------------
//   election-safety  | valid   | one leader in each of 7 terms
// Each line ends with '\n'.
std::string VerdictTable(const std::vector<Verdict>& verdicts);

}  // namespace schism::checkers
