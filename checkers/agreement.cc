#include "checkers/agreement.h"

#include <algorithm>
#include <string>

#include "checkers/node_status.h"
#include "checkers/reporting.h"
#include "checkers/term_window.h"

namespace schism::checkers {

AgreementChecker::AgreementChecker(const CheckOptions& /*options*/) {}

void AgreementChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (event.type != histories::EventType::kRole) return;
  if (event.role == histories::Role::kLeader) {
    const NodeTable::Id id = nodes_.Intern(event.node, context.node);
    if (event.term) {
      Claim(*event.term, id);
    } else {
      if (id >= ever_led_.size()) ever_led_.resize(id + 1, false);
      ever_led_[id] = true;
      termless_pending_.erase(id);
    }
    return;
  }
  if (event.role != histories::Role::kFollower || event.leader.empty()) return;
  ++references_;
  const Reference reference{nodes_.Intern(event.node, context.node), event.index,
                            context.probe_sent.has_value()};
  const NodeTable::Id leader = nodes_.Intern(event.leader, context.leader);
  if (event.term) {
    Refer(*event.term, leader, reference);
  } else if (leader >= ever_led_.size() || !ever_led_[leader]) {
    termless_pending_.try_emplace(leader, reference);
  }
}

void AgreementChecker::Claim(std::uint64_t term, NodeTable::Id leader) {
  pending_.erase({term, leader});
  if (OutOfWindow(term, newest_term_)) return;
  if (term > newest_term_) {
    newest_term_ = term;
    Prune();  // First, so that the ring holds only terms in the window of this one.
  }
  std::vector<NodeTable::Id>& leaders = claimed_[term];
  if (std::find(leaders.begin(), leaders.end(), leader) == leaders.end()) {
    leaders.push_back(leader);
  }
}

void AgreementChecker::Refer(std::uint64_t term, NodeTable::Id leader, Reference reference) {
  if (OutOfWindow(term, newest_term_)) {
    ++late_references_;
    return;
  }
  if (const std::vector<NodeTable::Id>* leaders = claimed_.Find(term);
      leaders != nullptr && std::find(leaders->begin(), leaders->end(), leader) != leaders->end()) {
    return;
  }
  pending_.try_emplace({term, leader}, reference);
  if (term > newest_term_) {
    newest_term_ = term;
    Prune();
  }
}

void AgreementChecker::Prune() {
  claimed_.Forget(newest_term_, [](std::uint64_t, const std::vector<NodeTable::Id>&) {});
  while (!pending_.empty() && OutOfWindow(pending_.begin()->first.first, newest_term_)) {
    const auto& [key, reference] = *pending_.begin();
    AddPhantom({true, key.first, key.second, reference});
    pending_.erase(pending_.begin());
  }
}

void AgreementChecker::AddPhantom(const Phantom& phantom) {
  if (phantom.reference.sampled) {
    if (unseen_count_++ == 0) first_unseen_ = phantom;
    return;
  }
  ++phantom_count_;
  if (phantoms_.size() < kMaxReported) phantoms_.push_back(phantom);
}

Verdict AgreementChecker::Finish() {
  for (const auto& [key, reference] : pending_)
    AddPhantom({true, key.first, key.second, reference});
  pending_.clear();
  for (const auto& [leader, reference] : termless_pending_) {
    if (leader < ever_led_.size() && ever_led_[leader]) continue;
    AddPhantom({false, 0, leader, reference});
  }
  termless_pending_.clear();

  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"follower_references", references_},
                     {"late_references", late_references_},
                     {"phantoms", phantom_count_},
                     {"unseen_by_probes", unseen_count_}};
  if (phantom_count_ > 0) {
    const Phantom& p = phantoms_.front();
    const std::string in_term = p.termed ? " in term " + std::to_string(p.term) : "";
    verdict.valid = Validity::kInvalid;
    verdict.reason = nodes_.Name(p.reference.follower) + " followed " + nodes_.Name(p.leader) +
                     in_term + " (i=" + std::to_string(p.reference.index) + "), but " +
                     nodes_.Name(p.leader) + " never claimed leadership" + in_term;
    if (phantom_count_ > 1) {
      verdict.reason += ", and " + std::to_string(phantom_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Phantom& q : phantoms_) {
      verdict.evidence.push_back(q.reference.index);
      list.push_back({{"follower", nodes_.Name(q.reference.follower)},
                      {"leader", nodes_.Name(q.leader)},
                      {"term", q.termed ? nlohmann::json(q.term) : nlohmann::json()},
                      {"i", q.reference.index}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (references_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "no follower names a leader";
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "all " + std::to_string(references_) +
                     " follower lines name a node that claimed leadership";
    if (first_unseen_) {
      const Phantom& p = *first_unseen_;
      const std::string in_term = p.termed ? " in term " + std::to_string(p.term) : "";
      verdict.reason += ", except " + std::to_string(unseen_count_) +
                        " seen by probes whose leader no probe saw lead (not judged: probes "
                        "sample, and a short leadership can fall between two of them); first " +
                        nodes_.Name(p.reference.follower) + " following " +
                        nodes_.Name(p.leader) + in_term + " (i=" +
                        std::to_string(p.reference.index) + ")";
    }
  }
  return verdict;
}

}  // namespace schism::checkers
