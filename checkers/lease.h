#pragma once
// lease: the leases of different holders never overlap in time.

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"

namespace schism::checkers {

// A lease event of node N at time t with lease_ms L claims exclusive
// leadership over [t, t + L/1000] on the controller's clock (the moment the
// line was read, DESIGN.md §2). Invalid when a lease starts while a lease of
// another holder has not expired; the evidence is the "i" of both leases. A
// holder renewing its own lease is fine, and a lease outlives its holder's
// death: that is what a lease is for. Unknown when the elector reports no
// leases.
//
// Memory: one entry per node (its lease that expires last).
class LeaseChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "lease";

  explicit LeaseChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override { return TypeBit(histories::EventType::kLease); }

 private:
  struct Held {
    bool any = false;
    double start = 0.0;
    double end = 0.0;
    std::uint64_t index = 0;
  };
  struct Overlap {
    NodeTable::Id earlier;
    Held earlier_lease;
    NodeTable::Id later;
    std::uint64_t later_index;
    double later_start;
  };

  NodeTable nodes_;
  std::vector<Held> held_;         // By node id.
  std::vector<Overlap> overlaps_;  // The first few.
  std::uint64_t overlap_count_ = 0;
  std::uint64_t leases_ = 0;
};

}  // namespace schism::checkers
