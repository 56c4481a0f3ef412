#include "checkers/liveness.h"

#include <cstdio>
#include <iterator>
#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

using histories::Event;
using histories::EventType;
using histories::Role;

bool IsNemesisStart(const Event& event) {
  if (!event.detail.is_object()) return false;
  auto phase = event.detail.find("phase");
  return phase != event.detail.end() && phase->is_string() && *phase == "start";
}

// Ends every fault, not only one of its own "f".
bool IsFullHeal(std::string_view f) { return f == "heal" || f == "final-heal"; }

// A fault the nemesis meant to inject but did not: no start, no end.
bool IsNotApplied(const Event& event) {
  return event.detail.is_object() &&
         (event.detail.contains("skipped") || event.detail.contains("unsupported"));
}

// A node that exited by itself, not after a term op asked it to.
bool IsOwnExit(const Event& event) {
  if (event.f != "exit" && event.f != "crash") return false;
  return !(event.detail.is_object() && event.detail.contains("after"));
}

}  // namespace

LivenessChecker::LivenessChecker(const CheckOptions& options)
    : options_(options), cluster_(options.nodes) {}

void LivenessChecker::Observe(const Event& event, const EventContext& context) {
  if (ended_) return;
  cluster_.Observe(event);
  clocks_.Observe(event);
  if (!any_event_) {
    // Until a fault ends, the reference point is the start of the history.
    any_event_ = true;
    heal_time_ = event.time;
    heal_index_ = event.index;
  }
  last_time_ = event.time;
  last_index_ = event.index;
  if (EndsJudgedRun(event)) {
    Confirm(event.time);
    ended_ = true;
    return;
  }
  Confirm(event.time);  // Whatever this event changes, the candidate held until now.
  if (Apply(event, context)) {
    heal_kind_ = faults_ ? "the final heal" : "the last node start";
    heal_time_ = event.time;
    heal_index_ = event.index;
    candidate_.reset();
    stable_.reset();
    exit_.reset();
    observed_.clear();
  }
  if (open_faults_.empty()) {
    Track(event);
  } else {
    candidate_.reset();
  }
}

bool LivenessChecker::Apply(const Event& event, const EventContext& context) {
  switch (event.type) {
    case EventType::kRun:
      if (event.f == "start") {
        heal_kind_ = "the run start";
        heal_time_ = event.time;
        heal_index_ = event.index;
      }
      return false;
    case EventType::kRole:
      status_.Observe(event, context);
      followed_stale_ = true;
      if (context.probe_sent) {
        probed_ = true;
        if (event.time - heal_time_ <= options_.liveness_deadline_s) {
          observed_.insert(nodes_.Intern(event.node, context.node));
        }
      }
      return false;
    case EventType::kProcess:
      if (event.node.empty()) return false;
      if (event.f == kProbeFailed) probed_ = true;
      status_.Observe(event, context);
      followed_stale_ = true;
      if (IsProcessDown(event.f)) faults_ = true;
      if (IsOwnExit(event) && !exit_) {
        exit_ = Exit{event.index, event.time, event.node,
                     event.detail.is_object() ? event.detail.value("code", nlohmann::json())
                                              : nlohmann::json()};
      }
      return IsProcessUp(event.f);
    case EventType::kNemesis:
      if (IsNotApplied(event)) return false;
      faults_ = true;
      if (IsNemesisStart(event)) {
        open_faults_.push_back({event.f, event.index});
        return false;
      }
      if (IsFullHeal(event.f)) {
        open_faults_.clear();
      } else {
        for (auto it = open_faults_.rbegin(); it != open_faults_.rend(); ++it) {
          if (it->f != event.f) continue;
          open_faults_.erase(std::next(it).base());
          break;
        }
      }
      return true;
    default:
      return false;
  }
}

std::optional<LivenessChecker::Stable> LivenessChecker::FollowedLeader(const Event& event) {
  if (followed_stale_ || followed_nodes_ != cluster_.nodes()) {
    followed_ = FindFollowedLeader();
    followed_stale_ = false;
    followed_nodes_ = cluster_.nodes();
  }
  if (!followed_) return std::nullopt;
  Stable now = *followed_;
  now.time = event.time;
  now.index = event.index;
  return now;
}

std::optional<LivenessChecker::Stable> LivenessChecker::FindFollowedLeader() const {
  if (cluster_.nodes() == 0) return std::nullopt;
  for (NodeTable::Id l = 0; l < status_.size(); ++l) {
    const std::size_t following = status_.Following(l);  // 0 unless l leads
    if (following >= cluster_.majority()) {
      return Stable{0.0, 0, l, status_.node(l).term, following};
    }
  }
  return std::nullopt;
}

void LivenessChecker::Confirm(double time) {
  if (candidate_ && !stable_ && time - candidate_->time >= options_.stable_window_s) {
    stable_ = candidate_;
  }
}

void LivenessChecker::Track(const Event& event) {
  std::optional<Stable> now = FollowedLeader(event);
  if (!now) {
    candidate_.reset();
  } else if (!candidate_ || candidate_->leader != now->leader || candidate_->term != now->term) {
    candidate_ = now;
  }
}

