#pragma once
// Runs one registered checker over a history written as a JSONL string.

#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

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

}  // namespace schism::checkers
