#include "harness/run_status.h"

#include <cstdio>

namespace schism::harness {

using histories::EventType;

void RunStatus::Observe(const histories::Event& event) {
  ++events_;
  status_.Observe(event);
  if (event.type == EventType::kNemesis) ObserveNemesis(event);
  if (event.type == EventType::kRole && event.role == histories::Role::kLeader && event.term) {
    auto [it, fresh] = leader_of_term_.emplace(*event.term, event.node);
    if (!fresh && it->second != event.node) ++violations_;
    while (leader_of_term_.size() > kTermsKept) leader_of_term_.erase(leader_of_term_.begin());
  }
  if (event.type == EventType::kVote && event.term) {
    auto [it, fresh] = votes_.emplace(std::pair{*event.term, event.node}, event.vote_for);
    if (!fresh && it->second != event.vote_for) ++violations_;
    while (votes_.size() > kTermsKept * 8) votes_.erase(votes_.begin());
  }
}

void RunStatus::ObserveNemesis(const histories::Event& event) {
  if (event.f == "final-heal" || event.f == "heal") {
    faults_.clear();
    return;
  }
  const std::string phase =
      event.detail.is_object() ? event.detail.value("phase", std::string()) : std::string();
  const std::string fault = event.node.empty() ? event.f : event.f + " " + event.node;
  if (phase == "start") faults_.insert(fault);
  if (phase == "end") faults_.erase(fault);
}

std::string RunStatus::Line(double elapsed_s, double total_s) const {
  char time[64];
  std::snprintf(time, sizeof time, "%.1f/%.0f s", elapsed_s, total_s);
  std::string line = time;
  checkers::NodeTable::Id leader = checkers::NodeStatus::kNoNode;
  for (checkers::NodeTable::Id id = 0; id < nodes_.size(); ++id) {
    if (!status_.Leads(id)) continue;
    if (leader == checkers::NodeStatus::kNoNode ||
        status_.node(id).term.value_or(0) > status_.node(leader).term.value_or(0)) {
      leader = id;
    }
  }
  if (leader == checkers::NodeStatus::kNoNode) {
    line += " | no leader";
  } else {
    line += " | leader " + nodes_.Name(leader);
    if (status_.node(leader).term) line += " (term " + std::to_string(*status_.node(leader).term) + ")";
  }
  line += " | faults: ";
  if (faults_.empty()) line += "none";
  bool first = true;
  for (const std::string& fault : faults_) {
    line += (first ? "" : ", ") + fault;
    first = false;
  }
  line += " | " + std::to_string(events_) + " events | " + std::to_string(violations_) +
          " violation(s) so far";
  return line;
}

void StatusLineBuf::ShowStatus(const std::string& line) {
  const std::string text = "\r" + line + "\x1b[K";
  target_->sputn(text.data(), static_cast<std::streamsize>(text.size()));
  target_->pubsync();
  shown_ = true;
}

void StatusLineBuf::Finish() {
  if (!shown_) return;
  target_->sputc('\n');
  target_->pubsync();
  shown_ = false;
}

void StatusLineBuf::Wipe() {
  if (!shown_) return;
  static constexpr char kWipe[] = "\r\x1b[K";
  target_->sputn(kWipe, sizeof kWipe - 1);
  shown_ = false;
}

int StatusLineBuf::overflow(int c) {
  if (c == traits_type::eof()) return traits_type::not_eof(c);
  Wipe();
  return target_->sputc(static_cast<char>(c));
}

std::streamsize StatusLineBuf::xsputn(const char* s, std::streamsize n) {
  Wipe();
  return target_->sputn(s, n);
}

}  // namespace schism::harness
