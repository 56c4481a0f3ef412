#include "checkers/faults_applied.h"

#include <algorithm>

#include "checkers/reporting.h"

namespace schism::checkers {

FaultsAppliedChecker::FaultsAppliedChecker(const CheckOptions&) {}

void FaultsAppliedChecker::Observe(const histories::Event& event) {
  if (event.type != histories::EventType::kNemesis || !event.detail.is_object()) return;
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
  v.details = {{"applied", applied_}, {"unsupported", unsupported_}};
  if (unsupported_.empty()) {
    v.valid = Validity::kValid;
    std::uint64_t total = 0;
    for (const auto& [f, n] : applied_) total += n;
    v.reason = "every fault took effect (" + std::to_string(total) + " started)";
    return v;
  }
  std::uint64_t missed = 0;
  for (const auto& [f, n] : unsupported_) missed += n;
  v.valid = Validity::kUnknown;
  v.reason = std::to_string(missed) + " fault(s) could not be applied to this elector, so the run "
             "proves nothing about them: ";
  for (std::size_t i = 0; i < reasons_.size(); ++i) v.reason += (i ? "; " : "") + reasons_[i];
  v.evidence = evidence_;
  return v;
}

}  // namespace schism::checkers
