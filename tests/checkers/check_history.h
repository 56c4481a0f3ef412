#pragma once
// Runs one registered checker over a history written as a JSONL string.

#include <cstdint>
#include <memory>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "checkers/checker.h"
#include "histories/reader.h"

namespace schism::checkers {

inline Verdict CheckHistory(std::string_view checker, const std::string& jsonl,
                            const CheckOptions& options = {}) {
  std::istringstream in(jsonl);
  histories::HistoryReader reader(in, "test.jsonl");
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(MakeChecker(checker, options));
  return RunCheckers(reader, list).at(0);
}

// One row of a table-driven checker test: run `checker` over `history` and
// expect this verdict, exactly this evidence, and `reason` within the reason.
struct VerdictCase {
  const char* name;
  const char* checker;
  const std::string* history;
  Validity expected;
  std::vector<std::uint64_t> evidence;
  const char* reason;  // A part of the reason.
};

inline void PrintTo(const VerdictCase& c, std::ostream* os) { *os << c.name; }

// Checks `c` with gtest expectations and returns the verdict for more.
inline Verdict ExpectVerdict(const VerdictCase& c) {
  Verdict verdict = CheckHistory(c.checker, *c.history);
  EXPECT_EQ(verdict.checker, c.checker);
  EXPECT_EQ(ToString(verdict.valid), ToString(c.expected)) << verdict.reason;
  EXPECT_EQ(verdict.evidence, c.evidence) << verdict.reason;
  EXPECT_THAT(verdict.reason, ::testing::HasSubstr(c.reason));
  EXPECT_EQ(verdict.reason.find('\n'), std::string::npos) << "a reason is one line";
  return verdict;
}

}  // namespace schism::checkers
