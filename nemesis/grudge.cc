#include "nemesis/grudge.h"

#include <algorithm>
#include <map>
#include <stdexcept>

#include "nemesis/random.h"

namespace schism::nemesis {
namespace {

// Returns `nodes` shuffled with the caller's generator.
std::vector<std::string> Shuffled(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  std::vector<std::string> copy = nodes;
  Shuffle(copy, rng);
  return copy;
}

// Splits `nodes` into the first floor(N/2) and the rest.
Components Bisect(const std::vector<std::string>& nodes) {
  const auto mid = nodes.begin() + static_cast<std::ptrdiff_t>(nodes.size() / 2);
  return {std::vector<std::string>(nodes.begin(), mid), std::vector<std::string>(mid, nodes.end())};
}

// Splits `nodes` into the first `k` and the rest.
Components SplitAt(const std::vector<std::string>& nodes, std::size_t k) {
  const auto mid = nodes.begin() + static_cast<std::ptrdiff_t>(k);
  return {std::vector<std::string>(nodes.begin(), mid), std::vector<std::string>(mid, nodes.end())};
}

std::string_view Trim(std::string_view s) {
  const auto first = s.find_first_not_of(" \t");
  if (first == std::string_view::npos) return {};
  const auto last = s.find_last_not_of(" \t");
  return s.substr(first, last - first + 1);
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

}  // namespace

Grudge Complete(const Components& components) {
  Grudge grudge;
  for (std::size_t i = 0; i < components.size(); ++i) {
    for (std::size_t j = 0; j < components.size(); ++j) {
      if (i == j) continue;
      for (const auto& src : components[i]) {
        for (const auto& dst : components[j]) grudge.Drop(src, dst);
      }
    }
  }
  return grudge;
}

Grudge Halves(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  return Complete(Bisect(Shuffled(nodes, rng)));
}

Grudge RandomHalves(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  if (nodes.size() < 2) return Grudge{};
  const std::vector<std::string> shuffled = Shuffled(nodes, rng);
  const std::size_t k = 1 + UniformIndex(rng, nodes.size() / 2);
  return Complete(SplitAt(shuffled, k));
}

Grudge MinorityThird(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  if (nodes.size() < 2) return Grudge{};
  return Complete(SplitAt(Shuffled(nodes, rng), std::max<std::size_t>(1, nodes.size() / 3)));
}

Grudge RandomOneWay(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  if (nodes.size() < 2) return Grudge{};
  const std::vector<std::string> shuffled = Shuffled(nodes, rng);
  const std::size_t k = 1 + UniformIndex(rng, nodes.size() / 2);
  const Components sides = SplitAt(shuffled, k);
  return OneWay(sides[0], sides[1]);
}

Grudge IsolateOne(const std::vector<std::string>& nodes, const std::string& node) {
  Grudge grudge;
  for (const auto& other : nodes) {
    if (other != node) grudge.DropBoth(node, other);
  }
  return grudge;
}

Grudge MajoritiesRing(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  const std::vector<std::string> ring = Shuffled(nodes, rng);
  const std::size_t n = ring.size();
  Grudge grudge;
  if (n == 0) return grudge;
  const std::size_t majority = n / 2 + 1;
  const std::size_t left = majority / 2;  // Jepsen puts the node at index m/2 of its window.
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<bool> hears(n, false);
    for (std::size_t k = 0; k < majority; ++k) hears[(i + n - left + k) % n] = true;
    for (std::size_t j = 0; j < n; ++j) {
      if (!hears[j]) grudge.Drop(ring[j], ring[i]);
    }
  }
  return grudge;
}

Grudge Bridge(const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  if (nodes.size() < 3) return Grudge{};
  Components halves = Bisect(Shuffled(nodes, rng));
  halves[1].erase(halves[1].begin());  // The bridge: in no component, so nobody drops it.
  return Complete(halves);
}

Grudge OneWay(const std::vector<std::string>& from, const std::vector<std::string>& to) {
  Grudge grudge;
  for (const auto& src : from) {
    for (const auto& dst : to) {
      if (src != dst) grudge.Drop(src, dst);
    }
  }
  return grudge;
}

std::optional<Components> CleanComponents(const Grudge& grudge,
                                          const std::vector<std::string>& nodes) {
  // Group nodes by exactly the set of nodes they hear; in a clean partition
  // each node hears precisely its own component, which contains itself.
  std::map<std::string, std::size_t> component_of;
  Components components;
  std::vector<std::set<std::string>> heard_sets;
  for (const auto& node : nodes) {
    std::set<std::string> hears;
    for (const auto& other : nodes) {
      if (!grudge.Drops(other, node)) hears.insert(other);
    }
    if (!hears.count(node)) return std::nullopt;  // A node that cannot hear itself.
    auto it = std::find(heard_sets.begin(), heard_sets.end(), hears);
    if (it == heard_sets.end()) {
      heard_sets.push_back(hears);
      components.push_back({node});
    } else {
      components[static_cast<std::size_t>(it - heard_sets.begin())].push_back(node);
    }
  }
  // Transitive and symmetric exactly when each node hears its own group.
  for (std::size_t i = 0; i < components.size(); ++i) {
    const std::set<std::string> members(components[i].begin(), components[i].end());
    if (members != heard_sets[i]) return std::nullopt;
  }
  // Pairs naming nodes outside `nodes` would make the grudge more than a partition.
  for (const auto& [src, dst] : grudge.drops) {
    if (std::find(nodes.begin(), nodes.end(), src) == nodes.end() ||
        std::find(nodes.begin(), nodes.end(), dst) == nodes.end()) {
      return std::nullopt;
    }
  }
  return components;
}

nlohmann::json ToJson(const Grudge& grudge, const std::vector<std::string>& nodes) {
  nlohmann::json unheard = nlohmann::json::object();
  for (const auto& node : nodes) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& other : nodes) {
      if (grudge.Drops(other, node)) list.push_back(other);
    }
    unheard[node] = std::move(list);
  }
  nlohmann::json out = {{"grudge", std::move(unheard)}};
  if (auto components = CleanComponents(grudge, nodes)) out["components"] = *components;
  return out;
}

