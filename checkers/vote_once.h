#pragma once
// vote-once: a node grants its vote to at most one candidate per term.

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"
#include "checkers/term_ring.h"

namespace schism::checkers {

// Invalid when one node grants votes to two different candidates in the same
// term, also across restarts of that node (Raft must persist its vote); the
// evidence is both votes' "i". Granting the same candidate again is fine.
// Unknown when the history has no vote events, or none with a term.
//
// Memory: per term, one entry per voting node, for the last kTermWindow terms
// (term_window.h); a vote for an older term is counted as late.
class VoteOnceChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "vote-once";

  explicit VoteOnceChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override {
    return TypeBit(histories::EventType::kRole) | TypeBit(histories::EventType::kVote);
  }

 private:
  struct Vote {
    NodeTable::Id voter;
    NodeTable::Id candidate;
    std::uint64_t index;
    bool reported;  // A second candidate for this voter and term was already reported.
  };
  struct Violation {
    std::uint64_t term;
    NodeTable::Id voter;
    Vote first;
    NodeTable::Id second_candidate;
    std::uint64_t second_index;
  };

  NodeTable nodes_;
  TermRing<std::vector<Vote>> votes_;  // By term: first vote per voter.
  std::uint64_t newest_term_ = 0;
  std::uint64_t terms_with_votes_ = 0;
  std::uint64_t late_votes_ = 0;
  std::vector<Violation> violations_;  // The first few.
  std::uint64_t violation_count_ = 0;
  std::uint64_t vote_events_ = 0;
  std::uint64_t role_events_ = 0;
  std::uint64_t termless_votes_ = 0;
};

}  // namespace schism::checkers
