#include <exception>
#include <string>
#include <utility>
#include <vector>

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

// Feeds `event` to `checker`; on a throw, sets `failure` to why and returns false.
bool Fed(Checker& checker, const histories::Event& event, const EventContext& context,
         std::string& failure) {
  try {
    checker.Observe(event, context);
    return true;
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  return false;
}

}  // namespace

std::vector<Verdict> RunCheckers(histories::HistoryReader& reader,
                                 std::vector<std::unique_ptr<Checker>>& checkers) {
  std::vector<std::string> failures(checkers.size());  // Why each failed checker failed.
  std::vector<bool> failed(checkers.size(), false);
  // The healthy checkers, in order: the loop below runs once per checker and
  // event, so it walks a plain list and drops a checker from it when it fails.
  std::vector<std::pair<Checker*, std::size_t>> healthy;
  healthy.reserve(checkers.size());
  for (std::size_t k = 0; k < checkers.size(); ++k) healthy.emplace_back(checkers[k].get(), k);
  SharedContext shared;
  histories::Event event;
  while (reader.Next(event)) {
    const EventContext& context = shared.Next(event);
    for (std::size_t h = 0; h < healthy.size();) {
      const auto [checker, k] = healthy[h];
      if (Fed(*checker, event, context, failures[k])) {
        ++h;
        continue;
      }
      failed[k] = true;
      healthy.erase(healthy.begin() + static_cast<std::ptrdiff_t>(h));
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