Grudge GrudgeFromJson(const nlohmann::json& unheard) {
  const auto bad = [] {
    return std::invalid_argument("grudge must map each node to the nodes it does not hear");
  };
  if (!unheard.is_object()) throw bad();
  Grudge grudge;
  for (const auto& [dst, srcs] : unheard.items()) {
    if (!srcs.is_array()) throw bad();
    for (const auto& src : srcs) {
      if (!src.is_string()) throw bad();
      grudge.Drop(src.get<std::string>(), dst);
    }
  }
  return grudge;
}

namespace {

// The shared parser: `nodes` == nullptr skips the cluster checks.
Components ParseGroupingImpl(std::string_view text, const std::vector<std::string>* nodes) {
  const std::string quoted = "grouping \"" + std::string(text) + "\": ";
  Components components;
  std::set<std::string> seen;
  for (std::string_view group : Split(text, '|')) {
    std::vector<std::string> component;
    if (Trim(group).empty()) throw std::invalid_argument(quoted + "empty group");
    for (std::string_view raw : Split(group, ',')) {
      const std::string name(Trim(raw));
      if (name.empty()) throw std::invalid_argument(quoted + "empty node name");
      if (nodes != nullptr && std::find(nodes->begin(), nodes->end(), name) == nodes->end()) {
        throw std::invalid_argument(quoted + "unknown node " + name);
      }
      if (!seen.insert(name).second) {
        throw std::invalid_argument(quoted + "node " + name + " is listed twice");
      }
      component.push_back(name);
    }
    components.push_back(std::move(component));
  }
  if (nodes != nullptr) {
    for (const auto& node : *nodes) {
      if (!seen.count(node)) throw std::invalid_argument(quoted + "node " + node + " is missing");
    }
  }
  return components;
}

}  // namespace

Components SplitGrouping(std::string_view text) { return ParseGroupingImpl(text, nullptr); }

Components ParseGrouping(std::string_view text, const std::vector<std::string>& nodes) {
  return ParseGroupingImpl(text, &nodes);
}

void CheckLossPercent(int percent) {
  if (percent < 0 || percent > 100) {
    throw std::invalid_argument("loss " + std::to_string(percent) + "% is outside 0..100");
  }
}

LossMap LossAll(const std::vector<std::string>& nodes, int percent) {
  CheckLossPercent(percent);
  LossMap loss;
  for (const auto& src : nodes) {
    for (const auto& dst : nodes) {
      if (src != dst) loss[{src, dst}] = percent;
    }
  }
  return loss;
}

LossMap LossInto(const std::vector<std::string>& nodes, const std::string& node, int percent) {
  CheckLossPercent(percent);
  LossMap loss;
  for (const auto& src : nodes) {
    if (src != node) loss[{src, node}] = percent;
  }
  return loss;
}

std::map<int, std::vector<std::pair<std::string, std::string>>> ByPercent(const LossMap& loss) {
  std::map<int, std::vector<std::pair<std::string, std::string>>> groups;
  for (const auto& [pair, percent] : loss) groups[percent].push_back(pair);
  return groups;
}

}  // namespace schism::nemesis
