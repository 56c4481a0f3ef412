#pragma once
// split-brain: windows in which two or more live nodes believe they lead.

#include <cstdint>
#include <string_view>

#include "checkers/checker.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/split_windows.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// By every node's latest role event (see NodeStatus: a killed, exited or
// stopped node leads nobody), finds the windows in which two or more up nodes
// believe they lead. For an elector without terms (no role event carries a
// term) any such window is a failure when CheckOptions::split_brain_fails is
// set: invalid, with the "i" of the leader claims that opened each window as
// evidence. For an elector with terms two leaders of different terms are a
// normal, brief overlap (the old one has not heard of the new term yet), so
// such windows are only reported in the details and the verdict is valid;
// two live leaders of the same term at once are invalid whatever the option
// says, with those two claims as evidence (election-safety reports the same
// pair). Unknown when there are no role events.
//
// A probe samples a node's role at some instant between its sending and its
// answer, so probe observations cannot prove that two nodes led at the same
// instant: when any role event of a termless history came from a probe (it
// carries "sent"), its windows do not fail the run, and the verdict is
// unknown. Same-term pairs fail as always: they need no common instant.
//
// Memory: one entry per node plus the first few windows.
class SplitBrainChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "split-brain";

  explicit SplitBrainChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  // Leases and votes open or close no window: of them it needs only the time
  // the history ends.
  EventTypes KeepsTimeOnly() const override {
    return TypeBit(histories::EventType::kLease) | TypeBit(histories::EventType::kVote);
  }

 private:
  bool fails_;
  NodeTable nodes_;
  StatusView status_{nodes_};
  SplitWindows windows_;
  std::uint64_t role_events_ = 0;
  std::uint64_t termed_roles_ = 0;
  std::uint64_t observed_roles_ = 0;  // Role events a probe observed.
  double last_time_ = 0.0;
  std::uint64_t last_index_ = 0;
};

// The windows as JSON for a verdict's details: a list of
// {"start_t","end_t","start_i","end_i","leaders":[...],"claims_i":[...]}.
nlohmann::json WindowsJson(const SplitWindows& windows, const NodeTable& nodes);

}  // namespace schism::checkers
