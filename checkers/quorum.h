#pragma once
// quorum: every leader was elected by a majority of the cluster.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/node_table.h"
#include "checkers/term_ring.h"

namespace schism::checkers {

// For each term and each node that claims leadership in it, counts the
// distinct nodes that granted it their vote in that term (vote events with
// for = the leader; the leader's vote for itself counts). Votes reported
// after the claim count too, since nodes print concurrently, so terms are
// judged in Finish(). Fewer than nodes/2+1 voters is invalid; the evidence is
// the claim's "i" followed by its votes' "i".
//
// Unknown when the history has no vote events at all (the elector does not
// report votes) or the cluster size is unknown. Claims and votes without a
// term are ignored.
//
// Memory: per term, its leader claims and at most one vote per (voter,
// candidate) pair, for the last kTermWindow terms (term_window.h). A term that
// falls out of the window is judged then and forgotten; a vote or claim for
// it that comes later still is counted as late and not judged.
class QuorumChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "quorum";

  explicit QuorumChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override {
    return TypeBit(histories::EventType::kRun) | TypeBit(histories::EventType::kRole) |
           TypeBit(histories::EventType::kVote);
  }

 private:
  struct Vote {
    NodeTable::Id voter;
    NodeTable::Id candidate;
    std::uint64_t index;
  };
  struct Claim {
    NodeTable::Id leader;
    std::uint64_t index;
  };
  struct Term {
    std::vector<Claim> claims;  // One per distinct leader: its first claim.
    std::vector<Vote> votes;    // One per distinct (voter, candidate).
    void clear() {
      claims.clear();
      votes.clear();
    }
  };

  // Term state for `term`, or nullptr when the term is out of the window.
  Term* TermState(std::uint64_t term);
  // Judges the leader claims of one term and adds them to the tallies.
  void Judge(std::uint64_t term, const Term& state);

  ClusterSize cluster_;
  NodeTable nodes_;
  TermRing<Term> terms_;  // Within the window.
  std::uint64_t newest_term_ = 0;
  std::uint64_t vote_events_ = 0;
  std::uint64_t role_events_ = 0;
  std::uint64_t late_events_ = 0;
  // Tallies of the judged terms.
  std::uint64_t claims_ = 0;
  std::uint64_t violations_ = 0;
  std::string first_reason_;
  std::vector<std::uint64_t> evidence_;
  nlohmann::json reported_ = nlohmann::json::array();
};

}  // namespace schism::checkers
