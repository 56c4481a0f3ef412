#pragma once
// agreement: a follower only follows a leader that claimed leadership.

#include <cstdint>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"
#include "checkers/term_ring.h"

namespace schism::checkers {

// A role event with role=follower, "leader":X and term T says that X leads
// term T. Invalid when X never claims leadership in T anywhere in the history
// (a phantom leader); since nodes print concurrently, the claim may come after
// the follower's line, so references are judged at the end (or once the term
// falls out of the term window, see term_window.h). The evidence is the "i" of
// the follower lines that name a phantom. For role events without a term, X
// only needs to claim leadership at some point of the history. Unknown when
// no follower names a leader.
//
// Probes sample: a leader may win a term and lose it between two probes, while
// a follower's probe caught it being followed. A phantom named only by probe
// observations (role events carrying "sent") is therefore no proof: it is
// counted ("unseen_by_probes") and named in the reason, and not judged.
//
// Memory: the claims and unconfirmed references of the last kTermWindow terms.
class AgreementChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "agreement";

  explicit AgreementChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override { return TypeBit(histories::EventType::kRole); }

 private:
  struct Reference {
    NodeTable::Id follower;
    std::uint64_t index;
    bool sampled;  // A probe's observation (ProbeSent), not the node's own line.
  };
  struct Phantom {
    bool termed;
    std::uint64_t term;
    NodeTable::Id leader;
    Reference reference;
  };
  using Key = std::pair<std::uint64_t, NodeTable::Id>;  // (term, leader)

  void Claim(std::uint64_t term, NodeTable::Id leader);
  void Refer(std::uint64_t term, NodeTable::Id leader, Reference reference);
  // Moves the terms that left the window out: their unconfirmed references are phantoms.
  void Prune();
  void AddPhantom(const Phantom& phantom);

  NodeTable nodes_;
  std::uint64_t newest_term_ = 0;
  TermRing<std::vector<NodeTable::Id>> claimed_;  // By term, within the window.
  std::map<Key, Reference> pending_;  // First unconfirmed reference per key.
  std::vector<bool> ever_led_;        // By id: claimed leadership without a term.
  std::map<NodeTable::Id, Reference> termless_pending_;  // By leader.
  std::vector<Phantom> phantoms_;                        // The first few.
  std::uint64_t phantom_count_ = 0;
  std::optional<Phantom> first_unseen_;  // The first phantom only a probe reported.
  std::uint64_t unseen_count_ = 0;
  std::uint64_t references_ = 0;
  std::uint64_t late_references_ = 0;
};

}  // namespace schism::checkers
