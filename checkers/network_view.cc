#include "checkers/network_view.h"

#include <algorithm>

namespace schism::checkers {
namespace {

const nlohmann::json* Field(const histories::Event& event, const char* name) {
  if (!event.detail.is_object()) return nullptr;
  auto it = event.detail.find(name);
  return it == event.detail.end() || it->is_null() ? nullptr : &*it;
}

bool IsPhase(const histories::Event& event, const char* phase) {
  const nlohmann::json* p = Field(event, "phase");
  return p != nullptr && p->is_string() && *p == phase;
}

}  // namespace

void NetworkView::Resize(std::size_t n) {
  if (n <= width_) return;
  std::vector<bool> wider(n * n, false);
  for (std::size_t a = 0; a < width_; ++a) {
    for (std::size_t b = 0; b < width_; ++b) wider[a * n + b] = deaf_[a * width_ + b];
  }
  deaf_ = std::move(wider);
  width_ = n;
}

void NetworkView::SetDeaf(NodeTable::Id a, NodeTable::Id b) {
  Resize(std::max<std::size_t>(a, b) + 1);
  deaf_[a * width_ + b] = true;
}

bool NetworkView::Deaf(NodeTable::Id a, NodeTable::Id b) const {
  return partitioned_ && a < width_ && b < width_ && deaf_[a * width_ + b];
}

bool NetworkView::Apply(const histories::Event& event) {
  const bool full_heal = event.f == "heal" || event.f == "final-heal";
  if (event.f != "partition" && !full_heal) return false;
  if (full_heal || IsPhase(event, "end")) {
    partitioned_ = false;
    return true;
  }
  if (!IsPhase(event, "start")) return false;
  std::fill(deaf_.begin(), deaf_.end(), false);
  partitioned_ = true;
  partition_index_ = event.index;
  partition_time_ = event.time;
  ++partitions_;
  if (const nlohmann::json* grudge = Field(event, "grudge")) {
    if (!grudge->is_object()) throw histories::HistoryError("partition grudge is not an object");
    for (const auto& [node, unheard] : grudge->items()) {
      if (!unheard.is_array()) throw histories::HistoryError("grudge of " + node + " not a list");
      const NodeTable::Id a = nodes_.Intern(node);
      for (const nlohmann::json& other : unheard) {
        if (!other.is_string()) throw histories::HistoryError("grudge names a non-string node");
        SetDeaf(a, nodes_.Intern(other.get<std::string>()));
      }
    }
  } else if (const nlohmann::json* components = Field(event, "components")) {
    if (!components->is_array()) throw histories::HistoryError("components is not a list");
    std::vector<std::vector<NodeTable::Id>> groups;
    for (const nlohmann::json& group : *components) {
      if (!group.is_array()) throw histories::HistoryError("a component is not a list");
      groups.emplace_back();
      for (const nlohmann::json& node : group) {
        if (!node.is_string()) throw histories::HistoryError("a component names a non-string");
        groups.back().push_back(nodes_.Intern(node.get<std::string>()));
      }
    }
    for (std::size_t g = 0; g < groups.size(); ++g) {
      for (std::size_t h = 0; h < groups.size(); ++h) {
        if (g == h) continue;
        for (NodeTable::Id a : groups[g]) {
          for (NodeTable::Id b : groups[h]) SetDeaf(a, b);
        }
      }
    }
  }
  return true;
}

std::size_t NetworkView::Reachable(NodeTable::Id a, std::size_t cluster) const {
  if (!partitioned_) return cluster;
  std::size_t cut = 0;
  for (NodeTable::Id b = 0; b < width_; ++b) {
    if (b != a && (Deaf(a, b) || Deaf(b, a))) ++cut;
  }
  return cut >= cluster ? 0 : cluster - cut;
}

}  // namespace schism::checkers
