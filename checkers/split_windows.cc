#include "checkers/split_windows.h"

#include <algorithm>

namespace schism::checkers {

void SplitWindows::Update(const StatusView& status, const histories::Event& event) {
  const std::size_t leaders = status.leaders();
  if (leaders >= 2 && !open_) {
    open_ = true;
    ++count_;
    current_ = Window{event.time, event.time, event.index, event.index, {}, {}, {}, {}, {}};
    if (kept_.size() < kMaxKept) {
      for (NodeTable::Id id = 0; id < status.size(); ++id) {
        if (!status.Leads(id)) continue;
        current_.leaders.push_back(id);
        current_.claims.push_back(status.node(id).role_index);
      }
    }
  } else if (leaders < 2 && open_) {
    End(event.time, event.index);
  }
  if (open_) FindSharedTerm(status);
}

void SplitWindows::FindSharedTerm(const StatusView& status) {
  if (current_.shared_term) return;  // The first such pair is the evidence.
  // The leaders with a term first, in id order, then the pairs of them in
  // the order a search of all pairs of nodes would meet them: the same pair.
  termed_leaders_.clear();
  for (NodeTable::Id id = 0; id < status.size(); ++id) {
    if (status.Leads(id) && status.node(id).term) termed_leaders_.push_back(id);
  }
  for (std::size_t i = 0; i < termed_leaders_.size(); ++i) {
    const NodeTable::Id a = termed_leaders_[i];
    for (std::size_t j = i + 1; j < termed_leaders_.size(); ++j) {
      const NodeTable::Id b = termed_leaders_[j];
      if (status.node(b).term != status.node(a).term) continue;
      current_.shared_term = status.node(a).term;
      current_.shared_leaders = {a, b};
      current_.shared_claims = {status.node(a).role_index, status.node(b).role_index};
      ++same_term_count_;
      return;
    }
  }
}

void SplitWindows::Close(double end_time, std::uint64_t end_index) {
  if (open_) End(end_time, end_index);
}

void SplitWindows::End(double time, std::uint64_t index) {
  open_ = false;
  current_.end = time;
  current_.end_index = index;
  const double length = std::max(0.0, time - current_.start);
  total_s_ += length;
  longest_s_ = std::max(longest_s_, length);
  if (kept_.size() < kMaxKept) kept_.push_back(current_);
}

}  // namespace schism::checkers
