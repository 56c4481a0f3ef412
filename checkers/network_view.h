#pragma once
// Which nodes can talk to which, as the nemesis's partition events say.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// Follows nemesis events. A partition "phase":"start" installs its "grudge"
// (for each node, the nodes it does not hear) or, without one, its
// "components" (nodes in different components do not hear each other). The
// partition's "phase":"end", an "f":"heal" and an "f":"final-heal" heal the
// network. A partition start without either field is taken to cut nothing
// that the history could name, so the network counts as whole. Ids come from
// the NodeTable given to the constructor, which must outlive this object.
//
// Memory: a bit per pair of nodes.
class NetworkView {
 public:
  explicit NetworkView(NodeTable& nodes) : nodes_(nodes) {}

  // Applies a nemesis partition or heal event and returns true if it was one.
  // Throws HistoryError for a grudge or components field of the wrong shape.
  bool Observe(const histories::Event& event) {
    // Inline, as checkers call it for every event and nearly all are no nemesis.
    return event.type == histories::EventType::kNemesis && Apply(event);
  }

  // True while a partition is in force.
  bool partitioned() const { return partitioned_; }
  // The "i" and "t" of the partition start in force (meaningful while partitioned()).
  std::uint64_t partition_index() const { return partition_index_; }
  double partition_time() const { return partition_time_; }
  // How many partition starts the view has seen.
  std::uint64_t partitions() const { return partitions_; }

  // True when `a` does not hear `b` under the partition in force.
  bool Deaf(NodeTable::Id a, NodeTable::Id b) const;

  // How many of the `cluster` nodes, `a` included, exchange messages with `a`
  // both ways. Nodes the partition does not name hear and are heard by all.
  std::size_t Reachable(NodeTable::Id a, std::size_t cluster) const;

 private:
  // Observe() for a nemesis event.
  bool Apply(const histories::Event& event);
  void Resize(std::size_t n);
  void SetDeaf(NodeTable::Id a, NodeTable::Id b);

  NodeTable& nodes_;
  bool partitioned_ = false;
  std::uint64_t partition_index_ = 0;
  double partition_time_ = 0.0;
  std::uint64_t partitions_ = 0;
  std::size_t width_ = 0;
  std::vector<bool> deaf_;  // deaf_[a * width_ + b]: a does not hear b.
};

}  // namespace schism::checkers
