#include "checkers/partition_quorum.h"

#include <cstdio>
#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {

PartitionQuorumChecker::PartitionQuorumChecker(const CheckOptions& options)
    : grace_s_(options.partition_grace_s), cluster_(options.nodes) {}

void PartitionQuorumChecker::Observe(const histories::Event& event) {
  cluster_.Observe(event);
  last_time_ = event.time;
  Judge(event.time);
  const bool changed = status_.Observe(event) || network_.Observe(event);
  if (changed) Update(event);
}

void PartitionQuorumChecker::Update(const histories::Event& event) {
  if (strandings_.size() < nodes_.size()) strandings_.resize(nodes_.size());
  const std::size_t cluster = cluster_.nodes();
  for (NodeTable::Id id = 0; id < strandings_.size(); ++id) {
    Stranding& s = strandings_[id];
    std::size_t reachable = 0;
    bool stranded = false;
    if (cluster > 0 && network_.partitioned() && status_.Leads(id)) {
      reachable = network_.Reachable(id, cluster);
      stranded = reachable < cluster_.majority();
    }
    if (stranded && !s.active) {
      ++strandings_seen_;
      s = {true,     false, event.time, status_.node(id).role_index, network_.partition_index(),
           reachable};
    } else if (!stranded && s.active) {
      s.active = false;
    } else if (stranded && s.active && event.index == network_.partition_index()) {
      s.partition_index = event.index;  // Still stranded under a new partition.
      s.reachable = reachable;
    }
  }
}

void PartitionQuorumChecker::Judge(double now) {
  for (NodeTable::Id id = 0; id < strandings_.size(); ++id) {
    Stranding& s = strandings_[id];
    if (!s.active || s.reported || !(now - s.since > grace_s_)) continue;
    s.reported = true;
    ++violation_count_;
    if (violations_.size() < kMaxReported) violations_.push_back({id, s, now - s.since});
  }
}

Verdict PartitionQuorumChecker::Finish() {
  Judge(last_time_);
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"nodes", cluster_.nodes()},
                     {"grace_s", grace_s_},
                     {"partitions", network_.partitions()},
                     {"stranded_leaders", strandings_seen_},
                     {"violations", violation_count_}};
  if (violation_count_ > 0) {
    const Violation& v = violations_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = nodes_.Name(v.node) +
                     " went on leading (claim i=" + std::to_string(v.stranding.claim_index) +
                     ") for over " + Seconds(v.lasted) +
                     " s while the partition of i=" + std::to_string(v.stranding.partition_index) +
                     " let it reach " + std::to_string(v.stranding.reachable) + " of " +
                     std::to_string(cluster_.nodes()) + " nodes (grace " + Seconds(grace_s_) +
                     " s)";
    if (violation_count_ > 1) {
      verdict.reason += ", and " + std::to_string(violation_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : violations_) {
      verdict.evidence.push_back(w.stranding.claim_index);
      verdict.evidence.push_back(w.stranding.partition_index);
      list.push_back({{"leader", nodes_.Name(w.node)},
                      {"claim_i", w.stranding.claim_index},
                      {"partition_i", w.stranding.partition_index},
                      {"stranded_since_t", w.stranding.since},
                      {"reachable", w.stranding.reachable}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (network_.partitions() == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "no partitions in the history";
  } else if (cluster_.nodes() == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = ClusterSize::UnknownReason();
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "no leader outlasted the " + Seconds(grace_s_) + " s grace on a minority in " +
                     std::to_string(network_.partitions()) + " partitions (" +
                     std::to_string(strandings_seen_) + " stepped down in time)";
  }
  return verdict;
}

}  // namespace schism::checkers
