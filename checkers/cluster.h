#pragma once
// The cluster size a checker judges majorities against.

#include <cstddef>
#include <string>

#include "checkers/checker.h"
#include "histories/event.h"

namespace schism::checkers {

// The configured size if CheckOptions::nodes is set, else the length of the
// "nodes" array of the run/start event once it has been observed.
class ClusterSize {
 public:
  explicit ClusterSize(std::size_t configured) : nodes_(configured), configured_(configured > 0) {}

  // Picks the size up from a run/start event; other events are ignored.
  void Observe(const histories::Event& event) {
    if (configured_ || event.type != histories::EventType::kRun || event.f != "start") return;
    if (!event.detail.is_object()) return;
    auto it = event.detail.find("nodes");
    if (it != event.detail.end() && it->is_array()) nodes_ = it->size();
  }

  // 0 while unknown.
  std::size_t nodes() const { return nodes_; }
  // The smallest majority: nodes/2 + 1.
  std::size_t majority() const { return nodes_ / 2 + 1; }

  // The reason an unknown verdict gives when the size is not known.
  static std::string UnknownReason() {
    return "cluster size unknown: no \"nodes\" in the run/start event and none configured";
  }

 private:
  std::size_t nodes_;
  bool configured_;
};

}  // namespace schism::checkers
