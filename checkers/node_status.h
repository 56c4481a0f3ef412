#pragma once
// Every node's latest role, as its role events and process events report it.

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <vector>

#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// Whether a process event's "f" takes its node down (kill, exit, stop,
// pause, crash) or brings it back up (start, restart, resume).
bool IsProcessDown(std::string_view f);
bool IsProcessUp(std::string_view f);

// Whether `event` ends what checkers judge: the run's "end", the controller
// beginning to stop the nodes ("run"/"stopping"), or the first "process"/"stop"
// (histories written before "stopping" existed). What follows is the run
// being taken down, not the elector's doing. Inline: checkers ask it of
// every event, and nearly all are neither run nor process events.
inline bool EndsJudgedRun(const histories::Event& event) {
  if (event.type == histories::EventType::kRun) return event.f == "end" || event.f == "stopping";
  return event.type == histories::EventType::kProcess && event.f == "stop";
}

// The "f" of the process event that records a probe that saw nothing (it
// failed, timed out or printed no observation); "why" says which.
inline constexpr std::string_view kProbeFailed = "probe-failed";

// For a role event a probe observed (harness/prober.h), the run time at which
// the probe was sent: its "sent" field. The node held that role at some
// instant between then and the event's "t" (when the answer came back), not
// necessarily at either end. Nullopt for a line the node printed itself.
// Inline up to the lookup: it is asked of every event, and few have a detail.
std::optional<double> ProbeSentIn(const nlohmann::json& detail);
inline std::optional<double> ProbeSent(const histories::Event& event) {
  if (event.type != histories::EventType::kRole || !event.detail.is_object()) return std::nullopt;
  return ProbeSentIn(event.detail);
}

// Follows role events and process events. A node whose process is killed,
// exits, stops or is paused is down and leads nobody. A node that starts
// again knows nothing until it prints a role. A paused node is the same
// process when it resumes: it holds the role it last reported, and is up
// again with it (a paused leader resumes as a leader until it says otherwise).
// Ids come from the NodeTable given to the constructor, which must outlive
// this object. Memory: one entry per node.
class NodeStatus {
 public:
  static constexpr NodeTable::Id kNoNode = ~NodeTable::Id{0};

  struct Node {
    bool up = true;
    bool paused = false;  // Down because paused (not dead): resumes with its role.
    bool known = false;   // Has printed a role since it last (re)started.
    histories::Role role = histories::Role::kFollower;
    std::optional<std::uint64_t> term;
    NodeTable::Id leader = kNoNode;  // Whom it believes leads.
    std::uint64_t role_index = 0;    // "i" of its latest role event.
    double role_time = 0.0;          // "t" of its latest role event.
    // When that role was a probe's observation: when the probe was sent.
    std::optional<double> probe_sent;
  };

  explicit NodeStatus(NodeTable& nodes) : nodes_(nodes) {}

  // Applies a role or process event and returns true if it was one; other
  // events are ignored.
  bool Observe(const histories::Event& event);
  // The same, for a caller that has already looked the names up: `node` and
  // `leader` are the ids of event.node and event.leader in the NodeTable
  // (`leader` kNoNode when empty), `probe_sent` is ProbeSent(event).
  bool Observe(const histories::Event& event, NodeTable::Id node, NodeTable::Id leader,
               const std::optional<double>& probe_sent);

  // The node with id `id`; a default (up, unknown) node if never seen.
  const Node& node(NodeTable::Id id) const { return id < states_.size() ? states_[id] : kUnseen; }
  std::size_t size() const { return states_.size(); }

  // True when `id` is up and its latest role is leader.
  bool Leads(NodeTable::Id id) const { return Leading(node(id)); }

  // How many nodes are up and lead: Leads(id) for how many ids.
  std::size_t leaders() const { return leaders_; }

  // How many nodes, the leader `id` included, are up and follow `id` in its
  // term by their latest role event.
  std::size_t Following(NodeTable::Id id) const {
    return id < following_.size() ? following_[id] : 0;
  }

 private:
  Node& State(NodeTable::Id id);
  // Applies `event`, a role event or a process event with a node, to `state`.
  void Apply(const histories::Event& event, Node& state, NodeTable::Id leader,
             const std::optional<double>& probe_sent);
  static void ApplyTo(const histories::Event& event, Node& state, NodeTable::Id leader,
                      const std::optional<double>& probe_sent);
  // Sets following_ from states_.
  void Count();
  static bool Leading(const Node& n) {
    return n.up && n.known && n.role == histories::Role::kLeader;
  }

  static const Node kUnseen;
  NodeTable& nodes_;
  std::vector<Node> states_;  // By node id.
  std::size_t leaders_ = 0;   // Nodes for which Leading() holds.
  // By node id, what Following() answers: counted again after every change
  // (one pass), as checkers ask it for every node after many events.
  std::vector<std::size_t> following_;
};

}  // namespace schism::checkers
