#pragma once
// faults-applied: whether every fault the nemesis meant to inject took effect.
//
// A fault the harness could not apply to this elector (a clock fault on a Go
// binary, which libfaketime cannot reach) is recorded as a nemesis event with
// an "unsupported" reason instead of a start. A run whose checkers all pass
// has then not shown what it meant to show, so this verdict is unknown, with
// the reasons, and never silently valid.
//
// A fault the nemesis resolved to nothing (a kill with no live node, a
// voter kill that no vote came for) is recorded with a "skipped" reason. It
// is counted in the reason and details; a run whose scheduled faults were
// all skipped, none applied, is unknown: it tested no fault at all.
//
// Memory: one counter per fault kind and the first few reasons.

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"

namespace schism::checkers {

class FaultsAppliedChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "faults-applied";

  explicit FaultsAppliedChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event) override;
  Verdict Finish() override;

 private:
  std::map<std::string, std::uint64_t> applied_;      // fault -> starts
  std::map<std::string, std::uint64_t> unsupported_;  // fault -> events not applied
  std::map<std::string, std::uint64_t> skipped_;      // "fault: reason" -> events
  std::vector<std::string> reasons_;                  // distinct, first few
  std::vector<std::uint64_t> evidence_;
};

}  // namespace schism::checkers
