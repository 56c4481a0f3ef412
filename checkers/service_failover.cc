#include "checkers/service_failover.h"

#include <string>

#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

constexpr const char* kCauseNames[] = {"killed", "paused", "isolated"};

nlohmann::json FiguresJson(const Samples& s, bool p95) {
  nlohmann::json figures = {{"count", s.count()}, {"max", s.max()}, {"mean", s.mean()}};
  if (s.count() > 1) {
    figures["p50"] = s.Percentile(0.50);
    if (p95) figures["p95"] = s.Percentile(0.95);
  }
  return figures;
}

}  // namespace

ServiceFailoverChecker::ServiceFailoverChecker(const CheckOptions& options)
    : cluster_(options.nodes) {}

std::size_t ServiceFailoverChecker::Majority() const {
  const std::size_t n = cluster_.nodes() > 0 ? cluster_.nodes() : clients_.size();
  return n / 2 + 1;
}

void ServiceFailoverChecker::Observe(const histories::Event& event, const EventContext& context) {
  cluster_.Observe(event);
  if (!any_event_) {
    any_event_ = true;
    first_time_ = event.time;
  }
  if (ended_) return;
  if (EndsJudgedRun(event)) {
    ended_ = true;
    return;
  }
  if (event.type == histories::EventType::kRun && event.f == "start") ObserveStart(event);
  const bool roles = status_.Observe(event, context);
  const bool network = !roles && network_.Observe(event);
  if (event.type == histories::EventType::kRole) ObserveReport(event, context);
  if (roles || network) TrackLoss(event);
}

void ServiceFailoverChecker::ObserveStart(const histories::Event& event) {
  if (!event.detail.is_object()) return;
  auto it = event.detail.find("nodes");
  if (it == event.detail.end() || !it->is_array()) return;
  clients_.clear();
  for (const nlohmann::json& name : *it) {
    if (name.is_string()) clients_.push_back(nodes_.Intern(name.get<std::string>()));
  }
}

void ServiceFailoverChecker::ObserveReport(const histories::Event& event,
                                           const EventContext& context) {
  if (!event.detail.is_object()) return;
  auto it = event.detail.find("primary");
  if (it == event.detail.end() || !it->is_string()) return;
  const NodeTable::Id client = nodes_.Intern(event.node, context.node);
  const NodeTable::Id member = nodes_.Intern(it->get<std::string>());
  if (named_.size() <= client) named_.resize(client + 1, kNone);
  named_[client] = member;
  if (member == primary_) return;

  std::size_t naming = 0;
  for (NodeTable::Id other : named_) naming += other == member ? 1 : 0;
  if (naming < Majority()) return;

  if (primary_ == kNone) {
    first_primary_s_ = event.time - first_time_;
  } else if (loss_cause_ >= 0 && (lost_ || event.time - loss_ended_ <= kLateS)) {
    failovers_.Add(event.time - loss_since_);
    by_cause_[loss_cause_].Add(event.time - loss_since_);
  } else {
    ++unprompted_;
  }
  primary_ = member;
  primaries_.push_back(member);
  loss_cause_ = -1;
  lost_ = false;
  TrackLoss(event);  // The new primary may be gone already.
}

int ServiceFailoverChecker::LossOf(NodeTable::Id member) const {
  const NodeStatus::Node& state = status_.node(member);
  if (!state.up) return state.paused ? kPaused : kKilled;
  std::size_t heard = 0;
  for (NodeTable::Id client : clients_) {
    if (!network_.Deaf(member, client) && !network_.Deaf(client, member)) ++heard;
  }
  return heard < Majority() ? kIsolated : -1;
}

void ServiceFailoverChecker::TrackLoss(const histories::Event& event) {
  if (primary_ == kNone) return;
  const int cause = LossOf(primary_);
  if (cause >= 0 && !lost_) {
    lost_ = true;
    loss_cause_ = cause;
    loss_since_ = event.time;
    ++losses_[cause];
  } else if (cause < 0 && lost_) {
    lost_ = false;
    loss_ended_ = event.time;
  }
}

nlohmann::json ServiceFailoverChecker::Details() const {
  nlohmann::json primaries = nlohmann::json::array();
  for (NodeTable::Id member : primaries_) primaries.push_back(nodes_.Name(member));
  nlohmann::json losses = nlohmann::json::object();
  nlohmann::json by_cause = nlohmann::json::object();
  for (std::size_t cause = 0; cause < kLossKinds; ++cause) {
    losses[kCauseNames[cause]] = losses_[cause];
    if (by_cause_[cause].count() > 0) by_cause[kCauseNames[cause]] = FiguresJson(by_cause_[cause], false);
  }
  nlohmann::json details = {{"primaries", primaries},
                            {"failover_s", FiguresJson(failovers_, true)},
                            {"failover_by_cause", by_cause},
                            {"losses", losses},
                            {"unprompted", unprompted_},
                            {"pending", lost_ ? 1 : 0}};
  if (first_primary_s_ >= 0) details["first_primary_s"] = first_primary_s_;
  return details;
}

Verdict ServiceFailoverChecker::Finish() {
  Verdict verdict;
  verdict.checker = std::string(kName);
  verdict.details = Details();
  if (!any_event_) {
    verdict.valid = Validity::kUnknown;
    verdict.reason = "empty history";
    return verdict;
  }
  verdict.valid = Validity::kValid;
  if (primaries_.empty()) {
    verdict.reason = "no majority of the clients named a primary (role lines with \"primary\")";
    return verdict;
  }
  std::string reason = std::to_string(failovers_.count()) + " failover(s)";
  if (failovers_.count() > 1) reason += ", p50 " + Seconds(failovers_.Percentile(0.50)) + " s";
  if (failovers_.count() > 0) reason += " max " + Seconds(failovers_.max()) + " s";
  std::uint64_t losses = 0;
  for (std::uint64_t n : losses_) losses += n;
  reason += "; primary lost " + std::to_string(losses) + " time(s); primaries";
  for (NodeTable::Id member : primaries_) reason += " " + nodes_.Name(member);
  if (unprompted_ > 0) reason += "; " + std::to_string(unprompted_) + " unprompted";
  if (lost_) reason += "; lost at the end with no failover yet";
  verdict.reason = std::move(reason);
  return verdict;
}

}  // namespace schism::checkers
