#include "checkers/node_status.h"

namespace schism::checkers {
bool IsProcessDown(std::string_view f) {
  return f == "kill" || f == "exit" || f == "stop" || f == "pause" || f == "crash";
}

bool IsProcessUp(std::string_view f) { return f == "start" || f == "restart" || f == "resume"; }

std::optional<double> ProbeSentIn(const nlohmann::json& detail) {
  auto it = detail.find("sent");
  if (it == detail.end() || !it->is_number()) return std::nullopt;
  return it->get<double>();
}

const NodeStatus::Node NodeStatus::kUnseen{};

NodeStatus::Node& NodeStatus::State(NodeTable::Id id) {
  if (id >= states_.size()) states_.resize(id + 1);
  return states_[id];
}

bool NodeStatus::Observe(const histories::Event& event) {
  if (event.type == histories::EventType::kRole) {
    const NodeTable::Id node = nodes_.Intern(event.node);  // before the leader: ids by first sight
    const NodeTable::Id leader = event.leader.empty() ? kNoNode : nodes_.Intern(event.leader);
    return Observe(event, node, leader, ProbeSent(event));
  }
  if (event.type != histories::EventType::kProcess || event.node.empty()) return false;
  return Observe(event, nodes_.Intern(event.node), kNoNode, std::nullopt);
}

bool NodeStatus::Observe(const histories::Event& event, NodeTable::Id node, NodeTable::Id leader,
                         const std::optional<double>& probe_sent) {
  if (event.type == histories::EventType::kRole) {
    Apply(event, State(node), leader, probe_sent);
    return true;
  }
  if (event.type != histories::EventType::kProcess || event.node.empty()) return false;
  Apply(event, State(node), kNoNode, std::nullopt);
  return true;
}

void NodeStatus::Apply(const histories::Event& event, Node& state, NodeTable::Id leader,
                       const std::optional<double>& probe_sent) {
  // Only the event's own node can start or stop leading.
  if (Leading(state)) --leaders_;
  ApplyTo(event, state, leader, probe_sent);
  if (Leading(state)) ++leaders_;
  Count();
}

void NodeStatus::ApplyTo(const histories::Event& event, Node& state, NodeTable::Id leader,
                         const std::optional<double>& probe_sent) {
  if (event.type == histories::EventType::kRole) {
    state.known = true;
    state.role = *event.role;
    state.term = event.term;
    state.leader = leader;
    state.role_index = event.index;
    state.role_time = event.time;
    state.probe_sent = probe_sent;
    return;
  }
  if (event.f == "pause") {
    state.up = false;
    state.paused = true;  // Keeps its role: the same process resumes with it.
  } else if (event.f == "resume") {
    state.up = true;
    state.paused = false;
  } else if (IsProcessDown(event.f)) {
    state.up = false;
    state.paused = false;
    state.known = false;
  } else if (IsProcessUp(event.f)) {
    state.up = true;  // A new process starts from scratch.
    state.paused = false;
    state.known = false;
  }
}

void NodeStatus::Count() {
  // One pass: a leader counts itself, a follower counts for the leader it
  // names if that one leads in the same term.
  const std::size_t n = states_.size();
  following_.assign(n, 0);
  for (NodeTable::Id id = 0; id < n; ++id) {
    const Node& s = states_[id];
    if (!s.up || !s.known) continue;
    if (s.role == histories::Role::kLeader) {
      ++following_[id];
      continue;
    }
    if (s.role != histories::Role::kFollower || s.leader == id || s.leader >= n) continue;
    const Node& leader = states_[s.leader];
    if (Leading(leader) && s.term == leader.term) ++following_[s.leader];
  }
}

}  // namespace schism::checkers
