#pragma once
// service-failover: how long a service's clients went on naming a primary
// that was gone, for recipes whose electors are the clients of a service with
// a primary (redis-sentinel over redis:3).

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/network_view.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/samples.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// Not a judge: always valid, unless the history is empty (unknown). Its
// details carry the figures and its reason a one-line summary.
//
// A client names the primary it sees with a "primary" field on its role
// lines (docs/contract.md), e.g. a sentinel after its +switch-master. The
// service's primary is the member a majority of the cluster (the electors of
// run/start, not the service's members) names by their latest such line; a
// node that is down keeps its last word. The primary is lost when its member
// is killed (or exits, stops), paused, or cut off by a partition from a
// majority of the clients (both ways). A failover is the moment a majority
// names another member; it is timed from the start of the old primary's most
// recent loss, if that loss still holds or ended at most kLateS before (a
// failover under way when the old primary comes back still completes: a
// killed primary restarts while the sentinels promote another). Any other
// failover is counted as unprompted: the clients saw the primary fail where
// the history shows no loss (a partition that cut it from one client only,
// say). Figures end where the controller stops the nodes, as kpis' do.
// Figures:
//   first_primary_s       from the first event to the first primary;
//   primaries             the members that were primary, in order;
//   failover_s            count, p50, p95 (2+ samples), max, mean;
//   failover_by_cause     the same by the cause of the loss: killed, paused,
//                         isolated (count, max, mean, p50 with 2+ samples);
//   losses                losses of the primary by cause, failover or not;
//   unprompted            failovers with no loss in force or just ended;
//   pending               1 if the primary was lost at the end with no
//                         failover yet, else 0.
//
// Memory: one entry per node plus at most Samples::kCapacity samples.
class ServiceFailoverChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "service-failover";
  // How long after the old primary came back a failover is still its loss's:
  // Sentinel's failover-timeout in the redis-sentinel recipe (4 s), and a second.
  static constexpr double kLateS = 5.0;

  explicit ServiceFailoverChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  // Leases and votes name no primary and change no member's status: of them
  // it needs only the time the history starts.
  EventTypes KeepsTimeOnly() const override {
    return TypeBit(histories::EventType::kLease) | TypeBit(histories::EventType::kVote);
  }

 private:
  enum Loss { kKilled, kPaused, kIsolated, kLossKinds };
  static constexpr NodeTable::Id kNone = NodeStatus::kNoNode;

  void ObserveStart(const histories::Event& event);
  void ObserveReport(const histories::Event& event, const EventContext& context);
  void TrackLoss(const histories::Event& event);
  int LossOf(NodeTable::Id member) const;
  std::size_t Majority() const;
  nlohmann::json Details() const;

  ClusterSize cluster_;
  NodeTable nodes_;
  StatusView status_{nodes_};
  NetworkView network_{nodes_};
  std::vector<NodeTable::Id> clients_;  // The electors of run/start.
  std::vector<NodeTable::Id> named_;    // By node id: the primary it names last.

  bool any_event_ = false;
  bool ended_ = false;
  double first_time_ = 0.0;

  NodeTable::Id primary_ = kNone;
  std::vector<NodeTable::Id> primaries_;
  double first_primary_s_ = -1.0;
  bool lost_ = false;        // The primary is lost now.
  int loss_cause_ = -1;      // Of its most recent loss since it became primary; -1 if none.
  double loss_since_ = 0.0;  // When that loss began.
  double loss_ended_ = 0.0;  // When it ended (meaningful once !lost_).
  std::array<std::uint64_t, kLossKinds> losses_{};
  Samples failovers_;
  std::array<Samples, kLossKinds> by_cause_;
  std::uint64_t unprompted_ = 0;
};

}  // namespace schism::checkers
