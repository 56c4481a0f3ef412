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

}  // namespace

LivenessChecker::LivenessChecker(const CheckOptions& options)
    : options_(options), cluster_(options.nodes) {}

void LivenessChecker::Observe(const Event& event) {
  if (ended_) return;
  cluster_.Observe(event);
  if (!any_event_) {
    // Until a fault ends, the reference point is the start of the history.
    any_event_ = true;
    heal_time_ = event.time;
    heal_index_ = event.index;
  }
  last_time_ = event.time;
  last_index_ = event.index;

  bool heal = false;
  switch (event.type) {
    case EventType::kRun:
      if (event.f == "start") {
        heal_kind_ = "the run start";
        heal_time_ = event.time;
        heal_index_ = event.index;
      } else if (event.f == "end") {
        ended_ = true;
        return;
      }
      break;
    case EventType::kRole:
      status_.Observe(event);
      break;
    case EventType::kProcess:
      if (event.node.empty()) break;
      status_.Observe(event);
      if (IsProcessDown(event.f)) faults_ = true;
      if (IsProcessUp(event.f)) heal = true;
      break;
    case EventType::kNemesis:
      faults_ = true;
      if (IsNemesisStart(event)) {
        open_faults_.push_back({event.f, event.index});
        stable_.reset();
        break;
      }
      heal = true;
      if (IsFullHeal(event.f)) {
        open_faults_.clear();
      } else {
        for (auto it = open_faults_.rbegin(); it != open_faults_.rend(); ++it) {
          if (it->f != event.f) continue;
          open_faults_.erase(std::next(it).base());
          break;
        }
      }
      break;
    default:
      break;
  }
  if (heal) {
    heal_kind_ = faults_ ? "the final heal" : "the last node start";
    heal_time_ = event.time;
    heal_index_ = event.index;
    stable_.reset();
  }
  if (!stable_ && open_faults_.empty()) LookForStableLeader(event);
}

void LivenessChecker::LookForStableLeader(const Event& event) {
  const std::size_t majority = cluster_.majority();
  if (cluster_.nodes() == 0) return;
  for (NodeTable::Id l = 0; l < status_.size(); ++l) {
    const std::size_t following = status_.Following(l);  // 0 unless l leads
    if (following >= majority) {
      stable_ = Stable{event.time, event.index, l, status_.node(l).term, following};
      return;
    }
  }
}

Verdict LivenessChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  const double deadline = options_.liveness_deadline_s;
  const std::string heal_name(heal_kind_);
  verdict.details = {{"deadline_s", deadline},
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
  if (stable_) {
    const double took = stable_->time - heal_time_;
    verdict.details["stable_i"] = stable_->index;
    verdict.details["stable_t"] = stable_->time;
    verdict.details["seconds_to_stable"] = took;
    verdict.details["leader"] = nodes_.Name(stable_->leader);
    verdict.details["term"] = stable_->term ? nlohmann::json(*stable_->term) : nlohmann::json();
    verdict.details["following"] = stable_->following;
    std::string who = nodes_.Name(stable_->leader) +
                      (stable_->term ? " in term " + std::to_string(*stable_->term) : "") +
                      " with " + std::to_string(stable_->following) + " of " +
                      std::to_string(cluster_.nodes()) + " nodes following";
    if (took <= deadline) {
      verdict.valid = Validity::kValid;
      verdict.reason = "stable leader " + who + " " + Seconds(took) + " s after " + heal_name +
                       " (i=" + std::to_string(stable_->index) + ")";
    } else {
      verdict.valid = Validity::kInvalid;
      verdict.reason = "no stable leader until " + Seconds(took) + " s after " + heal_name +
                       " (deadline " + Seconds(deadline) + " s); then " + who;
      verdict.evidence = {heal_index_, stable_->index};
    }
    return verdict;
  }
  const double span = last_time_ - heal_time_;
  verdict.details["history_after_heal_s"] = span;
  if (span < deadline) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "history ends " + Seconds(span) + " s after " + heal_name +
                     ", before the deadline (" + Seconds(deadline) + " s), with no stable leader";
  } else {
    verdict.valid = Validity::kInvalid;
    verdict.reason = "no stable leader within " + Seconds(deadline) + " s of " + heal_name +
                     " (i=" + std::to_string(heal_index_) + "); the history goes on " +
                     Seconds(span) + " s";
    verdict.evidence = {heal_index_, last_index_};
  }
  return verdict;
}

}  // namespace schism::checkers