std::string LivenessChecker::Who(const Stable& s) const {
  return nodes_.Name(s.leader) + (s.term ? " in term " + std::to_string(*s.term) : "") + " with " +
         std::to_string(s.following) + " of " + std::to_string(cluster_.nodes()) +
         " nodes following";
}

Verdict LivenessChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  const double stood_still = StoodStill();
  const double deadline = options_.liveness_deadline_s + stood_still;
  const double window = options_.stable_window_s;
  const std::string heal_name(heal_kind_);
  // The deadline as reasons give it.
  const std::string deadline_text =
      Seconds(options_.liveness_deadline_s) +
      (stood_still > 0 ? " s, plus the " + Seconds(stood_still) +
                             " s every node's clock stood still after it (set back by a clock "
                             "fault's end)"
                       : " s");
  verdict.details = {{"deadline_s", options_.liveness_deadline_s},
                     {"clocks_stood_still_s", stood_still},
                     {"stable_window_s", window},
                     {"nodes", cluster_.nodes()},
                     {"final_heal_i", heal_index_},
                     {"final_heal_t", heal_time_},
                     {"final_heal_kind", heal_name}};
  if (!any_event_) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "empty history";
    return verdict;
  }
  if (cluster_.nodes() == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = ClusterSize::UnknownReason();
    return verdict;
  }
  if (!open_faults_.empty()) {
    const OpenFault& fault = open_faults_.front();
    verdict.valid = Validity::kUnknown;
    verdict.reason = "the " + fault.f + " fault started at i=" + std::to_string(fault.index) +
                     " is still in force at the end of the history";
    return verdict;
  }
  if (exit_) {
    verdict.valid = Validity::kInvalid;
    verdict.details["exit_i"] = exit_->index;
    verdict.reason = exit_->node + " exited by itself" +
                     (exit_->code.is_null() ? "" : " (status " + exit_->code.dump() + ")") + " " +
                     Seconds(exit_->time - heal_time_) + " s after " + heal_name +
                     " (i=" + std::to_string(exit_->index) +
                     "): a node that dies once the faults are over is no live cluster";
    verdict.evidence = {heal_index_, exit_->index};
    return verdict;
  }
  if (stable_) {
    const double took = stable_->time - heal_time_;
    verdict.details["stable_i"] = stable_->index;
    verdict.details["stable_t"] = stable_->time;
    verdict.details["seconds_to_stable"] = took;
    verdict.details["leader"] = nodes_.Name(stable_->leader);
    verdict.details["term"] = stable_->term ? nlohmann::json(*stable_->term) : nlohmann::json();
    verdict.details["following"] = stable_->following;
    if (took <= deadline) {
      verdict.valid = Validity::kValid;
      verdict.reason = "stable leader " + Who(*stable_) + " " + Seconds(took) + " s after " +
                       heal_name + " (i=" + std::to_string(stable_->index) + "), held for the " +
                       Seconds(window) + " s window";
      if (took > options_.liveness_deadline_s) {
        verdict.reason += "; within the deadline of " + deadline_text;
      }
    } else {
      verdict.valid = Validity::kInvalid;
      verdict.reason = "no stable leader until " + Seconds(took) + " s after " + heal_name +
                       " (deadline " + deadline_text + "); then " + Who(*stable_);
      verdict.evidence = {heal_index_, stable_->index};
    }
    return verdict;
  }
  const double span = last_time_ - heal_time_;
  verdict.details["history_after_heal_s"] = span;
  if (candidate_ && candidate_->time - heal_time_ <= deadline) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "history ends " + Seconds(span) + " s after " + heal_name + " while " +
                     Who(*candidate_) + " (since i=" + std::to_string(candidate_->index) +
                     ") had held only " + Seconds(last_time_ - candidate_->time) + " s of the " +
                     Seconds(window) + " s stability window";
  } else if (span < deadline) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "history ends " + Seconds(span) + " s after " + heal_name +
                     ", before the deadline (" + deadline_text + "), with no stable leader";
  } else if (probed_ && observed_.size() < cluster_.majority()) {
    // The probes were the only eyes, and they saw too few nodes to tell.
    verdict.valid = Validity::kUnknown;
    verdict.details["observed_nodes"] = observed_.size();
    verdict.reason = "probes observed only " + std::to_string(observed_.size()) + " of " +
                     std::to_string(cluster_.nodes()) + " nodes within " + Seconds(deadline) +
                     " s of " + heal_name + ", too few to tell whether a majority followed a leader";
  } else {
    verdict.valid = Validity::kInvalid;
    verdict.reason = "no stable leader within " + deadline_text + " of " + heal_name +
                     " (i=" + std::to_string(heal_index_) + "); the history goes on " +
                     Seconds(span) + " s";
    verdict.evidence = {heal_index_, last_index_};
  }
  return verdict;
}

double LivenessChecker::StoodStill() {
  // Only when every node of the cluster is known: one unseen node may have
  // been free to move.
  if (nodes_.size() < cluster_.nodes() || nodes_.size() == 0) return 0;
  double first_move = -1;
  for (NodeTable::Id id = 0; id < nodes_.size(); ++id) {
    const double moves = clocks_.MovesAgainAt(id, heal_time_);
    first_move = first_move < 0 ? moves : std::min(first_move, moves);
  }
  return std::max(0.0, first_move - heal_time_);
}

}  // namespace schism::checkers
