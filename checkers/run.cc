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
  // By event type, the healthy checkers that read it, in order: the loop
  // below runs once per checker and event, so it walks a plain list, and
  // drops a checker from every list when it fails. `observers` adds those that
  // keep only the time of that type, for the first and the last event.
  using Lists =
      std::array<std::vector<std::pair<Checker*, std::size_t>>, histories::kEventTypeCount>;
  Lists observers;
  Lists readers;
  std::vector<EventTypes> held_back(checkers.size());  // By checker: the types it is not fed.
  for (std::size_t k = 0; k < checkers.size(); ++k) {
    const EventTypes wanted = checkers[k]->Observes();
    held_back[k] = wanted & checkers[k]->KeepsTimeOnly();
    for (std::size_t type = 0; type < histories::kEventTypeCount; ++type) {
      const EventTypes bit = TypeBit(static_cast<histories::EventType>(type));
      if ((wanted & bit) == 0) continue;
      observers[type].emplace_back(checkers[k].get(), k);
      if ((held_back[k] & bit) == 0) readers[type].emplace_back(checkers[k].get(), k);
    }
  }
  auto feed = [&](Checker& checker, std::size_t k, const histories::Event& event,
                  const EventContext& context) {
    if (Fed(checker, event, context, failures[k])) return true;
    failed[k] = true;
    for (Lists* lists : {&observers, &readers}) {
      for (auto& others : *lists) {
        std::erase_if(others, [k](const auto& entry) { return entry.second == k; });
      }
    }
    return false;
  };

  SharedContext shared;
  // Read by turns into two events, so that the last one read is still whole
  // when the reader has reached the end.
  std::array<histories::Event, 2> events;
  std::size_t turn = 0;
  std::uint64_t count = 0;
  const EventContext* last_context = nullptr;
  while (reader.Next(events[turn])) {
    const histories::Event& event = events[turn];
    const EventContext& context = shared.Next(event);
    const Lists& lists = count++ == 0 ? observers : readers;
    const auto& list = lists[static_cast<std::size_t>(event.type)];
    for (std::size_t h = 0; h < list.size();) {
      const auto [checker, k] = list[h];
      if (feed(*checker, k, event, context)) ++h;
    }
    last_context = &context;
    turn ^= 1;
  }
  if (count > 1) {
    const histories::Event& last = events[turn ^ 1];
    const EventTypes bit = TypeBit(last.type);
    for (std::size_t k = 0; k < checkers.size(); ++k) {
      if (!failed[k] && (held_back[k] & bit) != 0) feed(*checkers[k], k, last, *last_context);
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
