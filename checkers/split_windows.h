#pragma once
// Finds the windows in which two or more live nodes believe they lead.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "checkers/node_status.h"
#include "histories/event.h"

namespace schism::checkers {

// Fed after every event that NodeStatus applied, it opens a window when a
// second up node's latest role is leader and closes it when fewer than two
// remain. Memory: the count and total length of all windows, and the first
// kMaxKept windows in full.
class SplitWindows {
 public:
  static constexpr std::size_t kMaxKept = 10;

  struct Window {
    double start = 0.0;
    double end = 0.0;
    std::uint64_t start_index = 0;       // The event that opened it.
    std::uint64_t end_index = 0;         // The event that closed it (or the last event).
    std::vector<NodeTable::Id> leaders;  // The leaders when it opened.
    std::vector<std::uint64_t> claims;   // Their leader claims' "i".
  };

  // Re-counts the leaders after `event` changed `status`.
  void Update(const NodeStatus& status, const histories::Event& event);

  // Closes a window still open at `end_time` / `end_index` (the end of the history).
  void Close(double end_time, std::uint64_t end_index);

  std::uint64_t count() const { return count_; }
  double total_s() const { return total_s_; }
  double longest_s() const { return longest_s_; }
  const std::vector<Window>& kept() const { return kept_; }

 private:
  void End(double time, std::uint64_t index);

  bool open_ = false;
  Window current_;
  std::uint64_t count_ = 0;
  double total_s_ = 0.0;
  double longest_s_ = 0.0;
  std::vector<Window> kept_;
};

}  // namespace schism::checkers
