#pragma once
// term-monotonic: a node's term never goes backwards, across restarts too.

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"

namespace schism::checkers {

// Every role, vote and lease event with a term tells the node's current term
// (Raft adopts the term of any vote it grants, and a lease is held in the
// leader's term). Invalid when a node reports a term lower than one it
// reported before, whether or not its process restarted in between (Raft must
// persist currentTerm); the evidence is the "i" of the higher term and of the
// lower one that followed it. Unknown when no event carries a term.
//
// Memory: one entry per node.
class TermMonotonicChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "term-monotonic";

  explicit TermMonotonicChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override {
    return TypeBit(histories::EventType::kProcess) | TypeBit(histories::EventType::kRole) |
           TypeBit(histories::EventType::kVote) | TypeBit(histories::EventType::kLease);
  }

 private:
  struct Latest {
    bool seen = false;
    std::uint64_t term = 0;  // The highest term the node has reported.
    std::uint64_t index = 0;
  };
  struct Violation {
    NodeTable::Id node;
    std::uint64_t high_term;
    std::uint64_t high_index;
    std::uint64_t low_term;
    std::uint64_t low_index;
    bool restarted;  // The process restarted between the two.
  };

  NodeTable nodes_;
  std::vector<Latest> latest_;         // By node id.
  std::vector<bool> restarted_;        // By node id: restarted since its highest term.
  std::vector<Violation> violations_;  // The first few.
  std::uint64_t violation_count_ = 0;
  std::uint64_t termed_events_ = 0;
  std::uint64_t role_events_ = 0;
};

}  // namespace schism::checkers
