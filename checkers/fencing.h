#pragma once
// fencing: lease tokens grow with every new holder.

#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_table.h"

namespace schism::checkers {

// Reads the "token" of lease events in history order. A lease of a new holder
// (a node other than the previous lease's) must carry a token greater than
// every token issued before; a holder renewing its lease may keep or raise its
// token. Otherwise invalid; the evidence is the "i" of the lease that issued
// the highest token so far (or the holder's previous lease) and of the
// offending one. Unknown when the elector reports no leases, or none with a
// token.
//
// Memory: constant.
class FencingChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "fencing";

  explicit FencingChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event) override;
  Verdict Finish() override;

 private:
  struct Lease {
    NodeTable::Id holder;
    std::uint64_t token;
    std::uint64_t index;
  };
  struct Violation {
    Lease before;
    Lease after;
    bool new_holder;
  };

  NodeTable nodes_;
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
