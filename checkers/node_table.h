#pragma once
// Small integer ids for node names, so that checkers keep per-node state in
// vectors and look names up without allocating.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace schism::checkers {

// Maps node names to dense ids 0, 1, 2, ... in order of first appearance.
class NodeTable {
 public:
  using Id = std::uint32_t;

  // Returns the id of `name`, adding it if new. Allocates only for a new name.
  Id Intern(std::string_view name) {
    // A cluster has a handful of nodes: comparing a few short names beats
    // hashing one, and checkers intern names for nearly every event.
    if (names_.size() <= kLinearMax) {
      if (name.size() < kWordBytes) {
        // Every word is compared, and the first match taken from a mask:
        // events name nodes in no predictable order, so a loop that stopped
        // at the match would branch differently from one call to the next.
        const std::uint64_t word = Word(name);
        std::uint32_t matches = 0;
        for (std::size_t id = 0; id < words_.size(); ++id) {
          matches |= static_cast<std::uint32_t>(words_[id] == word) << id;
        }
        if (matches != 0) return static_cast<Id>(std::countr_zero(matches));
      } else {
        for (std::size_t id = 0; id < names_.size(); ++id) {
          if (Same(names_[id], name)) return static_cast<Id>(id);
        }
      }
    } else if (auto it = ids_.find(name); it != ids_.end()) {
      return it->second;
    }
    const Id id = static_cast<Id>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
    words_.push_back(name.size() < kWordBytes ? Word(name) : kNoWord);
    return id;
  }

  // The same as Intern(name), for a name whose id in another table (the one
  // all checkers share, see EventContext) is `shared`: remembers the answer by
  // that id, so that looking the name up again is an index, not a compare.
  // A `shared` of ~0 (no id) is looked up by name alone.
  Id Intern(std::string_view name, Id shared) {
    if (shared < by_shared_.size() && by_shared_[shared] != kNone) return by_shared_[shared];
    const Id id = Intern(name);
    if (shared == kNone) return id;
    if (shared >= by_shared_.size()) by_shared_.resize(shared + 1, kNone);
    by_shared_[shared] = id;
    return id;
  }

  const std::string& Name(Id id) const { return names_[id]; }
  std::size_t size() const { return names_.size(); }

 private:
  static constexpr std::size_t kLinearMax = 16;
  static_assert(kLinearMax <= 32, "Intern keeps the matches in a 32-bit mask");
  static constexpr Id kNone = ~Id{0};

  // A name shorter than kWordBytes as one word: its length in the low byte,
  // its bytes above. Two such names are equal when their words are, so the
  // table compares one word per entry. No short name's word is kNoWord (its
  // low byte would be 0xff), the word a longer name is given.
  static constexpr std::size_t kWordBytes = 8;
  static constexpr std::uint64_t kNoWord = ~std::uint64_t{0};
  static std::uint64_t Word(std::string_view name) {
    std::uint64_t word = name.size();
    for (std::size_t k = 0; k < name.size(); ++k) {
      word |= std::uint64_t{static_cast<unsigned char>(name[k])} << (8 * (k + 1));
    }
    return word;
  }

  // a == b, compared inline: names are a few bytes, and a call to memcmp for
  // each would cost more than the compare.
  static bool Same(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    // Names such as n1, n2, ... differ last: look there first.
    if (!a.empty() && a.back() != b.back()) return false;
    for (std::size_t k = 0; k < a.size(); ++k) {
      if (a[k] != b[k]) return false;
    }
    return true;
  }

  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };

  std::unordered_map<std::string, Id, Hash, std::equal_to<>> ids_;
  std::vector<std::string> names_;
  std::vector<std::uint64_t> words_;  // By id: Word(name), or kNoWord for a long name.
  std::vector<Id> by_shared_;  // By shared id: this table's id, or kNone if not yet asked.
};

}  // namespace schism::checkers
