#include "checkers/status_view.h"

namespace schism::checkers {

const NodeStatus::Node StatusView::kUnseen{};

NodeTable::Id StatusView::Remember(std::string_view name, NodeTable::Id shared) {
  const NodeTable::Id id = nodes_.Intern(name, shared);
  if (shared == kNoNode) return id;
  if (id >= shared_.size()) shared_.resize(id + 1, kNoNode);
  shared_[id] = shared;
  if (shared >= own_.size()) own_.resize(shared + 1, kNoNode);
  own_[shared] = id;
  return id;
}

void StatusView::Note(const histories::Event& event, const EventContext& context, bool role) {
  // The names NodeStatus::Observe interns, in its order: the node, then its leader.
  const NodeTable::Id id = Own(event.node, context.node);
  if (id >= size_) size_ = id + 1;
  if (role && !event.leader.empty()) Own(event.leader, context.leader);
}

}  // namespace schism::checkers
