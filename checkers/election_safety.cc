#include "checkers/election_safety.h"

#include <algorithm>
#include <string>

#include "checkers/reporting.h"
#include "checkers/term_window.h"

namespace schism::checkers {

ElectionSafetyChecker::ElectionSafetyChecker(const CheckOptions& /*options*/) {}

void ElectionSafetyChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (event.type != histories::EventType::kRole) return;
  ++role_events_;
  if (event.role != histories::Role::kLeader) return;
  ++leader_claims_;
  if (!event.term) {
    ++termless_claims_;
    return;
  }
  const std::uint64_t term = *event.term;
  if (OutOfWindow(term, newest_term_)) {
    ++late_claims_;
    return;
  }
  if (term > newest_term_) {
    newest_term_ = term;
    leaders_.Forget(newest_term_, [](std::uint64_t, TermLeaders&) {});
  }
  const Claim claim{nodes_.Intern(event.node, context.node), event.index};
  bool inserted = false;
  TermLeaders& leaders = leaders_.Get(term, inserted);
  if (inserted) {
    leaders.first = claim;
    ++terms_with_leader_;
    return;
  }
  if (leaders.first.node == claim.node) return;
  std::vector<NodeTable::Id>& reported = leaders.reported;
  if (std::find(reported.begin(), reported.end(), claim.node) != reported.end()) return;
  reported.push_back(claim.node);
  ++violation_count_;
  if (violations_.size() < kMaxReported) violations_.push_back({*event.term, leaders.first, claim});
}

Verdict ElectionSafetyChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"role_events", role_events_},
                     {"leader_claims", leader_claims_},
                     {"termless_leader_claims", termless_claims_},
                     {"terms_with_leader", terms_with_leader_},
                     {"late_claims", late_claims_},
                     {"violations", violation_count_}};
  if (violation_count_ > 0) {
    const Violation& v = violations_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = "two leaders in term " + std::to_string(v.term) + ": " +
                     nodes_.Name(v.first.node) + " (i=" + std::to_string(v.first.index) + ") and " +
                     nodes_.Name(v.second.node) + " (i=" + std::to_string(v.second.index) + ")";
    if (violation_count_ > 1) {
      verdict.reason += ", and " + std::to_string(violation_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : violations_) {
      verdict.evidence.push_back(w.first.index);
      verdict.evidence.push_back(w.second.index);
      list.push_back({{"term", w.term},
                      {"leaders", {nodes_.Name(w.first.node), nodes_.Name(w.second.node)}},
                      {"i", {w.first.index, w.second.index}}});
    }
    verdict.details["reported"] = std::move(list);
    return verdict;
  }
  if (role_events_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "no role events in the history";
  } else if (leader_claims_ > 0 && termless_claims_ == leader_claims_) {
    // Not applicable rather than unknown: "one leader per term" means nothing
    // without terms; split-brain judges such electors by wall-clock overlap.
    verdict.valid = Validity::kValid;
    verdict.details["applicable"] = false;
    verdict.reason = "not applicable: the elector's leader claims carry no term (see split-brain)";
  } else if (terms_with_leader_ == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "no leader claims";
  } else {
    verdict.valid = Validity::kValid;
    const std::uint64_t terms = terms_with_leader_;
    verdict.reason = terms == 1 ? "one leader in the only term with a leader"
                                : "one leader in each of " + std::to_string(terms) + " terms";
  }
  return verdict;
}

}  // namespace schism::checkers
