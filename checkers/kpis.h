#pragma once
// kpis: figures about how well leadership held up, for reports and trends.

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/network_view.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/samples.h"
#include "checkers/split_windows.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// Not a judge: always valid, unless the history is empty (unknown). Its
// details carry the numbers and its reason a one-line summary.
//
// A stable leader is a node that is up, whose latest role is leader, that a
// majority of the cluster (itself included) follows in its term by their
// latest role events, and that reaches a majority both ways under the
// partition in force. The cluster is leaderless while there is no stable
// leader. The stable leader is lost when it is killed (or exits, stops),
// steps down, is cut off from a majority by a partition start, or loses its
// majority of followers. Figures end where the controller stops the nodes
// ("run"/"stopping", or the first "process"/"stop"): the end of a run is no
// loss of leadership. Figures:
//   first_leader_s        from the first event to the first stable leader;
//   elections / election_s   one sample per loss, from the loss to the next
//                         stable leader: count, p50, p95 (with 2+ samples), max, mean;
//                         a stable leader in the same term as the last one
//                         (followers wavering between two leaders of one term,
//                         which election-safety judges, or a leader regaining
//                         its majority) is no election: its gap counts as
//                         leaderless time only;
//   leaderless_s, leaderless_pct   total leaderless time and its share of the run;
//   leader_changes, leader_changes_per_min   a stable leader other than the last
//                         one, in another term (any other node for termless electors);
//   losses                by cause: killed (killed, exited or stopped), paused,
//                         stepped_down, isolated, lost_followers;
//   failover_s            the elections again, by the cause of the loss they
//                         followed: {"killed": {count, max, mean, p50}, ...}
//                         (only causes with elections; p50 with 2+ samples);
//   split_brain           windows with two or more live leaders: count, total_s.
// Without a configured or recorded cluster size, the number of nodes seen so
// far stands in for it.
//
// Memory: one entry per node plus at most Samples::kCapacity samples.
class KpiChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "kpis";

  explicit KpiChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  // Leases and votes change no node's role or the network: of them it needs
  // only the history's first and last time.
  EventTypes KeepsTimeOnly() const override {
    return TypeBit(histories::EventType::kLease) | TypeBit(histories::EventType::kVote);
  }

 private:
  enum Loss { kKilled, kPaused, kSteppedDown, kIsolated, kLostFollowers, kLossKinds };

  std::size_t Cluster() const;
  bool Stable(NodeTable::Id id) const;
  void Track(const histories::Event& event);
  nlohmann::json FailoversJson() const;

  ClusterSize cluster_;
  NodeTable nodes_;
  StatusView status_{nodes_};
  NetworkView network_{nodes_};
  SplitWindows windows_;
  Samples elections_;

  bool any_event_ = false;
  bool ended_ = false;  // The controller began stopping the nodes: no more figures.
  double first_time_ = 0.0;
  double last_time_ = 0.0;
  std::uint64_t last_index_ = 0;

  NodeTable::Id leader_ = NodeStatus::kNoNode;    // The stable leader now, if any.
  NodeTable::Id previous_ = NodeStatus::kNoNode;  // The last stable leader.
  std::optional<std::uint64_t> previous_term_;    // Its term then.
  double leaderless_since_ = 0.0;
  double leaderless_s_ = 0.0;
  double first_leader_s_ = -1.0;  // Negative until there is one.
  std::uint64_t leader_changes_ = 0;
  std::array<std::uint64_t, kLossKinds> losses_{};
  std::array<Samples, kLossKinds> failovers_;  // Elections by the cause of the loss.
  int last_loss_ = -1;                          // The cause of the latest loss.
};

}  // namespace schism::checkers
