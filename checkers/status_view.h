#pragma once
// One checker's view of the node status that all checkers share.

#include <cstddef>
#include <vector>

#include "checkers/event_context.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// Answers as a NodeStatus of the checker's own over `nodes` would, while the
// status itself is kept once for every checker (EventContext::status): fed
// the same events at the same places, it interns the same names into `nodes`
// in the same order, has the same size() and gives the same answers, by the
// checker's own ids. So a checker that walks the nodes in id order, or names
// them, says exactly what it said with a status of its own.
//
// The answers are those of the status after the latest event RunCheckers
// applied (the shared status is applied before any checker sees the event).
// Memory: one id per node.
class StatusView {
 public:
  explicit StatusView(NodeTable& nodes) : nodes_(nodes) {}

  // Takes note of a role or process event, as NodeStatus::Observe would
  // apply it, and returns true if it was one.
  // Inline up to the event's type: most events are neither.
  bool Observe(const histories::Event& event, const EventContext& context) {
    status_ = context.status;
    const bool role = event.type == histories::EventType::kRole;
    if (!role && (event.type != histories::EventType::kProcess || event.node.empty())) return false;
    Note(event, context, role);
    return true;
  }

  // The node with own id `id`; a default (up, unknown) node if never seen.
  const NodeStatus::Node& node(NodeTable::Id id) const {
    const NodeTable::Id shared = Shared(id);
    return shared == kNoNode ? kUnseen : status_->node(shared);
  }
  // As NodeStatus::size(): one more than the highest own id of a node that a
  // role or process event was about.
  std::size_t size() const { return size_; }
  bool Leads(NodeTable::Id id) const {
    const NodeTable::Id shared = Shared(id);
    return shared != kNoNode && status_->Leads(shared);
  }
  std::size_t Following(NodeTable::Id id) const {
    const NodeTable::Id shared = Shared(id);
    return shared == kNoNode ? 0 : status_->Following(shared);
  }
  // How many nodes lead now (see NodeStatus::leaders()).
  std::size_t leaders() const { return status_ == nullptr ? 0 : status_->leaders(); }

 private:
  static constexpr NodeTable::Id kNoNode = NodeStatus::kNoNode;
  static const NodeStatus::Node kUnseen;

  NodeTable::Id Shared(NodeTable::Id id) const {
    return id < shared_.size() ? shared_[id] : kNoNode;
  }
  // Interns `name` into the own table (which keeps the way from shared ids
  // to own ones) and remembers the way back. Inline: it runs for most
  // events, and after a node's first event it is two indexes.
  NodeTable::Id Own(std::string_view name, NodeTable::Id shared) {
    const NodeTable::Id id = nodes_.Intern(name, shared);
    if (shared != kNoNode && Shared(id) != shared) Remember(id, shared);
    return id;
  }
  void Remember(NodeTable::Id id, NodeTable::Id shared);
  // Interns the names of a role or process event, as NodeStatus does.
  void Note(const histories::Event& event, const EventContext& context, bool role);

  NodeTable& nodes_;
  const NodeStatus* status_ = nullptr;  // The shared status, from the latest context.
  std::vector<NodeTable::Id> shared_;   // By own id: the shared id, once an event named it.
  std::size_t size_ = 0;
};

}  // namespace schism::checkers
