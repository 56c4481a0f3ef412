#include <exception>

#include "checkers/checker.h"
#include "histories/reader.h"

namespace schism::checkers {
namespace {

Verdict Failed(const Checker& checker, std::string_view what) {
  Verdict verdict;
  verdict.checker = std::string(checker.name());
  verdict.valid = Validity::kUnknown;
  verdict.reason = "checker failed: " + std::string(what);
  return verdict;
}

}  // namespace

std::vector<Verdict> RunCheckers(histories::HistoryReader& reader,
                                 std::vector<std::unique_ptr<Checker>>& checkers) {
  std::vector<std::string> failures(checkers.size());  // Empty while a checker is healthy.
  std::vector<bool> failed(checkers.size(), false);
  SharedContext shared;
  histories::Event event;
  while (reader.Next(event)) {
    const EventContext& context = shared.Next(event);
    for (std::size_t k = 0; k < checkers.size(); ++k) {
      if (failed[k]) continue;
      try {
        checkers[k]->Observe(event, context);
      } catch (const std::exception& e) {
        failed[k] = true;
        failures[k] = e.what();
      } catch (...) {
        failed[k] = true;
        failures[k] = "unknown exception";
      }
    }
  }
  std::vector<Verdict> verdicts;
  verdicts.reserve(checkers.size());
  for (std::size_t k = 0; k < checkers.size(); ++k) {
    if (failed[k]) {
      verdicts.push_back(Failed(*checkers[k], failures[k]));
      continue;
    }
    try {
      verdicts.push_back(checkers[k]->Finish());
      if (verdicts.back().checker.empty()) verdicts.back().checker = checkers[k]->name();
    } catch (const std::exception& e) {
      verdicts.push_back(Failed(*checkers[k], e.what()));
    } catch (...) {
      verdicts.push_back(Failed(*checkers[k], "unknown exception"));
    }
  }
  return verdicts;
}

}  // namespace schism::checkers
