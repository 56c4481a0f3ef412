#pragma once
// liveness: a stable leader appears soon after the final heal, and the
// cluster stays up once the faults are over.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/node_clocks.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// Finds the final heal: the last event that ends a fault, that is a nemesis
// event other than a "phase":"start" one (a "phase":"end", an "f":"heal") or a
// process "start"/"restart"/"resume". Without faults that is the last
// process start, or the run start. Nemesis events that record a fault not
// applied ("skipped" or "unsupported") neither start nor end one. A nemesis
// fault still open at the end ("phase":"start" without its "phase":"end" of
// the same "f", and no "heal" or "final-heal" after it) makes the verdict
// unknown.
//
// From the final heal on it looks for a stable leader: some node L that is
// leader in term T while, by every node's latest role event, a majority of
// the cluster are L itself or up followers of L in term T, and that holds
// unbroken for CheckOptions::stable_window_s. Killed, exited, stopped and
// paused nodes follow nobody; a resumed node holds the role it last reported.
//
// The deadline is counted from when some node's clock moves again: a clock
// fault that ends at the final heal sets a clock that ran ahead back, and a
// node's timers stand still until it has caught up (see NodeClocks); when
// every node's clock stands still after the final heal, the shortest of those
// stands is added to the deadline, and the reason says so.
//
// Valid when a stable leader's window starts within
// CheckOptions::liveness_deadline_s of the final heal and no node exits by
// itself after the final heal. Invalid when a node exits by itself after the
// final heal (a crash loop is no live cluster, whatever leader was seen), or
// when no stable leader starts by the deadline although the history goes on
// past it, unless the roles come from probes (their events carry "sent") and
// the probes saw fewer than a majority of the nodes between the final heal and
// the deadline: then unknown, as blind probes are no evidence of a dead
// cluster. Unknown when the history ends before the deadline, or ends while
// a leader that started in time has not yet held for the whole window; when
// a fault is still in force at the end; or when the cluster size is unknown.
//
// The history ends for this checker at "run"/"end", at "run"/"stopping" (the
// controller starts stopping the nodes), or at the first "process"/"stop"
// (histories written before "stopping" existed).
//
// Memory: one entry per node.
class LivenessChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "liveness";

  explicit LivenessChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  // Leases and votes change who is followed in no way: of them it needs only
  // the time, to confirm a stable leader, which the next event it reads
  // confirms as well, and where the history starts and ends.
  EventTypes KeepsTimeOnly() const override {
    return TypeBit(histories::EventType::kLease) | TypeBit(histories::EventType::kVote);
  }

 private:
  // A leader followed by a majority, from the moment it first was.
  struct Stable {
    double time;
    std::uint64_t index;
    NodeTable::Id leader;
    std::optional<std::uint64_t> term;
    std::size_t following;  // Including the leader, when it started.
  };

  struct OpenFault {
    std::string f;
    std::uint64_t index;
  };

  // A node that exited by itself after the final heal.
  struct Exit {
    std::uint64_t index;
    double time;
    std::string node;
    nlohmann::json code;
  };

  // Applies one event's effect on faults and nodes; true if it ended a fault.
  bool Apply(const histories::Event& event, const EventContext& context);
  // The leader a majority follows now, if any, as of `event`.
  std::optional<Stable> FollowedLeader(const histories::Event& event);
  // The same, worked out from every node's status (time and index left 0).
  std::optional<Stable> FindFollowedLeader() const;
  // Confirms the candidate once it has held for the window by `time`.
  void Confirm(double time);
  // Starts, keeps or drops the candidate after `event`.
  void Track(const histories::Event& event);
  std::string Who(const Stable& s) const;
  // How long after the final heal every node's clock stood still (0 unless
  // each one did).
  double StoodStill();

  CheckOptions options_;
  ClusterSize cluster_;
  NodeTable nodes_;
  StatusView status_{nodes_};  // Every node's latest role and whether it is up.
  NodeClocks clocks_{nodes_};  // Every node's clock as the clock faults set it.

  bool any_event_ = false;
  bool ended_ = false;      // Saw the end (see above); later events are not judged.
  double last_time_ = 0.0;  // Of the end event, or else the last event.
  std::uint64_t last_index_ = 0;

  bool faults_ = false;  // Saw a nemesis event or a process going down.
  std::string_view heal_kind_ = "the start of the history";  // What heal_time_ is.
  double heal_time_ = 0.0;
  std::uint64_t heal_index_ = 0;
  std::vector<OpenFault> open_faults_;  // Nemesis faults started and not yet ended.
  std::optional<Stable> candidate_;     // Followed since the final heal, window not yet over.
  std::optional<Stable> stable_;        // The first that held for the whole window.
  std::optional<Exit> exit_;            // The first exit by itself since the final heal.
  bool probed_ = false;                 // Roles come from probes (harness/prober.h).
  std::set<NodeTable::Id> observed_;    // Nodes a probe saw between the heal and the deadline.
  // FollowedLeader's answer, which only a role or process event or a new
  // cluster size can change: worked out again only then, not for every event.
  std::optional<Stable> followed_;
  bool followed_stale_ = true;
  std::size_t followed_nodes_ = 0;  // The cluster size it was worked out for.
};

}  // namespace schism::checkers
