#include "checkers/kpis.h"

#include <cstdio>
#include <string>

namespace schism::checkers {
namespace {

std::string Format(const char* format, double value) {
  char buffer[48];
  std::snprintf(buffer, sizeof buffer, format, value);
  return buffer;
}

}  // namespace

KpiChecker::KpiChecker(const CheckOptions& options) : cluster_(options.nodes) {}

std::size_t KpiChecker::Cluster() const {
  return cluster_.nodes() > 0 ? cluster_.nodes() : nodes_.size();
}

bool KpiChecker::Stable(NodeTable::Id id) const {
  const std::size_t majority = Cluster() / 2 + 1;
  return status_.Leads(id) && status_.Following(id) >= majority &&
         network_.Reachable(id, Cluster()) >= majority;
}

void KpiChecker::Observe(const histories::Event& event, const EventContext& context) {
  cluster_.Observe(event);
  if (!any_event_) {
    any_event_ = true;
    first_time_ = event.time;
    leaderless_since_ = event.time;
  }
  if (ended_) return;
  last_time_ = event.time;
  last_index_ = event.index;
  if (EndsJudgedRun(event)) {
    ended_ = true;
    return;
  }
  const bool roles = status_.Observe(event, context);
  const bool network = !roles && network_.Observe(event);
  if (roles) windows_.Update(status_, event);
  if (roles || network) Track(event);
}

void KpiChecker::Track(const histories::Event& event) {
  const std::size_t majority = Cluster() / 2 + 1;
  if (leader_ != NodeStatus::kNoNode) {
    int loss = -1;
    if (!status_.node(leader_).up) {
      loss = status_.node(leader_).paused ? kPaused : kKilled;
    } else if (!status_.Leads(leader_)) {
      loss = kSteppedDown;
    } else if (network_.Reachable(leader_, Cluster()) < majority) {
      loss = kIsolated;
    } else if (status_.Following(leader_) < majority) {
      loss = kLostFollowers;
    }
    if (loss < 0) return;
    ++losses_[static_cast<std::size_t>(loss)];
    last_loss_ = loss;
    leader_ = NodeStatus::kNoNode;
    leaderless_since_ = event.time;
  }
  for (NodeTable::Id id = 0; id < status_.size(); ++id) {
    if (!Stable(id)) continue;
    const double took = event.time - leaderless_since_;
    leaderless_s_ += took;
    const std::optional<std::uint64_t> term = status_.node(id).term;
    // Leadership regained within one term is no election (see kpis.h).
    const bool same_term = term && previous_term_ && *term == *previous_term_;
    if (first_leader_s_ < 0) {
      first_leader_s_ = took;
    } else if (!same_term) {
      elections_.Add(took);
      if (last_loss_ >= 0) failovers_[static_cast<std::size_t>(last_loss_)].Add(took);
    }
    if (previous_ != NodeStatus::kNoNode && previous_ != id && !same_term) ++leader_changes_;
    leader_ = previous_ = id;
    previous_term_ = term;
    return;
  }
}

nlohmann::json KpiChecker::FailoversJson() const {
  static constexpr const char* kNames[kLossKinds] = {"killed", "paused", "stepped_down",
                                                     "isolated", "lost_followers"};
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t cause = 0; cause < kLossKinds; ++cause) {
    const Samples& s = failovers_[cause];
    if (s.count() == 0) continue;
    nlohmann::json& figures = out[kNames[cause]];
    figures = {{"count", s.count()}, {"max", s.max()}, {"mean", s.mean()}};
    if (s.count() > 1) figures["p50"] = s.Percentile(0.50);
  }
  return out;
}

Verdict KpiChecker::Finish() {
  windows_.Close(last_time_, last_index_);
  Verdict verdict;
  verdict.checker = std::string(kName);
  if (!any_event_) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "empty history";
    verdict.details = nlohmann::json::object();
    return verdict;
  }
  double leaderless = leaderless_s_;
  if (leader_ == NodeStatus::kNoNode) leaderless += last_time_ - leaderless_since_;
  const double duration = last_time_ - first_time_;
  const double pct = duration > 0 ? 100.0 * leaderless / duration : 0.0;
  const double per_min = duration > 0 ? static_cast<double>(leader_changes_) * 60.0 / duration : 0;

  nlohmann::json election = {{"count", elections_.count()}};
  if (elections_.count() > 0) {
    election["max"] = elections_.max();
    election["mean"] = elections_.mean();
  }
  if (elections_.count() > 1) {
    election["p50"] = elections_.Percentile(0.50);
    election["p95"] = elections_.Percentile(0.95);
    election["percentiles_exact"] = elections_.exact();
  }
  verdict.details = {
      {"nodes", Cluster()},
      {"duration_s", duration},
      {"first_leader_s", first_leader_s_ < 0 ? nlohmann::json() : nlohmann::json(first_leader_s_)},
      {"elections", elections_.count()},
      {"election_s", std::move(election)},
      {"leaderless_s", leaderless},
      {"leaderless_pct", pct},
      {"leader_changes", leader_changes_},
      {"leader_changes_per_min", per_min},
      {"losses",
       {{"killed", losses_[kKilled]},
        {"paused", losses_[kPaused]},
        {"stepped_down", losses_[kSteppedDown]},
        {"isolated", losses_[kIsolated]},
        {"lost_followers", losses_[kLostFollowers]}}},
      {"split_brain", {{"count", windows_.count()}, {"total_s", windows_.total_s()}}},
      {"failover_s", FailoversJson()}};

  std::string reason = std::to_string(elections_.count()) + " election(s)";
  if (elections_.count() > 1) {
    reason += Format(", p50 %.3f s", elections_.Percentile(0.50)) +
              Format(" p95 %.3f s", elections_.Percentile(0.95));
  }
  if (elections_.count() > 0) reason += Format(" max %.3f s", elections_.max());
  reason += Format("; leaderless %.3f s", leaderless) + Format(" (%.1f%%)", pct) +
            Format("; %.2f leader changes/min", per_min) + "; " + std::to_string(windows_.count()) +
            " split-brain window(s)" + Format(" (%.3f s)", windows_.total_s());
  verdict.valid = Validity::kValid;
  verdict.reason = std::move(reason);
  return verdict;
}

}  // namespace schism::checkers
