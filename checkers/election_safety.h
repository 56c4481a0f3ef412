#pragma once
// election-safety: at most one leader per term (Raft's Election Safety).

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"
#include "checkers/term_ring.h"

namespace schism::checkers {

// Invalid when two different nodes claim leadership (a role event with
// role=leader) for the same term; the evidence is the two claims' "i". A
// leader of an older term that has not yet noticed its successor is not a
// violation: only equal terms conflict. Role events without a term are
// ignored, so the verdict is unknown when every leader claim lacks a term
// (a termless elector) or when there are no role events at all.
//
// Memory: one entry per term that had a leader, for the last kTermWindow
// terms (term_window.h); a claim for an older term is counted as late.
class ElectionSafetyChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "election-safety";

  explicit ElectionSafetyChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override { return TypeBit(histories::EventType::kRole); }

 private:
  struct Claim {
    NodeTable::Id node;
    std::uint64_t index;
  };
  // One term's leaders: the first claim, and the others already reported.
  struct TermLeaders {
    Claim first;
    std::vector<NodeTable::Id> reported;
    void clear() { reported.clear(); }
  };
  struct Violation {
    std::uint64_t term;
    Claim first;
    Claim second;
  };

  NodeTable nodes_;
  TermRing<TermLeaders> leaders_;  // By term, within the window.
  std::uint64_t newest_term_ = 0;
  std::uint64_t terms_with_leader_ = 0;
  std::uint64_t late_claims_ = 0;
  std::vector<Violation> violations_;  // The first few, for the evidence.
  std::uint64_t violation_count_ = 0;
  std::uint64_t role_events_ = 0;
  std::uint64_t leader_claims_ = 0;
  std::uint64_t termless_claims_ = 0;
};

}  // namespace schism::checkers
