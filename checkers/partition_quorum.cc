#include "checkers/partition_quorum.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "checkers/fault_proof.h"
#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

// When the leader's own clock gave it less than the controller's did.
std::string OwnClockNote(double lasted, double own) {
  if (!(own < lasted - 0.0005)) return "";
  return " (" + Seconds(own) + " s by its own clock, which a clock fault held back)";
}

std::string HeldBackText(std::uint64_t held_back) {
  if (held_back == 0) return "";
  return "; " + std::to_string(held_back) +
         " of them in time only by the leader's own clock, which a clock fault held back";
}

}  // namespace

PartitionQuorumChecker::PartitionQuorumChecker(const CheckOptions& options)
    : grace_s_(options.partition_grace_s), cluster_(options.nodes) {}

void PartitionQuorumChecker::Observe(const histories::Event& event, const EventContext& context) {
  cluster_.Observe(event);
  last_time_ = event.time;
  if (IsUnprovenProof(event)) {
    unproven_.insert(event.detail.value("of", std::uint64_t{0}));
  } else if (IsProof(event) && event.f == "partition") {
    ++proven_partitions_;
    if (event.detail.contains("probe")) {
      proven_by_probe_.insert(event.detail.value("of", std::uint64_t{0}));
    }
  }
  Judge(event.time);
  clocks_.Observe(event);
  const bool changed = status_.Observe(event, context) || network_.Observe(event);
  if (changed) Update(event);
  if (event.type == histories::EventType::kRole) {
    const NodeTable::Id id = nodes_.Intern(event.node, context.node);
    if (id >= seen_.size()) seen_.resize(id + 1);
    seen_[id] = {status_.node(id).probe_sent, status_.node(id).role_index};
  }
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
      s = {true,      false, event.time, status_.node(id).role_index, network_.partition_index(),
           reachable, clocks_.Progress(id, event.time)};
    } else if (!stranded && s.active) {
      CountHeldBack(s, event.time);
      s.active = false;
    } else if (stranded && s.active && event.index == network_.partition_index()) {
      s.partition_index = event.index;  // Still stranded under a new partition.
      s.reachable = reachable;
    }
    if (s.active && !s.reported) judging_ = true;
  }
}

void PartitionQuorumChecker::Judge(double now) {
  if (!judging_) return;  // Nearly always: no leader is stranded, or each is reported.
  judging_ = false;
  for (NodeTable::Id id = 0; id < strandings_.size(); ++id) {
    Stranding& s = strandings_[id];
    if (!s.active || s.reported) continue;
    // A probe saw the leader lead at some instant after it was sent: no later.
    const Seen node = id < seen_.size() ? seen_[id] : Seen{};
    const double led_at = node.probe_sent ? std::min(now, *node.probe_sent) : now;
    const double own = OwnTime(id, s, led_at);
    if (!(own > grace_s_)) {
      judging_ = true;
      continue;
    }
    s.reported = true;
    violations_.push_back(
        {id, s, led_at - s.since, own, node.probe_sent ? node.role_index : s.claim_index});
  }
}

double PartitionQuorumChecker::OwnTime(NodeTable::Id id, const Stranding& s, double t) {
  return clocks_.Progress(id, t) - s.own_since;
}

void PartitionQuorumChecker::CountHeldBack(const Stranding& s, double t) {
  if (!s.reported && t - s.since > grace_s_) ++held_back_;  // else Judge would have reported it
}

Verdict PartitionQuorumChecker::Finish() {
  Judge(last_time_);
  for (const Stranding& s : strandings_) {
    if (s.active) CountHeldBack(s, last_time_);
  }
  // A partition whose proof failed may not have cut anything: no leader is
  // failed for it. Nor for partitions of a run whose nodes never sent a frame
  // across the bridge while one held: their elector may talk some other way.
  const bool never_talked =
      proven_partitions_ > 0 && proven_by_probe_.size() == proven_partitions_;
  std::vector<Violation> judged;
  std::uint64_t excused_silent = 0;
  for (const Violation& v : violations_) {
    if (unproven_.count(v.stranding.partition_index)) continue;
    if (never_talked && proven_by_probe_.count(v.stranding.partition_index)) {
      ++excused_silent;
      continue;
    }
    judged.push_back(v);
  }
  const std::uint64_t excused = violations_.size() - judged.size() - excused_silent;
  const std::uint64_t violation_count = judged.size();
  if (judged.size() > kMaxReported) judged.resize(kMaxReported);
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"nodes", cluster_.nodes()},
                     {"grace_s", grace_s_},
                     {"partitions", network_.partitions()},
                     {"stranded_leaders", strandings_seen_},
                     {"held_back_by_own_clock", held_back_},
                     {"violations", violation_count},
                     {"unproven_partitions", unproven_.size()},
                     {"excused_by_unproven_partitions", excused},
                     {"excused_by_silent_partitions", excused_silent}};
  std::string excused_text =
      excused == 0 ? ""
                   : "; " + std::to_string(excused) +
                         " stranding(s) under partitions not proven to have cut anything are "
                         "not judged";
  if (excused_silent > 0) {
    excused_text += "; " + std::to_string(excused_silent) +
                    " stranding(s) under partitions no node sent a frame across are not judged";
  }
  if (violation_count > 0) {
    const Violation& v = judged.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = nodes_.Name(v.node) +
                     " went on leading (claim i=" + std::to_string(v.stranding.claim_index) +
                     ") for over " + Seconds(v.lasted) +
                     " s" + OwnClockNote(v.lasted, v.own) +
                     " while the partition of i=" + std::to_string(v.stranding.partition_index) +
                     " let it reach " + std::to_string(v.stranding.reachable) + " of " +
                     std::to_string(cluster_.nodes()) + " nodes (grace " + Seconds(grace_s_) +
                     " s)";
    if (violation_count > 1) {
      verdict.reason += ", and " + std::to_string(violation_count - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Violation& w : judged) {
      verdict.evidence.push_back(w.stranding.claim_index);
      verdict.evidence.push_back(w.stranding.partition_index);
      if (w.seen_index != w.stranding.claim_index) verdict.evidence.push_back(w.seen_index);
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
                     std::to_string(strandings_seen_ - violations_.size()) +
                     " stepped down in time" + HeldBackText(held_back_) + ")" + excused_text;
  }
  return verdict;
}

}  // namespace schism::checkers
