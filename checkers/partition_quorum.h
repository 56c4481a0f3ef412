#pragma once
// partition-quorum: no leader goes on leading a minority side of a partition.

#include <cstdint>
#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/cluster.h"
#include "checkers/network_view.h"
#include "checkers/node_clocks.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// Follows the nemesis's partitions (see NetworkView) and every node's latest
// role (see NodeStatus). A node is a stranded leader while it is up, its
// latest role is leader, and under the partition in force it exchanges
// messages both ways with fewer than a majority of the cluster, itself
// included. Invalid when a node stays a stranded leader for longer than
// CheckOptions::partition_grace_s; the evidence is the "i" of its leader claim
// and of the partition start. A stranding that ends within the grace (the node
// steps down, is killed, or the partition heals or changes so that it reaches a
// majority) is fine: a leader needs some time to notice. Only the network is
// judged: dead nodes do not count against a leader.
//
// The grace is counted on the leader's own clock as the nemesis's clock faults
// set it (NodeClocks::Progress), never faster than the controller's: a leader
// whose clock a fault set back stands still until it has made that up, and
// one at x0.5 notices at half speed; neither is failed for time its own clock
// never gave it. The reason says when that mattered.
//
// A leader seen by a probe (its role event carries "sent", see ProbeSent) is
// known to lead only at some instant between the probe's sending and its
// answer: its stranding is measured up to the sending of the latest probe that
// still saw it lead, never to the moment the answer was read, so a slow probe
// cannot stretch a stranding past the grace. The evidence then also names that
// observation.
//
// A partition whose "verified" event says it was not proven (the kernel did
// not hold it, or it dropped nothing) is no evidence: a stranding under it is
// not judged, and the reason says how many were left out. Nor are partitions
// of a run in which every proven partition was proven only by the harness's
// own frame (its proof names a "probe"): the nodes never sent a frame across
// the bridge while one held, so the elector may talk some other way.
//
// Valid when there is no partition at all. Unknown when the cluster size is
// unknown and the history has partitions.
//
// Memory: one entry per node plus a bit per pair of nodes.
class PartitionQuorumChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "partition-quorum";

  explicit PartitionQuorumChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;

 private:
  struct Stranding {
    bool active = false;
    bool reported = false;
    double since = 0.0;
    std::uint64_t claim_index = 0;
    std::uint64_t partition_index = 0;
    std::size_t reachable = 0;
    double own_since = 0.0;  // the leader's own clock (NodeClocks::Progress) at `since`
  };
  struct Violation {
    NodeTable::Id node;
    Stranding stranding;
    double lasted;               // At least this long, in seconds.
    double own;                  // Of which the leader's own clock gave it this much.
    std::uint64_t seen_index;    // The role event that proves it still led then.
  };

  // Opens and closes strandings after an event changed roles or the network.
  void Update(const histories::Event& event);
  // Reports the strandings that have outlasted the grace by time `now`.
  void Judge(double now);
  // The time node `id`'s own clock gave it from `s.since` to `t`.
  double OwnTime(NodeTable::Id id, const Stranding& s, double t);
  // A stranding that ends at `t`, unreported: was it the leader's clock that
  // kept it within the grace?
  void CountHeldBack(const Stranding& s, double t);

  // What Judge reads of a node's latest role event. Judge runs before an
  // event is applied, so it must see the roles as of the event before, while
  // the shared status already holds this one's: they are copied here after
  // each role event.
  struct Seen {
    std::optional<double> probe_sent;
    std::uint64_t role_index = 0;
  };

  double grace_s_;
  ClusterSize cluster_;
  NodeTable nodes_;
  StatusView status_{nodes_};
  NetworkView network_{nodes_};
  NodeClocks clocks_{nodes_};
  std::vector<Stranding> strandings_;  // By node id.
  // Whether some leader is stranded and not yet reported: Judge has work.
  bool judging_ = false;
  std::vector<Seen> seen_;             // By node id.
  std::vector<Violation> violations_;   // Every stranding that outlasted the grace.
  std::set<std::uint64_t> unproven_;    // "i" of partition starts whose proof failed
  std::uint64_t proven_partitions_ = 0;
  // "i" of partitions proven only by the harness's own frame: the nodes sent
  // nothing across the bridge while they held.
  std::set<std::uint64_t> proven_by_probe_;
  std::uint64_t strandings_seen_ = 0;
  std::uint64_t held_back_ = 0;  // strandings within the grace only by the leader's own clock
  double last_time_ = 0.0;
};

}  // namespace schism::checkers
