#pragma once
// The checklist of `schism conform`: whether an elector keeps the contract
// (docs/contract.md), judged from the history of one scripted run and that
// run's checker verdicts. Pure: no I/O.
//
// The script (harness/conform.h) kills the leader once on clean links, then
// races elections under packet loss with kills of a voter just after it votes
// (restarted at once, while a rival still asks), then sends one node SIGTERM,
// and heals. Each item passes, fails (with the history lines that show it),
// is not applicable to this elector (e.g. no terms), or is unknown when the
// run did not exercise it.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "histories/event.h"

namespace schism::checkers {

enum class ItemStatus { kPass, kFail, kNotApplicable, kUnknown };

// "pass", "FAIL", "n/a", "unknown".
std::string_view ToString(ItemStatus status);

struct ConformItem {
  std::string name;   // a short key, e.g. "vote-memory"
  std::string title;  // what is asked, e.g. "a restarted node remembers its vote"
  ItemStatus status = ItemStatus::kUnknown;
  std::string detail;                   // one line: what was seen
  std::vector<std::uint64_t> evidence;  // history "i" values behind a failure
};

struct ConformLimits {
  double first_line_s = 10;  // from a node's start to its first contract line
  double leader_s = 10;      // from the last node's start to the first leader
  double failover_s = 10;    // from the leader's kill to another node leading
};

// The items, in the order they are printed. `verdicts` are the run's checker
// verdicts (vote-once, term-monotonic, liveness and the safety checkers are
// read by name; a missing one makes its item unknown).
std::vector<ConformItem> ConformChecklist(const std::vector<histories::Event>& history,
                                          const std::vector<Verdict>& verdicts,
                                          const ConformLimits& limits = {});

// 1 when an item failed, else 2 when one is unknown, else 0 (all passed or
// not applicable): the exit codes of verdicts (DESIGN.md §4).
int ConformExitCode(const std::vector<ConformItem>& items);

}  // namespace schism::checkers
