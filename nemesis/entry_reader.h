#pragma once
// Internal to nemesis/: reading the fields of one timeline entry, with errors
// that name the entry. The fault kinds (fault_kind.h) read their fields
// through it; not part of the public API.

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nemesis/grudge.h"

namespace schism::nemesis {

// Reads one timeline entry. Every failure throws std::invalid_argument whose
// message is `where` (e.g. "timeline[3]: ") followed by one line. The entry
// and the node list must outlive the reader.
class EntryReader {
 public:
  // With `nodes`, every node the entry names must be one of them; without
  // (nullptr), names are not checked here.
  EntryReader(const nlohmann::json& entry, std::string where, const std::vector<std::string>* nodes)
      : entry_(entry), where_(std::move(where)), nodes_(nodes) {}

  [[noreturn]] void Fail(const std::string& what) const;

  bool Has(const char* key) const { return entry_.contains(key); }
  // The field, or nullptr when it is absent.
  const nlohmann::json* Find(const char* key) const;

  // A string field; missing or another type fails.
  std::string String(const char* key) const;
  // A finite number >= 0; `fallback` when absent (absent without one fails).
  double Number(const char* key, std::optional<double> fallback) const;
  // A finite number of either sign.
  double SignedNumber(const char* key, std::optional<double> fallback) const;
  // A number that must be greater than zero.
  double Positive(const char* key, std::optional<double> fallback) const;
  // A whole number (|value| <= 1e9); sign and range are left to the caller.
  int Integer(const char* key) const;

  // Fails on the first field (in key order) that is not in `known`:
  // "unknown field \"restart_afer\" for kill; did you mean \"restart_after\"?".
  // `op` names the op kind, or is empty when there is none.
  void OnlyFields(const std::vector<std::string>& known, std::string_view op) const;

  // A node name that must belong to the cluster when it is known.
  std::string Node(const char* key) const;
  // Fails for a name outside the cluster when it is known ("unknown node
  // \"n9\" in <context>").
  void CheckNode(const std::string& name, const std::string& context) const;

  // "components": [["n1","n2"],["n3"]].
  Components ComponentList() const;
  // "grouping": "n1,n2|n3,n4,n5", every node once when the cluster is known.
  Components Grouping() const;
  // [["n1","n2"],...]: directed pairs of distinct nodes.
  std::vector<std::pair<std::string, std::string>> PairList(const char* key) const;

 private:
  const nlohmann::json& entry_;
  std::string where_;
  const std::vector<std::string>* nodes_;
};

}  // namespace schism::nemesis
