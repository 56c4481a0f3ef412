#pragma once
// Internal to nemesis/: the JSON names of the choices inside ops (grudge
// shapes, targets, clock modes), as constant tables, and lookups over them.
// Op names come from the fault kinds (fault_kind.h).

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "nemesis/schedule.h"

namespace schism::nemesis {

inline constexpr std::array<std::pair<GrudgeKind, std::string_view>, 10> kGrudgeNames = {{
    {GrudgeKind::kHalves, "halves"},
    {GrudgeKind::kOne, "one"},
    {GrudgeKind::kIsolateLeader, "isolate-leader"},
    {GrudgeKind::kMajoritiesRing, "majorities-ring"},
    {GrudgeKind::kBridge, "bridge"},
    {GrudgeKind::kComponents, "components"},
    {GrudgeKind::kRandomHalves, "random-halves"},
    {GrudgeKind::kMinorityThird, "minority-third"},
    {GrudgeKind::kOneWay, "one-way"},
    {GrudgeKind::kExplicit, "explicit"},
}};
inline constexpr std::array<std::pair<KillTarget, std::string_view>, 9> kTargetNames = {{
    {KillTarget::kRandom, "random"},
    {KillTarget::kLeader, "leader"},
    {KillTarget::kVoter, "voter"},
    {KillTarget::kCandidate, "candidate"},
    {KillTarget::kNode, "node"},
    {KillTarget::kMinority, "minority"},
    {KillTarget::kMajority, "majority"},
    {KillTarget::kAll, "all"},
    {KillTarget::kRandom, "one"},  // read only: NameOf finds "random" first
}};
inline constexpr std::array<std::pair<ClockMode, std::string_view>, 3> kClockModeNames = {{
    {ClockMode::kBump, "bump"},
    {ClockMode::kStrobe, "strobe"},
    {ClockMode::kRate, "rate"},
}};
inline constexpr std::array<std::pair<LossTarget, std::string_view>, 4> kLossTargetNames = {{
    {LossTarget::kPair, "pair"},
    {LossTarget::kInto, "into"},
    {LossTarget::kAll, "all"},
    {LossTarget::kPairs, "pairs"},
}};

// The names of a table, in its order, for a suggestion.
template <typename E, std::size_t N>
std::vector<std::string> NamesOf(const std::array<std::pair<E, std::string_view>, N>& names) {
  std::vector<std::string> out;
  for (const auto& [v, name] : names) out.emplace_back(name);
  return out;
}

// The first name of `value`, or "?".
template <typename E, std::size_t N>
std::string_view NameOf(const std::array<std::pair<E, std::string_view>, N>& names, E value) {
  for (const auto& [v, name] : names) {
    if (v == value) return name;
  }
  return "?";
}

// The value named `name`, or nullopt.
template <typename E, std::size_t N>
std::optional<E> ValueOf(const std::array<std::pair<E, std::string_view>, N>& names,
                         std::string_view name) {
  for (const auto& [v, n] : names) {
    if (n == name) return v;
  }
  return std::nullopt;
}

}  // namespace schism::nemesis
