#pragma once
// fencing: lease tokens grow with every new holder.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"
#include "checkers/token_log.h"

namespace schism::checkers {

// Reads the "token" of lease events in history order. A token shown for the
// first time is issued then, and must be greater than every token issued
// before; a token already issued may be shown again only by its holder.
// Otherwise invalid; the evidence is the "i" of the lease that issued the
// highest token so far (or first showed the reused one) and of the offending
// one. A holder showing its own token after a newer holder's higher one is a
// stale holder (it was paused, or its clock ran slow, past its lease): a store
// that keeps the highest token it has seen rejects it, which is what fencing
// is for, so it is counted ("stale") and the verdict stays valid; the lease
// checker is the one that reports the overlap. Unknown when the elector
// reports no leases, or none with a token.
//
// Memory: a few bytes per token issued (see TokenLog).
class FencingChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "fencing";

  explicit FencingChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override { return TypeBit(histories::EventType::kLease); }

 private:
  using Lease = TokenLog::Owner;
  struct Violation {
    Lease before;
    Lease after;
    bool new_holder;
  };

  void Flag(const Lease& before, const Lease& after, bool new_holder);
  // The lease that first showed `token`, or nullopt for a token never issued.
  std::optional<Lease> Owner(std::uint64_t token) const;

  NodeTable nodes_;
  TokenLog owners_;               // Each token, by the lease that first showed it.
  std::vector<Violation> stale_;  // The first few stale leases (before: the highest).
  std::uint64_t stale_count_ = 0;
  bool any_token_ = false;
  Lease last_{};                       // The previous lease with a token.
  Lease highest_{};                    // The lease that issued the highest token.
  std::vector<Violation> violations_;  // The first few.
  std::uint64_t violation_count_ = 0;
  std::uint64_t leases_ = 0;
  std::uint64_t tokens_ = 0;
  std::uint64_t holder_changes_ = 0;
};

}  // namespace schism::checkers
