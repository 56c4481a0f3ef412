#pragma once
// Warnings about how a node kept the elector contract, from the history
// alone: lines it printed that schism had to ignore, and signs that its
// stdout is buffered. Not a verdict: a buffered elector makes the checkers
// judge stale or missing lines, so the run says why before anyone trusts it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// Fed every event of a history in order, then asked for its warnings, each
// one line naming the node:
// - "n1: 12 contract line(s) ignored (first: {...}: unknown event ...)",
//   from the "ignored_lines" of the run/end event;
// - "n1 printed its first contract line 9.8 s after it started...", when a
//   node's first line comes more than kLateFirstLine after its process start
//   (unless the next warning says more about that node);
// - "n1: 12 of 12 contract lines arrived only as it exited...", when two or
//   more lines of one process come within kBurst of its exit (or after the
//   run began stopping) after a silence of kLateFirstLine since its start.
// Memory: one entry per node.
class ContractWatch {
 public:
  static constexpr double kLateFirstLine = 5.0;
  static constexpr double kBurst = 0.25;

  void Observe(const histories::Event& event);
  std::vector<std::string> Warnings() const;

 private:
  struct Process {
    double start = 0;                  // "t" of its process start
    std::optional<double> first_line;  // "t" of its first contract line
    double last_line = 0;
    std::uint64_t lines = 0;
    std::uint64_t burst = 0;  // lines within kBurst of the latest one
  };
  void Ended(NodeTable::Id id, double time);

  NodeTable nodes_;
  std::vector<Process> processes_;  // by node id: the current process
  std::vector<std::string> late_;   // by node id: its late-first-line warning, if any
  std::vector<bool> warned_burst_;  // by node id
  std::optional<double> stopping_;  // when the run began stopping the nodes
  std::vector<std::string> warnings_;
};

}  // namespace schism::checkers
