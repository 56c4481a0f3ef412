#include "checkers/quorum.h"

#include <algorithm>
#include <string>

#include "checkers/reporting.h"
#include "checkers/term_window.h"

namespace schism::checkers {

QuorumChecker::QuorumChecker(const CheckOptions& options) : cluster_(options.nodes) {}

QuorumChecker::Term* QuorumChecker::TermState(std::uint64_t term) {
  if (OutOfWindow(term, newest_term_)) {
    ++late_events_;
    return nullptr;
  }
  if (term > newest_term_) {
    newest_term_ = term;
    // Votes and claims come in any order within a term, but not a thousand
    // terms late: judge the terms that leave the window now.
    terms_.Forget(newest_term_,
                  [this](std::uint64_t gone, const Term& state) { Judge(gone, state); });
  }
  return &terms_[term];
}

void QuorumChecker::Observe(const histories::Event& event, const EventContext& context) {
  cluster_.Observe(event);
  if (event.type == histories::EventType::kRole) ++role_events_;
  if (event.type == histories::EventType::kVote) {
    ++vote_events_;
    if (!event.term) return;
    Term* state = TermState(*event.term);
    if (state == nullptr) return;
    const Vote vote{nodes_.Intern(event.node, context.node),
                    nodes_.Intern(event.vote_for, context.vote_for), event.index};
    std::vector<Vote>& votes = state->votes;
    auto same = [&vote](const Vote& v) {
      return v.voter == vote.voter && v.candidate == vote.candidate;
    };
    if (std::none_of(votes.begin(), votes.end(), same)) votes.push_back(vote);
  } else if (event.type == histories::EventType::kRole && event.role == histories::Role::kLeader &&
             event.term) {
    Term* state = TermState(*event.term);
    if (state == nullptr) return;
    const Claim claim{nodes_.Intern(event.node, context.node), event.index};
    std::vector<Claim>& claims = state->claims;
    auto same = [&claim](const Claim& c) { return c.leader == claim.leader; };
    if (std::none_of(claims.begin(), claims.end(), same)) claims.push_back(claim);
  }
}

void QuorumChecker::Judge(std::uint64_t term, const Term& state) {
  // Without a cluster size (or votes) nothing can be judged; Finish() says so.
  if (cluster_.nodes() == 0 || vote_events_ == 0) return;
  const std::size_t majority = cluster_.majority();
  for (const Claim& claim : state.claims) {
    ++claims_;
    // Counted first: nearly every claim has its majority, and is done with
    // here, without building the list of voters a violation reports.
    const auto backers = static_cast<std::size_t>(
        std::count_if(state.votes.begin(), state.votes.end(),
                      [&claim](const Vote& vote) { return vote.candidate == claim.leader; }));
    if (backers >= majority) continue;
    if (violations_++ == 0) {
      first_reason_ = nodes_.Name(claim.leader) + " led term " + std::to_string(term) +
                      " (i=" + std::to_string(claim.index) + ") with " + std::to_string(backers) +
                      " vote(s), fewer than a majority of " + std::to_string(majority) + " of " +
                      std::to_string(cluster_.nodes());
    }
    if (reported_.size() < kMaxReported) {
      std::vector<std::uint64_t> votes;
      nlohmann::json voters = nlohmann::json::array();
      for (const Vote& vote : state.votes) {
        if (vote.candidate != claim.leader) continue;
        votes.push_back(vote.index);
        voters.push_back(nodes_.Name(vote.voter));
      }
      evidence_.push_back(claim.index);
      std::sort(votes.begin(), votes.end());
      evidence_.insert(evidence_.end(), votes.begin(), votes.end());
      reported_.push_back({{"term", term},
                           {"leader", nodes_.Name(claim.leader)},
                           {"claim_i", claim.index},
                           {"voters", std::move(voters)}});
    }
  }
}

Verdict QuorumChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  const std::size_t majority = cluster_.majority();
  verdict.details = {{"nodes", cluster_.nodes()},
                     {"majority", majority},
                     {"vote_events", vote_events_},
                     {"late_events", late_events_}};
  verdict.details["applicable"] = vote_events_ > 0;
  if (vote_events_ == 0) {
    // Not applicable rather than unknown: an elector without votes (Bully,
    // a ring, VRRP) cannot show a quorum, and split-brain judges it instead.
    verdict.valid = role_events_ > 0 ? Validity::kValid : Validity::kUnknown;
    verdict.reason = role_events_ > 0 ? "not applicable: the elector reports no votes"
                                      : "no role or vote events in the history";
    return verdict;
  }
  if (cluster_.nodes() == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = ClusterSize::UnknownReason();
    return verdict;
  }
  terms_.ForEach([this](std::uint64_t term, const Term& state) { Judge(term, state); });
  terms_.Clear();

  verdict.details["leader_claims"] = claims_;
  verdict.details["violations"] = violations_;
  if (violations_ > 0) {
    verdict.valid = Validity::kInvalid;
    verdict.reason = first_reason_;
    if (violations_ > 1) verdict.reason += ", and " + std::to_string(violations_ - 1) + " more";
    verdict.evidence = evidence_;
    verdict.details["reported"] = reported_;
  } else if (claims_ == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "no leader claims with a term";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "all " + std::to_string(claims_) + " leader claims had at least " +
                     std::to_string(majority) + " of " + std::to_string(cluster_.nodes()) +
                     " votes";
  }
  return verdict;
}

}  // namespace schism::checkers
