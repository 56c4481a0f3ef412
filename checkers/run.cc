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

using CheckerList = std::vector<std::pair<Checker*, std::size_t>>;

// Feeds `event` to the checkers of `list` from the `from`th on, and returns
// list.size(), or the place of one that threw, with `failure` set to why. One
// try block around the loop, not one call with its own per checker: this loop
// runs for every checker and event.
std::size_t FeedFrom(const CheckerList& list, std::size_t from, const histories::Event& event,
                     const EventContext& context, std::string& failure) {
  std::size_t h = from;
  try {
    for (; h < list.size(); ++h) list[h].first->Observe(event, context);
  } catch (const std::exception& e) {
    failure = e.what();
  } catch (...) {
    failure = "unknown exception";
  }
  return h;
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
  using Lists = std::array<CheckerList, histories::kEventTypeCount>;
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
  auto drop = [&](std::size_t k, std::string why) {
    failures[k] = std::move(why);
    failed[k] = true;
    for (Lists* lists : {&observers, &readers}) {
      for (auto& others : *lists) {
        std::erase_if(others, [k](const auto& entry) { return entry.second == k; });
      }
    }
  };
  // Feeds `event` to every checker of `list` that does not fail on it. A
  // checker that throws is dropped from the lists, so the next one takes
  // its place in `list`.
  auto feed = [&](const CheckerList& list, const histories::Event& event,
                  const EventContext& context) {
    std::string why;
    for (std::size_t h = 0; (h = FeedFrom(list, h, event, context, why)) < list.size();) {
      drop(list[h].second, std::move(why));
    }
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
    feed(lists[static_cast<std::size_t>(event.type)], event, context);
    last_context = &context;
    turn ^= 1;
  }
  if (count > 1) {
    const histories::Event& last = events[turn ^ 1];
    const EventTypes bit = TypeBit(last.type);
    CheckerList held;  // Those that kept only the time of this type.
    for (std::size_t k = 0; k < checkers.size(); ++k) {
      if (!failed[k] && (held_back[k] & bit) != 0) held.emplace_back(checkers[k].get(), k);
    }
    // Unlike feed()'s lists, `held` keeps a dropped checker: step past it.
    std::string why;
    for (std::size_t h = 0; (h = FeedFrom(held, h, last, *last_context, why)) < held.size(); ++h) {
      drop(held[h].second, std::move(why));
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
