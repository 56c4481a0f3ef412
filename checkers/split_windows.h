#pragma once
// Finds the windows in which two or more live nodes believe they lead.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "checkers/node_status.h"
#include "checkers/status_view.h"
#include "histories/event.h"

namespace schism::checkers {

// Fed after every event that the node status applied, it opens a window when a
// second up node's latest role is leader and closes it when fewer than two
// remain. A window in which, at some moment, two of the leaders claim the
// same term is marked with that term: no elector with terms may ever show
// that, while leaders of different terms are an old leader that has not yet
// heard of the new term. Memory: the count and total length of all windows, and the first
// kMaxKept windows in full.
class SplitWindows {
 public:
  static constexpr std::size_t kMaxKept = 10;

  struct Window {
    double start = 0.0;
    double end = 0.0;
    std::uint64_t start_index = 0;              // The event that opened it.
    std::uint64_t end_index = 0;                // The event that closed it (or the last event).
    std::vector<NodeTable::Id> leaders;         // The leaders when it opened.
    std::vector<std::uint64_t> claims;          // Their leader claims' "i".
    std::optional<std::uint64_t> shared_term;   // Two leaders claimed it at once.
    std::vector<NodeTable::Id> shared_leaders;  // The two leaders of that term,
    std::vector<std::uint64_t> shared_claims;   // and their claims' "i".
  };

  // Re-counts the leaders after `event` changed `status`.
  void Update(const StatusView& status, const histories::Event& event);

  // Closes a window still open at `end_time` / `end_index` (the end of the history).
  void Close(double end_time, std::uint64_t end_index);

  std::uint64_t count() const { return count_; }
  // Windows with two leaders of one term at some moment.
  std::uint64_t same_term_count() const { return same_term_count_; }
  double total_s() const { return total_s_; }
  double longest_s() const { return longest_s_; }
  const std::vector<Window>& kept() const { return kept_; }

 private:
  void End(double time, std::uint64_t index);
  // Marks the open window if two of the current leaders share a term.
  void FindSharedTerm(const StatusView& status);

  bool open_ = false;
  Window current_;
  std::uint64_t count_ = 0;
  std::uint64_t same_term_count_ = 0;
  double total_s_ = 0.0;
  double longest_s_ = 0.0;
  std::vector<Window> kept_;
  std::vector<NodeTable::Id> termed_leaders_;  // FindSharedTerm's scratch, kept for its capacity.
};

}  // namespace schism::checkers
