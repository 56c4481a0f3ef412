#pragma once
// Per-term state over the term window, in a ring instead of a std::map.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "checkers/term_window.h"

namespace schism::checkers {

// A map from term to T for the terms of the term window (term_window.h): the
// live terms are never more than kTermWindow apart, so each has a slot of its
// own in a ring of kSlots, found by the term's low bits, with no tree to
// rebalance and no allocation per term. A slot's T is reset (Reset(T&)) and
// reused, so vectors in it keep their capacity: T has a clear() that empties it. Forget() drops the
// terms that left the window, in term order, as erasing a std::map from its begin would. Memory:
// kSlots entries of T, made on first use.
template <typename T>
class TermRing {
 public:
  static constexpr std::size_t kSlots = 2048;  // A power of two above kTermWindow + 1.
  static_assert(kSlots > kTermWindow + 1 && (kSlots & (kSlots - 1)) == 0);

  // The state of `term`, made empty if it has none. `term` must be within the
  // window of every term held (OutOfWindow false both ways).
  T& operator[](std::uint64_t term) {
    bool made = false;
    return Get(term, made);
  }
  // The same, setting `made` to whether the term was new.
  T& Get(std::uint64_t term, bool& made) {
    if (slots_.empty()) slots_.resize(kSlots);
    Slot& slot = slots_[term & (kSlots - 1)];
    if (slot.used && slot.term != term) {
      // Only a caller that broke the rule above gets here; a wrong answer would be worse.
      throw std::logic_error("term " + std::to_string(term) + " is not in the window of term " +
                             std::to_string(slot.term));
    }
    made = !slot.used;
    if (made) {
      slot.used = true;
      slot.term = term;
      Reset(slot.value);
      low_ = size_++ == 0 ? term : std::min(low_, term);
    }
    return slot.value;
  }
  // The state of `term`, or nullptr if it has none.
  T* Find(std::uint64_t term) {
    if (slots_.empty()) return nullptr;
    Slot& slot = slots_[term & (kSlots - 1)];
    return slot.used && slot.term == term ? &slot.value : nullptr;
  }
  std::size_t size() const { return size_; }

  // Calls gone(term, state) for each term that OutOfWindow(term, newest), in
  // term order, and forgets it.
  template <typename F>
  void Forget(std::uint64_t newest, F&& gone) {
    if (size_ > 0 && newest - low_ > kTermWindow + kSlots) {
      // A jump of more than a ring: walk the slots, not the terms.
      for (const auto& [term, index] : Sorted()) {
        if (!OutOfWindow(term, newest)) break;
        Drop(slots_[index], gone);
      }
      if (size_ > 0) low_ = Sorted().front().first;
      return;
    }
    while (size_ > 0 && OutOfWindow(low_, newest)) {
      Slot& slot = slots_[low_ & (kSlots - 1)];
      if (slot.used && slot.term == low_) Drop(slot, gone);
      ++low_;
    }
  }

  // Calls f(term, state) for each term held, in term order.
  template <typename F>
  void ForEach(F&& f) {
    for (const auto& [term, index] : Sorted()) f(term, slots_[index].value);
  }

  // Forgets every term.
  void Clear() {
    for (Slot& slot : slots_) slot.used = false;
    size_ = 0;
  }

 private:
  struct Slot {
    bool used = false;
    std::uint64_t term = 0;
    T value{};
  };

  static void Reset(T& value) { value.clear(); }

  template <typename F>
  void Drop(Slot& slot, F& gone) {
    gone(slot.term, slot.value);
    slot.used = false;
    --size_;
  }

  // (term, slot index) of every term held, in term order.
  std::vector<std::pair<std::uint64_t, std::size_t>> Sorted() const {
    std::vector<std::pair<std::uint64_t, std::size_t>> held;
    for (std::size_t k = 0; k < slots_.size(); ++k) {
      if (slots_[k].used) held.emplace_back(slots_[k].term, k);
    }
    std::sort(held.begin(), held.end());
    return held;
  }

  std::vector<Slot> slots_;
  std::size_t size_ = 0;
  std::uint64_t low_ = 0;  // No term held is below it.
};

}  // namespace schism::checkers
