#include "checkers/status_view.h"

namespace schism::checkers {

const NodeStatus::Node StatusView::kUnseen{};

void StatusView::Remember(NodeTable::Id id, NodeTable::Id shared) {
  if (id >= shared_.size()) shared_.resize(id + 1, kNoNode);
  shared_[id] = shared;
}

void StatusView::Note(const histories::Event& event, const EventContext& context, bool role) {
  // The names NodeStatus::Observe interns, in its order: the node, then its leader.
  const NodeTable::Id id = Own(event.node, context.node);
  if (id >= size_) size_ = id + 1;
  if (role && !event.leader.empty()) Own(event.leader, context.leader);
}

}  // namespace schism::checkers
