#include "checkers/split_brain.h"

#include <cstdio>
#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {

nlohmann::json WindowsJson(const SplitWindows& windows, const NodeTable& nodes) {
  nlohmann::json list = nlohmann::json::array();
  for (const SplitWindows::Window& w : windows.kept()) {
    nlohmann::json leaders = nlohmann::json::array();
    for (NodeTable::Id id : w.leaders) leaders.push_back(nodes.Name(id));
    list.push_back({{"start_t", w.start},
                    {"end_t", w.end},
                    {"start_i", w.start_index},
                    {"end_i", w.end_index},
                    {"leaders", std::move(leaders)},
                    {"claims_i", w.claims}});
    if (w.shared_term) {
      list.back()["shared_term"] = *w.shared_term;
      list.back()["shared_claims_i"] = w.shared_claims;
    }
  }
  return list;
}

SplitBrainChecker::SplitBrainChecker(const CheckOptions& options)
    : fails_(options.split_brain_fails) {}

void SplitBrainChecker::Observe(const histories::Event& event, const EventContext& context) {
  last_time_ = event.time;
  last_index_ = event.index;
  if (event.type == histories::EventType::kRole) {
    ++role_events_;
    if (event.term) ++termed_roles_;
    if (context.probe_sent) ++observed_roles_;
  }
  if (status_.Observe(event, context)) windows_.Update(status_, event);
}

Verdict SplitBrainChecker::Finish() {
  windows_.Close(last_time_, last_index_);
  const bool termless = role_events_ > 0 && termed_roles_ == 0;
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = {{"termless", termless},
                     {"windows", windows_.count()},
                     {"same_term_windows", windows_.same_term_count()},
                     {"total_s", windows_.total_s()},
                     {"longest_s", windows_.longest_s()},
                     {"reported", WindowsJson(windows_, nodes_)}};
  if (role_events_ == 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "no role events in the history";
    return verdict;
  }
  if (windows_.count() == 0) {
    verdict.valid = Validity::kValid;
    verdict.reason = "never two live leaders at once";
    return verdict;
  }
  const std::string summary = std::to_string(windows_.count()) + " window(s) with two or more " +
                              "live leaders, " + Seconds(windows_.total_s()) + " s in all";
  if (windows_.same_term_count() > 0) {
    verdict.valid = Validity::kInvalid;
    verdict.reason = std::to_string(windows_.same_term_count()) + " of " + summary +
                     ", with two leaders of the same term";
    for (const SplitWindows::Window& x : windows_.kept()) {
      if (!x.shared_term) continue;
      if (verdict.evidence.empty()) {
        verdict.reason +=
            "; first at " + Seconds(x.start) + " s: " + nodes_.Name(x.shared_leaders[0]) +
            " (i=" + std::to_string(x.shared_claims[0]) + ") and " +
            nodes_.Name(x.shared_leaders[1]) + " (i=" + std::to_string(x.shared_claims[1]) +
            ") both leading term " + std::to_string(*x.shared_term) + " (see election-safety)";
      }
      verdict.evidence.insert(verdict.evidence.end(), x.shared_claims.begin(),
                              x.shared_claims.end());
    }
  } else if (termless && fails_ && observed_roles_ > 0) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = summary + ", as probes saw them; probes sample each node at some instant " +
                     "between sending and answer, which cannot prove two leaders at one instant";
  } else if (termless && fails_) {
    const SplitWindows::Window& w = windows_.kept().front();
    verdict.valid = Validity::kInvalid;
    std::string who;
    for (std::size_t k = 0; k < w.leaders.size(); ++k) {
      who += (k == 0 ? "" : (k + 1 == w.leaders.size() ? " and " : ", ")) +
             nodes_.Name(w.leaders[k]) + " (i=" + std::to_string(w.claims[k]) + ")";
    }
    verdict.reason = summary + "; first at " + Seconds(w.start) + " s: " + who;
    for (const SplitWindows::Window& x : windows_.kept()) {
      verdict.evidence.insert(verdict.evidence.end(), x.claims.begin(), x.claims.end());
    }
  } else {
    verdict.valid = Validity::kValid;
    verdict.reason = summary + (termless ? " (not failing: split_brain_fails is off)"
                                         : " (each between leaders of different terms: an old "
                                           "leader not yet told of the new term)");
  }
  return verdict;
}

}  // namespace schism::checkers
