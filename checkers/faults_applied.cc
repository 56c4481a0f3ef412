#include "checkers/faults_applied.h"

#include <algorithm>

#include "checkers/fault_proof.h"
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

// "partition 5, kill 3"
std::string PerFault(const std::map<std::string, std::uint64_t>& counts) {
  std::string out;
  for (const auto& [fault, n] : counts) {
    out += (out.empty() ? "" : ", ") + fault + " " + std::to_string(n);
  }
  return out;
}

std::string StringField(const nlohmann::json& detail, const char* key) {
  const auto it = detail.find(key);
  return it != detail.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

void FaultsAppliedChecker::Observe(const histories::Event& event, const EventContext& /*context*/) {
  if (event.type == histories::EventType::kRun && event.f == "start") {
    proofs_expected_ = event.detail.is_object() && event.detail.contains("fault_proofs");
    return;
  }
  if (event.type != histories::EventType::kNemesis || !event.detail.is_object()) return;
  const std::string skipped = StringField(event.detail, "skipped");
  if (!skipped.empty()) {
    ++skipped_[event.f + ": " + skipped];
    return;
  }
  const std::string unsupported = StringField(event.detail, "unsupported");
  if (!unsupported.empty()) {
    ++unsupported_[event.f];
    const std::string reason = event.f + ": " + unsupported;
    if (reasons_.size() < kMaxReported &&
        std::find(reasons_.begin(), reasons_.end(), reason) == reasons_.end()) {
      reasons_.push_back(reason);
    }
    if (evidence_.size() < kMaxReported) evidence_.push_back(event.index);
    return;
  }
  if (IsProof(event)) {
    ObserveProof(event);
    return;
  }
  if (StringField(event.detail, "phase") != "start") return;
  ++applied_[event.f];
  awaiting_[event.index] = {event.f, event.node, event.time};
}

void FaultsAppliedChecker::ObserveProof(const histories::Event& event) {
  const auto of = event.detail.find("of");
  if (of == event.detail.end() || !of->is_number_unsigned()) return;
  const auto start = awaiting_.find(of->get<std::uint64_t>());
  if (start == awaiting_.end()) return;  // a proof of nothing this checker counted
  if (IsUnprovenProof(event)) {
    NotProven(start->first, start->second, StringField(event.detail, "why"));
  } else {
    ++proven_[start->second.fault];
    proven_by_.emplace(start->second.fault, StringField(event.detail, "by"));
    if (start->second.fault == "partition" && event.detail.contains("probe")) ++proven_by_probe_;
  }
  awaiting_.erase(start);
}

void FaultsAppliedChecker::NotProven(std::uint64_t index, const Start& start,
                                     const std::string& why) {
  ++not_proven_;
  if (not_proven_reasons_.size() >= kMaxReported) return;
  // The judges' own words often start with the fault ("partition at 12.3 s ...").
  std::string reason = why;
  if (why.rfind(start.fault, 0) != 0) {
    reason = start.fault + (start.node.empty() ? "" : " on " + start.node) + " at " +
             Seconds(start.time) + " s: " + (why.empty() ? "no reason given" : why);
  }
  not_proven_reasons_.push_back(reason);
  evidence_.push_back(index);
}

Verdict FaultsAppliedChecker::Finish() {
  Verdict v;
  v.checker = std::string(kName);
  if (proofs_expected_) {
    for (const auto& [index, start] : awaiting_) {
      NotProven(index, start, "no proof was recorded (the run ended before it could be checked)");
    }
    awaiting_.clear();
  }
  const std::uint64_t applied = Sum(applied_);
  const std::uint64_t proven = Sum(proven_);
  v.details = {{"applied", applied_},     {"unsupported", unsupported_}, {"skipped", skipped_},
               {"proven", proven_},       {"proven_by", proven_by_},     {"not_proven", not_proven_},
               {"proofs", proofs_expected_}, {"partitions_proven_by_probe", proven_by_probe_}};
  const std::string skipped_text =
      Sum(skipped_) == 0 ? "" : "; " + std::to_string(Sum(skipped_)) + " skipped: " + Listed(skipped_);
  const std::string proof_text =
      !proofs_expected_ ? std::to_string(applied) + " fault(s) applied (this history records no "
                                                    "proof that they took effect)"
                        : std::to_string(proven) + " of " + std::to_string(applied) +
                              " faults proven" + (proven ? " (" + PerFault(proven_) + ")" : "");
  v.evidence = evidence_;
  if (!unsupported_.empty()) {
    v.valid = Validity::kUnknown;
    v.reason = std::to_string(Sum(unsupported_)) +
               " fault(s) could not be applied to this elector, "
               "so the run proves nothing about them: ";
    for (std::size_t i = 0; i < reasons_.size(); ++i) v.reason += (i ? "; " : "") + reasons_[i];
    v.reason += "; " + proof_text + skipped_text;
    return v;
  }
  if (applied == 0 && Sum(skipped_) > 0) {
    v.valid = Validity::kUnknown;
    v.reason = "no fault was applied, so the run tested none" + skipped_text;
    return v;
  }
  if (not_proven_ > 0) {
    v.valid = Validity::kUnknown;
    v.reason = proof_text + "; not proven: ";
    for (std::size_t i = 0; i < not_proven_reasons_.size(); ++i) {
      v.reason += (i ? "; " : "") + not_proven_reasons_[i];
    }
    if (not_proven_ > not_proven_reasons_.size()) v.reason += "; ...";
    v.reason += skipped_text;
    return v;
  }
  const auto partitions = proven_.find("partition");
  if (partitions != proven_.end() && proven_by_probe_ == partitions->second) {
    v.valid = Validity::kUnknown;
    v.reason = proof_text + ", but the nodes sent no frame across the bridge while any of the " +
               std::to_string(proven_by_probe_) +
               " partition(s) held (each was proven only by a frame the harness sent): does "
               "this elector talk over the network?" +
               skipped_text;
    return v;
  }
  v.valid = Validity::kValid;
  v.reason = proof_text + skipped_text;
  return v;
}

}  // namespace schism::checkers
