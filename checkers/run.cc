#include <array>
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
  // By event type, the healthy checkers that observe it, in order: the loop
  // below runs once per checker and event, so it walks a plain list, and
  // drops a checker from every list when it fails.
  std::array<std::vector<std::pair<Checker*, std::size_t>>, histories::kEventTypeCount> observers;
  for (std::size_t k = 0; k < checkers.size(); ++k) {
    const EventTypes wanted = checkers[k]->Observes();
    for (std::size_t type = 0; type < histories::kEventTypeCount; ++type) {
      if (wanted & TypeBit(static_cast<histories::EventType>(type))) {
        observers[type].emplace_back(checkers[k].get(), k);
      }
    }
  }
  SharedContext shared;
  histories::Event event;
  while (reader.Next(event)) {
    const EventContext& context = shared.Next(event);
    const auto& list = observers[static_cast<std::size_t>(event.type)];
    for (std::size_t h = 0; h < list.size();) {
      const auto [checker, k] = list[h];
      if (Fed(*checker, event, context, failures[k])) {
        ++h;
        continue;
      }
      failed[k] = true;
      for (auto& others : observers) {
        std::erase_if(others, [k = k](const auto& entry) { return entry.second == k; });
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
