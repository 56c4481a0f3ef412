#include "checkers/faults_applied.h"

#include <algorithm>

#include "checkers/reporting.h"

namespace schism::checkers {

FaultsAppliedChecker::FaultsAppliedChecker(const CheckOptions&) {}

namespace {

std::uint64_t Sum(const std::map<std::string, std::uint64_t>& counts) {
  std::uint64_t total = 0;
  for (const auto& [what, n] : counts) total += n;
  return total;
}

// "kill: no live node (x4); pause: n2 is not running"
std::string Listed(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  std::size_t shown = 0;
  for (const auto& [what, n] : counts) {
    if (shown++ == kMaxReported) {
      out += "; ...";
      break;
    }
    out += (out.empty() ? "" : "; ") + what + (n > 1 ? " (x" + std::to_string(n) + ")" : "");
  }
  return out;
}

}  // namespace

void FaultsAppliedChecker::Observe(const histories::Event& event) {
  if (event.type != histories::EventType::kNemesis || !event.detail.is_object()) return;
  const auto skipped = event.detail.find("skipped");
  if (skipped != event.detail.end() && skipped->is_string()) {
    ++skipped_[event.f + ": " + skipped->get<std::string>()];
    return;
  }
  const auto unsupported = event.detail.find("unsupported");
  if (unsupported != event.detail.end() && unsupported->is_string()) {
    ++unsupported_[event.f];
    const std::string reason = event.f + ": " + unsupported->get<std::string>();
    if (reasons_.size() < kMaxReported &&
        std::find(reasons_.begin(), reasons_.end(), reason) == reasons_.end()) {
      reasons_.push_back(reason);
    }
    if (evidence_.size() < kMaxReported) evidence_.push_back(event.index);
    return;
  }
  if (event.detail.value("phase", "") == "start") ++applied_[event.f];
}

Verdict FaultsAppliedChecker::Finish() {
  Verdict v;
  v.checker = std::string(kName);
  v.details = {{"applied", applied_}, {"unsupported", unsupported_}, {"skipped", skipped_}};
  const std::uint64_t applied = Sum(applied_);
  const std::uint64_t skipped = Sum(skipped_);
  const std::string skipped_text =
      skipped == 0 ? "" : "; " + std::to_string(skipped) + " skipped: " + Listed(skipped_);
  if (unsupported_.empty() && (applied > 0 || skipped == 0)) {
    v.valid = Validity::kValid;
    v.reason = std::to_string(applied) + " fault(s) applied, none unsupported" + skipped_text;
    return v;
  }
  v.valid = Validity::kUnknown;
  if (unsupported_.empty()) {
    v.reason = "no fault was applied, so the run tested none" + skipped_text;
    return v;
  }
  v.reason = std::to_string(Sum(unsupported_)) +
             " fault(s) could not be applied to this elector, "
             "so the run proves nothing about them: ";
  for (std::size_t i = 0; i < reasons_.size(); ++i) v.reason += (i ? "; " : "") + reasons_[i];
  v.reason += skipped_text;
  v.evidence = evidence_;
  return v;
}

}  // namespace schism::checkers
