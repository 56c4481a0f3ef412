#pragma once
// liveness: a stable leader appears soon after the final heal.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"

namespace schism::checkers {

// Finds the final heal: the last event that ends a fault, that is a nemesis
// event other than a "phase":"start" one (a "phase":"end", an "f":"heal") or a
// process "start"/"restart"/"resume". Without faults that is the last
// process start, or the run start. A nemesis fault still open at the end
// ("phase":"start" without its "phase":"end" of the same "f", and no "heal"
// or "final-heal" after it) makes the verdict unknown. From there on it looks for the first
// moment at which some node L is leader in term T and, by every node's latest
// role event, a majority of the cluster are L itself or followers of L in
// term T. Nodes whose process was killed (or exited, stopped, paused) and not
// started again count as not following.
//
// Valid when that moment comes within CheckOptions::liveness_deadline_s of
// the final heal; the details give the time it took. Invalid when it comes
// later or never although the history runs past the deadline. Unknown when
// the history (its run/end, or its last event) ends before the deadline, when
// a nemesis fault is still in force at the end, or when the cluster size is
// unknown.
//
// Memory: one entry per node.
class LivenessChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "liveness";

  explicit LivenessChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event) override;
  Verdict Finish() override;

 private:
  struct Stable {
    double time;
    std::uint64_t index;
    NodeTable::Id leader;
    std::optional<std::uint64_t> term;
    std::size_t following;  // Including the leader.
  };

  // Records the moment of `event` if a majority follows one leader now.
  void LookForStableLeader(const histories::Event& event);

  CheckOptions options_;
  ClusterSize cluster_;
  NodeTable nodes_;
  NodeStatus status_{nodes_};  // Every node's latest role and whether it is up.

  bool any_event_ = false;
  bool ended_ = false;      // Saw run/end; later events are not judged.
  double last_time_ = 0.0;  // Of the run/end event, or else the last event.
  std::uint64_t last_index_ = 0;

  struct OpenFault {
    std::string f;
    std::uint64_t index;
  };

  bool faults_ = false;  // Saw a nemesis event or a process going down.
  std::string_view heal_kind_ = "the start of the history";  // What heal_time_ is.
  double heal_time_ = 0.0;
  std::uint64_t heal_index_ = 0;
  std::vector<OpenFault> open_faults_;  // Nemesis faults started and not yet ended.
  std::optional<Stable> stable_;        // Since the final heal.
};

}  // namespace schism::checkers
