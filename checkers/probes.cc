#include "checkers/probes.h"

namespace schism::checkers {

ProbesChecker::ProbesChecker(const CheckOptions&) {}

ProbesChecker::Counts& ProbesChecker::For(std::string_view node, NodeTable::Id shared) {
  const NodeTable::Id id = nodes_.Intern(node, shared);
  if (id >= counts_.size()) counts_.resize(id + 1);
  return counts_[id];
}

void ProbesChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (ended_) return;
  if (EndsJudgedRun(event)) {
    ended_ = true;
    return;
  }
  if (event.type == histories::EventType::kRun && event.f == "start" &&
      event.detail.is_object() && event.detail.contains("nodes") &&
      event.detail["nodes"].is_array()) {
    for (const auto& name : event.detail["nodes"]) {
      if (name.is_string()) names_.push_back(name.get<std::string>());
    }
  }
  if (event.type == histories::EventType::kRole && context.probe_sent) {
    ++For(event.node, context.node).observed;
  } else if (event.type == histories::EventType::kProcess && event.f == kProbeFailed &&
             !event.node.empty()) {
    Counts& counts = For(event.node, context.node);
    const NodeStatus::Node& node = status_.node(nodes_.Intern(event.node, context.node));
    const std::string why =
        event.detail.is_object() ? event.detail.value("why", std::string("no reason given")) : "";
    ++counts.failed;
    if (node.up) {
      if (counts.failed_up++ == 0) counts.first_why = why;
    } else if (counts.first_why.empty()) {
      counts.first_why = why;
    }
  }
  status_.Observe(event, context);
}

Verdict ProbesChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  std::uint64_t observed = 0, failed = 0, failed_up = 0;
  for (const Counts& c : counts_) {
    observed += c.observed;
    failed += c.failed;
    failed_up += c.failed_up;
  }
  verdict.details = {{"applicable", observed + failed > 0},
                     {"observed", observed},
                     {"failed", failed},
                     {"failed_while_up", failed_up}};
  if (observed + failed == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "not applicable: no probes in the history";
    return verdict;
  }
  for (const std::string& name : names_) For(name);  // Nodes never probed count too.
  nlohmann::json per_node = nlohmann::json::object();
  std::string blind;
  for (NodeTable::Id id = 0; id < counts_.size(); ++id) {
    const Counts& c = counts_[id];
    const std::string& name = nodes_.Name(id);
    per_node[name] = {{"observed", c.observed}, {"failed", c.failed}, {"failed_while_up", c.failed_up}};
    if (!c.first_why.empty()) per_node[name]["first_failure"] = c.first_why;
    if (!blind.empty()) continue;
    if (c.observed == 0) {
      blind = name + " was never observed by its probe" +
              (c.failed > 0 ? " (" + std::to_string(c.failed) + " failed; first: " + c.first_why + ")"
                            : "");
    } else if (c.failed_up > c.observed) {
      blind = "the probes of " + name + " failed " + std::to_string(c.failed_up) + " times while it was up and answered " +
              std::to_string(c.observed) + " times (first failure: " + c.first_why + ")";
    }
  }
  verdict.details["nodes"] = std::move(per_node);
  if (!blind.empty()) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = blind + ": too little seen to judge the run by";
    return verdict;
  }
  verdict.valid = Validity::kValid;
  verdict.reason = std::to_string(observed) + " observations of " + std::to_string(counts_.size()) +
                   " nodes; " + std::to_string(failed) + " probe(s) failed, " +
                   std::to_string(failed_up) + " of them while their node was up";
  return verdict;
}

}  // namespace schism::checkers
