#pragma once
// What RunCheckers works out once per event for every checker, so that each
// checker does not repeat it: the ids of the event's node names in one table
// shared by all of them, whether the event was a probe's observation, and
// every node's status after it.

#include <optional>

#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// The facts about one event that every checker is handed with it. Ids are in
// SharedContext's table, not in a checker's own: a checker looks its own id up
// by them with NodeTable::Intern(name, shared), which compares no strings.
struct EventContext {
  static constexpr NodeTable::Id kNoNode = ~NodeTable::Id{0};

  NodeTable::Id node = kNoNode;      // "node"; kNoNode when empty (except role events).
  NodeTable::Id leader = kNoNode;    // "leader" of a role event; kNoNode when empty.
  NodeTable::Id vote_for = kNoNode;  // "for" of a vote event; kNoNode otherwise.
  // ProbeSent(event): when the probe that observed this role was sent.
  std::optional<double> probe_sent;
  // Every node's status with this event applied, by shared id; read it
  // through a StatusView. Lives as long as the SharedContext.
  const NodeStatus* status = nullptr;
};

// Keeps the table of node names and the node status shared by the checkers of
// one run, and gives the context of each event in turn. Memory: one entry per
// node.
class SharedContext {
 public:
  // The context of `event`, valid until the next call.
  const EventContext& Next(const histories::Event& event);

  const NodeTable& nodes() const { return nodes_; }

 private:
  NodeTable nodes_;
  NodeStatus status_{nodes_};
  EventContext context_;
};

}  // namespace schism::checkers
