#include "checkers/term_monotonic.h"

#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {

TermMonotonicChecker::TermMonotonicChecker(const CheckOptions& /*options*/) {}

void TermMonotonicChecker::Observe(const histories::Event& event, const EventContext& context) {
  using histories::EventType;
  if (event.type == EventType::kProcess && !event.node.empty() && event.f == "start") {
    const NodeTable::Id id = nodes_.Intern(event.node, context.node);
    if (id >= restarted_.size()) restarted_.resize(id + 1, false);
    restarted_[id] = true;
    return;
  }
  if (event.type == EventType::kRole) ++role_events_;
  if (event.type != EventType::kRole && event.type != EventType::kVote &&
      event.type != EventType::kLease) {
    return;
  }
  if (!event.term) return;
  ++termed_events_;
  const NodeTable::Id id = nodes_.Intern(event.node, context.node);
  if (id >= latest_.size()) latest_.resize(id + 1);
  if (id >= restarted_.size()) restarted_.resize(id + 1, false);
  Latest& latest = latest_[id];
  if (!latest.seen || *event.term > latest.term) {
    latest = {true, *event.term, event.index};
    restarted_[id] = false;
    return;
  }
  if (*event.term == latest.term) return;
  ++violation_count_;
  if (violations_.size() < kMaxReported) {
    violations_.push_back(
        {id, latest.term, latest.index, *event.term, event.index, restarted_[id]});
  }
  // Judge the node from its new, lower term on, so that one regression is
  // reported once rather than at every later event.
  latest = {true, *event.term, event.index};
  restarted_[id] = false;
}

Verdict TermMonotonicChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"termed_events", termed_events_},
                     {"violations", violation_count_},
                     {"applicable", termed_events_ > 0}};
  if (violation_count_ > 0) {
    const Violation& v = violations_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = nodes_.Name(v.node) + "'s term went back from " + std::to_string(v.high_term) +
                     " (i=" + std::to_string(v.high_index) + ") to " + std::to_string(v.low_term) +
                     " (i=" + std::to_string(v.low_index) + ")" +
                     (v.restarted ? " across a restart" : "");
    if (violation_count_ > 1) {
      verdict.reason += ", and " + std::to_string(violation_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : violations_) {
      verdict.evidence.push_back(w.high_index);
      verdict.evidence.push_back(w.low_index);
      list.push_back({{"node", nodes_.Name(w.node)},
                      {"terms", {w.high_term, w.low_term}},
                      {"i", {w.high_index, w.low_index}},
                      {"restarted", w.restarted}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (termed_events_ == 0 && role_events_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "no role events in the history";
  } else if (termed_events_ == 0) {
    verdict.valid = Validity::kValid;  // Not applicable: a termless elector.
    verdict.reason = "not applicable: the elector reports no terms";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "no node's term went backwards in " + std::to_string(termed_events_) +
                     " events with a term";
  }
  return verdict;
}

}  // namespace schism::checkers
