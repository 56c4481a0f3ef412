#pragma once
// The history a controller would record of a simulated run (DESIGN.md §3),
// so that the checkers can judge it: run, process and nemesis events the
// simulator writes itself, and the nodes' contract events, each turned into
// a history event the way the controller does (through the contract line).
// Time is logical: the caller says what the clock reads.

#include <cstdint>
#include <string>
#include <vector>

#include "histories/event.h"
#include "tests/sim/cluster.h"

namespace schism::sim {

class HistoryRecorder {
 public:
  // Sets the time stamped on the events that follow, in seconds since the run started.
  void set_now(double seconds) { now_ = seconds; }
  double now() const { return now_; }

  void RunStart(const std::vector<std::string>& nodes, std::uint64_t seed);
  void RunEnd();
  void ProcessStart(const std::string& node);
  void ProcessKill(const std::string& node);  // As by SIGKILL.
  void PartitionStart(const std::vector<std::vector<std::string>>& components);
  void PartitionEnd();
  // Records the contract events of `outputs` (state and messages leave no trace).
  void Record(const std::vector<NodeOutput>& outputs);

  // The history so far, one JSON line per event.
  const std::string& text() const { return text_; }

 private:
  histories::Event Make(histories::EventType type, const std::string& node, std::string f);
  void Emit(const histories::Event& event);

  double now_ = 0.0;
  std::uint64_t next_index_ = 0;
  std::string text_;
};

}  // namespace schism::sim
