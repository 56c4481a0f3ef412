#include "checkers/lease.h"

#include <cstdio>
#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {

LeaseChecker::LeaseChecker(const CheckOptions& /*options*/) {}

void LeaseChecker::Observe(const histories::Event& event, const EventContext& context) {
  if (event.type != histories::EventType::kLease || !event.lease_ms) return;
  ++leases_;
  const NodeTable::Id id = nodes_.Intern(event.node, context.node);
  if (id >= held_.size()) held_.resize(id + 1);
  const double end = event.time + static_cast<double>(*event.lease_ms) / 1000.0;
  // Report each overlapping holder once per new lease, the earliest-starting first.
  for (NodeTable::Id other = 0; other < held_.size(); ++other) {
    const Held& h = held_[other];
    if (other == id || !h.any || !(event.time < h.end)) continue;
    ++overlap_count_;
    if (overlaps_.size() < kMaxReported) {
      overlaps_.push_back({other, h, id, event.index, event.time});
    }
  }
  Held& mine = held_[id];
  if (!mine.any || end >= mine.end) mine = {true, event.time, end, event.index};
}

Verdict LeaseChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"leases", leases_}, {"overlaps", overlap_count_}};
  if (overlap_count_ > 0) {
    const Overlap& o = overlaps_.front();
    verdict.valid = Validity::kInvalid;
    verdict.reason = nodes_.Name(o.later) + "'s lease (i=" + std::to_string(o.later_index) +
                     ") began at " + Seconds(o.later_start) + " s while " + nodes_.Name(o.earlier) +
                     "'s (i=" + std::to_string(o.earlier_lease.index) + ") ran until " +
                     Seconds(o.earlier_lease.end) + " s";
    if (overlap_count_ > 1) {
      verdict.reason += ", and " + std::to_string(overlap_count_ - 1) + " more";
    }
    nlohmann::json list = nlohmann::json::array();
    for (const Overlap& p : overlaps_) {
      verdict.evidence.push_back(p.earlier_lease.index);
      verdict.evidence.push_back(p.later_index);
      list.push_back({{"holders", {nodes_.Name(p.earlier), nodes_.Name(p.later)}},
                      {"i", {p.earlier_lease.index, p.later_index}},
                      {"overlap_s", p.earlier_lease.end - p.later_start}});
    }
    verdict.details["reported"] = std::move(list);
  } else if (leases_ == 0) {
    // Not applicable rather than unknown: most electors have no leases, and a
    // run must not lose its verdict for a property it never claimed.
    verdict.valid = Validity::kValid;
    verdict.reason = "not applicable: the elector reports no leases";
    verdict.details["applicable"] = false;
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = "no two holders' leases overlapped in " + std::to_string(leases_) + " leases";
  }
  return verdict;
}

}  // namespace schism::checkers
