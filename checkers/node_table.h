#pragma once
// Small integer ids for node names, so that checkers keep per-node state in
// vectors and look names up without allocating.

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
      for (std::size_t id = 0; id < names_.size(); ++id) {
        if (Same(names_[id], name)) return static_cast<Id>(id);
      }
    } else if (auto it = ids_.find(name); it != ids_.end()) {
      return it->second;
    }
    const Id id = static_cast<Id>(names_.size());
    names_.emplace_back(name);
    ids_.emplace(names_.back(), id);
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
  static constexpr Id kNone = ~Id{0};

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
  std::vector<Id> by_shared_;  // By shared id: this table's id, or kNone if not yet asked.
};

}  // namespace schism::checkers
