#pragma once
// faults-applied: whether every fault the nemesis meant to inject took effect.
//
// The harness proves each fault it applies (nemesis/proof.h) and records the
// proof as the fault's "verified" event, naming the start event's "i" as
// "of". A history whose run/start says "fault_proofs" must have one for every
// fault start: the verdict is valid only when every fault was proven, and
// unknown when any was not (or has no verified event), naming the fault, when
// it started and why. The reason says "N of M faults proven" and by what.
// Histories without "fault_proofs" (older ones, hand-made ones) are judged on
// the starts alone, and the reason says that nothing was proven.
//
// A fault the harness could not apply to this elector (a clock fault on a Go
// binary, which libfaketime cannot reach) is recorded with an "unsupported"
// reason instead of a start: unknown, with the reasons.
//
// A fault the nemesis resolved to nothing (a kill with no live node, a voter
// kill that no vote came for) is recorded with a "skipped" reason. It is
// counted in the reason and details; a run whose scheduled faults were all
// skipped, none applied, is unknown: it tested no fault at all.
//
// A partition during which the nodes sent nothing across the bridge is proven
// by a frame the harness sent across it itself (its proof names the "probe").
// When every proven partition was proven only so, the nodes never talked
// across the bridge while one held: the partitions were in force but show
// nothing about this elector, and the verdict is unknown, asking whether it
// talks over the network at all.
//
// Memory: one entry per fault start until its proof arrives, plus counters.

#include <cstdint>
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
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override {
    return TypeBit(histories::EventType::kRun) | TypeBit(histories::EventType::kNemesis);
  }

 private:
  struct Start {
    std::string fault;  // "partition", "kill", ...
    std::string node;
    double time = 0;
  };
  void ObserveProof(const histories::Event& event);
  // Counts a fault that was not proven, keeping the first few reasons.
  void NotProven(std::uint64_t index, const Start& start, const std::string& why);

  bool proofs_expected_ = false;                      // run/start said "fault_proofs"
  std::map<std::uint64_t, Start> awaiting_;           // start "i" -> fault, until its proof
  std::map<std::string, std::uint64_t> applied_;      // fault -> starts
  std::map<std::string, std::uint64_t> proven_;       // fault -> proven starts
  std::uint64_t not_proven_ = 0;
  std::vector<std::string> not_proven_reasons_;       // the first few
  std::map<std::string, std::string> proven_by_;      // fault -> how the first was proven
  std::uint64_t proven_by_probe_ = 0;                 // partitions proven by the harness's frame
  std::map<std::string, std::uint64_t> unsupported_;  // fault -> events not applied
  std::map<std::string, std::uint64_t> skipped_;      // "fault: reason" -> events
  std::vector<std::string> reasons_;                  // unsupported, distinct, first few
  std::vector<std::uint64_t> evidence_;
};

}  // namespace schism::checkers
