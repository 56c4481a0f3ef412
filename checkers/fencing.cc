#include "checkers/fencing.h"

#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {

FencingChecker::FencingChecker(const CheckOptions& /*options*/) {}

void FencingChecker::Observe(const histories::Event& event) {
  if (event.type != histories::EventType::kLease) return;
  ++leases_;
  if (!event.token) return;
  ++tokens_;
  const Lease lease{nodes_.Intern(event.node), *event.token, event.index};
  if (!any_token_) {
    any_token_ = true;
    last_ = highest_ = lease;
    return;
  }
  const bool new_holder = lease.holder != last_.holder;
  if (new_holder) ++holder_changes_;
  const Lease& before = new_holder ? highest_ : last_;
  const bool ok = new_holder ? lease.token > highest_.token : lease.token >= last_.token;
  if (!ok) {
    ++violation_count_;
    if (violations_.size() < kMaxReported) violations_.push_back({before, lease, new_holder});
  }
  last_ = lease;
  if (lease.token > highest_.token) highest_ = lease;
}

Verdict FencingChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"leases", leases_},
                     {"tokens", tokens_},
                     {"holder_changes", holder_changes_},
                     {"violations", violation_count_}};
  if (violation_count_ > 0) {
    const Violation& v = violations_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = (v.new_holder ? "new holder " : "renewing holder ") +
                     nodes_.Name(v.after.holder) + " got token " + std::to_string(v.after.token) +
                     " (i=" + std::to_string(v.after.index) + ") after " +
                     nodes_.Name(v.before.holder) + "'s token " + std::to_string(v.before.token) +
                     " (i=" + std::to_string(v.before.index) + ")";
    if (violation_count_ > 1) {
      verdict.reason += ", and " + std::to_string(violation_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : violations_) {
      verdict.evidence.push_back(w.before.index);
      verdict.evidence.push_back(w.after.index);
      list.push_back({{"holders", {nodes_.Name(w.before.holder), nodes_.Name(w.after.holder)}},
                      {"tokens", {w.before.token, w.after.token}},
                      {"i", {w.before.index, w.after.index}},
                      {"new_holder", w.new_holder}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (leases_ == 0) {
    // Not applicable rather than unknown: most electors have no leases, and a
    // run must not lose its verdict for a property it never claimed.
    verdict.valid = Validity::kValid;
    verdict.reason = "not applicable: the elector reports no leases";
    verdict.details["applicable"] = false;
  } else if (tokens_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "leases carry no fencing token";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "tokens grew with each of " + std::to_string(holder_changes_) +
                     " holder changes in " + std::to_string(tokens_) + " leases";
  }
  return verdict;
}

}  // namespace schism::checkers
