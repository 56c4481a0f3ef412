#include "checkers/quorum.h"

#include <algorithm>
#include <string>

namespace schism::checkers {
namespace {

constexpr std::size_t kMaxReported = 10;

}  // namespace

QuorumChecker::QuorumChecker(const CheckOptions& options) : cluster_(options.nodes) {}

void QuorumChecker::Observe(const histories::Event& event) {
  cluster_.Observe(event);
  if (event.type == histories::EventType::kVote) {
    ++vote_events_;
    if (!event.term) return;
    const Vote vote{nodes_.Intern(event.node), nodes_.Intern(event.vote_for), event.index};
    std::vector<Vote>& votes = terms_[*event.term].votes;
    auto same = [&vote](const Vote& v) {
      return v.voter == vote.voter && v.candidate == vote.candidate;
    };
    if (std::none_of(votes.begin(), votes.end(), same)) votes.push_back(vote);
  } else if (event.type == histories::EventType::kRole && event.role == histories::Role::kLeader &&
             event.term) {
    const Claim claim{nodes_.Intern(event.node), event.index};
    std::vector<Claim>& claims = terms_[*event.term].claims;
    auto same = [&claim](const Claim& c) { return c.leader == claim.leader; };
    if (std::none_of(claims.begin(), claims.end(), same)) claims.push_back(claim);
  }
}

Verdict QuorumChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  const std::size_t majority = cluster_.majority();
  verdict.details = {
      {"nodes", cluster_.nodes()}, {"majority", majority}, {"vote_events", vote_events_}};
  if (vote_events_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "elector reports no votes";
    return verdict;
  }
  if (cluster_.nodes() == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = ClusterSize::UnknownReason();
    return verdict;
  }

  // Judge terms in order so that the report does not depend on hashing.
  std::vector<std::uint64_t> order;
  order.reserve(terms_.size());
  for (const auto& [term, state] : terms_) order.push_back(term);
  std::sort(order.begin(), order.end());

  std::uint64_t claims = 0;
  std::uint64_t violations = 0;
  std::string first_reason;
  nlohmann::json reported = nlohmann::json::array();
  for (std::uint64_t term : order) {
    const Term& state = terms_[term];
    for (const Claim& claim : state.claims) {
      ++claims;
      std::vector<std::uint64_t> votes;
      nlohmann::json voters = nlohmann::json::array();
      for (const Vote& vote : state.votes) {
        if (vote.candidate != claim.leader) continue;
        votes.push_back(vote.index);
        voters.push_back(nodes_.Name(vote.voter));
      }
      if (votes.size() >= majority) continue;
      if (violations++ == 0) {
        first_reason = nodes_.Name(claim.leader) + " led term " + std::to_string(term) +
                       " (i=" + std::to_string(claim.index) + ") with " +
                       std::to_string(votes.size()) + " vote(s), fewer than a majority of " +
                       std::to_string(majority) + " of " + std::to_string(cluster_.nodes());
      }
      if (reported.size() < kMaxReported) {
        verdict.evidence.push_back(claim.index);
        std::sort(votes.begin(), votes.end());
        verdict.evidence.insert(verdict.evidence.end(), votes.begin(), votes.end());
        reported.push_back({{"term", term},
                            {"leader", nodes_.Name(claim.leader)},
                            {"claim_i", claim.index},
                            {"voters", std::move(voters)}});
      }
    }
  }
  verdict.details["leader_claims"] = claims;
  verdict.details["violations"] = violations;
  if (violations > 0) {
    verdict.valid = Validity::kInvalid;
    verdict.reason = first_reason;
    if (violations > 1) verdict.reason += ", and " + std::to_string(violations - 1) + " more";
    verdict.details["reported"] = std::move(reported);
  } else if (claims == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "no leader claims with a term";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "all " + std::to_string(claims) + " leader claims had at least " +
                     std::to_string(majority) + " of " + std::to_string(cluster_.nodes()) +
                     " votes";
  }
  return verdict;
}

}  // namespace schism::checkers
