#include "checkers/event_context.h"

namespace schism::checkers {

const EventContext& SharedContext::Next(const histories::Event& event) {
  using histories::EventType;
  const bool role = event.type == EventType::kRole;
  // A role event's node is interned even when empty, as NodeStatus does.
  context_.node = role || !event.node.empty() ? nodes_.Intern(event.node) : EventContext::kNoNode;
  context_.leader =
      role && !event.leader.empty() ? nodes_.Intern(event.leader) : EventContext::kNoNode;
  context_.vote_for =
      event.type == EventType::kVote ? nodes_.Intern(event.vote_for) : EventContext::kNoNode;
  context_.probe_sent = ProbeSent(event);
  status_.Observe(event, context_.node, context_.leader, context_.probe_sent);
  context_.status = &status_;
  return context_;
}

}  // namespace schism::checkers
