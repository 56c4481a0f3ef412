#include "checkers/vote_once.h"

#include <string>

#include "checkers/reporting.h"
#include "checkers/term_window.h"

namespace schism::checkers {

VoteOnceChecker::VoteOnceChecker(const CheckOptions& /*options*/) {}

void VoteOnceChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (event.type == histories::EventType::kRole) ++role_events_;
  if (event.type != histories::EventType::kVote) return;
  ++vote_events_;
  if (!event.term) {
    ++termless_votes_;
    return;
  }
  const std::uint64_t term = *event.term;
  if (OutOfWindow(term, newest_term_)) {
    ++late_votes_;
    return;
  }
  if (term > newest_term_) {
    newest_term_ = term;
    votes_.Forget(newest_term_, [](std::uint64_t, std::vector<Vote>&) {});
  }
  const NodeTable::Id voter = nodes_.Intern(event.node, context.node);
  const NodeTable::Id candidate = nodes_.Intern(event.vote_for, context.vote_for);
  bool inserted = false;
  std::vector<Vote>& votes = votes_.Get(term, inserted);
  if (inserted) ++terms_with_votes_;
  for (Vote& vote : votes) {
    if (vote.voter != voter) continue;
    if (vote.candidate == candidate || vote.reported) return;
    vote.reported = true;
    ++violation_count_;
    if (violations_.size() < kMaxReported) {
      violations_.push_back({*event.term, voter, vote, candidate, event.index});
    }
    return;
  }
  votes.push_back({voter, candidate, event.index, false});
}

Verdict VoteOnceChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {
      {"vote_events", vote_events_},           {"termless_votes", termless_votes_},
      {"terms_with_votes", terms_with_votes_}, {"late_votes", late_votes_},
      {"violations", violation_count_},        {"applicable", terms_with_votes_ > 0}};
  if (violation_count_ > 0) {
    const Violation& v = violations_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason =
        nodes_.Name(v.voter) + " voted twice in term " + std::to_string(v.term) + ": for " +
        nodes_.Name(v.first.candidate) + " (i=" + std::to_string(v.first.index) + ") and for " +
        nodes_.Name(v.second_candidate) + " (i=" + std::to_string(v.second_index) + ")";
    if (violation_count_ > 1) {
      verdict.reason += ", and " + std::to_string(violation_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : violations_) {
      verdict.evidence.push_back(w.first.index);
      verdict.evidence.push_back(w.second_index);
      list.push_back({{"term", w.term},
                      {"voter", nodes_.Name(w.voter)},
                      {"for", {nodes_.Name(w.first.candidate), nodes_.Name(w.second_candidate)}},
                      {"i", {w.first.index, w.second_index}}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (vote_events_ == 0 && role_events_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "no role or vote events in the history";
  } else if (vote_events_ == 0) {
    verdict.valid = Validity::kValid;  // Not applicable: see quorum.
    verdict.reason = "not applicable: the elector reports no votes";
  } else if (terms_with_votes_ == 0) {
    verdict.valid = Validity::kValid;  // "Once per term" means nothing without terms.
    verdict.reason = "not applicable: the elector's votes carry no term";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "every node voted at most once per term, in " +
                     std::to_string(terms_with_votes_) +
                     (terms_with_votes_ == 1 ? " term" : " terms") + " with votes";
  }
  return verdict;
}

}  // namespace schism::checkers
