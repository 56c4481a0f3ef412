#include "checkers/fencing.h"

#include <string>
#include <utility>

#include "checkers/reporting.h"

namespace schism::checkers {

FencingChecker::FencingChecker(const CheckOptions& /*options*/) {}

void FencingChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (event.type != histories::EventType::kLease) return;
  ++leases_;
  if (!event.token) return;
  ++tokens_;
  const Lease lease{nodes_.Intern(event.node, context.node), *event.token, event.index};
  if (!any_token_) {
    any_token_ = true;
    owners_.Add(lease);
    last_ = highest_ = lease;
    return;
  }
  const bool new_holder = lease.holder != last_.holder;
  if (new_holder) ++holder_changes_;
  const std::optional<Lease> owner = Owner(lease.token);
  if (!owner) {
    // A token first shown now was issued now: it must exceed every token
    // issued before, or a fenced store could not tell the holders apart.
    owners_.Add(lease);
    if (lease.token <= highest_.token) Flag(highest_, lease, lease.holder != highest_.holder);
  } else if (owner->holder != lease.holder) {
    Flag(*owner, lease, true);  // one token, two holders
  } else if (lease.token < highest_.token) {
    // Its own old token, after a newer holder's: a holder acting on a lease
    // that was taken over (a pause, a slow clock). A store that keeps the
    // highest token it has seen rejects it: what fencing is for.
    ++stale_count_;
    if (stale_.size() < kMaxReported) stale_.push_back({highest_, lease, true});
  }
  last_ = lease;
  if (lease.token > highest_.token) highest_ = lease;
}

std::optional<FencingChecker::Lease> FencingChecker::Owner(std::uint64_t token) const {
  // Every token issued is at most the highest, which highest_ first showed;
  // most leases show a new highest token or renew the current one.
  if (token > highest_.token) return std::nullopt;
  if (token == highest_.token) return highest_;
  return owners_.Find(token);
}

void FencingChecker::Flag(const Lease& before, const Lease& after, bool new_holder) {
  ++violation_count_;
  if (violations_.size() < kMaxReported) violations_.push_back({before, after, new_holder});
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
    if (stale_count_ > 0) {
      const Violation& s = stale_.front();
      verdict.reason += "; " + std::to_string(stale_count_) +
                        " lease(s) of a superseded holder carried its old token, which a store "
                        "that keeps the highest token rejects (first: " +
                        nodes_.Name(s.after.holder) + "'s token " + std::to_string(s.after.token) +
                        " at i=" + std::to_string(s.after.index) + " after " +
                        nodes_.Name(s.before.holder) + "'s token " +
                        std::to_string(s.before.token) + " at i=" +
                        std::to_string(s.before.index) + ")";
    }
  }
  verdict.details["stale"] = stale_count_;
  if (!stale_.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& s : stale_) {
      list.push_back({{"holders", {nodes_.Name(s.before.holder), nodes_.Name(s.after.holder)}},
                      {"tokens", {s.before.token, s.after.token}},
                      {"i", {s.before.index, s.after.index}}});
    }
    verdict.details["stale_reported"] = std::move(list);
  }
  return verdict;
}

}  // namespace schism::checkers
