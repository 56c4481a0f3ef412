#include "checkers/contract_watch.h"

#include "checkers/node_status.h"
#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

// A line the node printed itself (a probe's observation is none: it comes
// when the probe answers, whatever the node's stdout does).
bool IsContractLine(const histories::Event& event) {
  if (ProbeSent(event)) return false;
  return event.type == histories::EventType::kRole || event.type == histories::EventType::kVote ||
         event.type == histories::EventType::kLease;
}

// The string field `key` of `object`, or "" when it is missing or no string
// (a hand-edited history must not make the check throw).
std::string Text(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

}  // namespace

void ContractWatch::Observe(const histories::Event& event) {
  using histories::EventType;
  if (event.type == EventType::kRun) {
    if (event.f == "stopping") stopping_ = event.time;
    if (event.f == "end") {
      for (NodeTable::Id id = 0; id < processes_.size(); ++id) Ended(id, event.time);
      if (event.detail.is_object() && event.detail.contains("ignored_lines") &&
          event.detail["ignored_lines"].is_object()) {
        for (const auto& [node, ignored] : event.detail["ignored_lines"].items()) {
          if (!ignored.is_object()) continue;
          warnings_.push_back(node + ": " + ignored.value("count", nlohmann::json(0)).dump() +
                              " contract line(s) ignored (first: " + Text(ignored, "first") +
                              ": " + Text(ignored, "reason") + "); see nodes/" + node + ".log");
        }
      }
      if (event.detail.is_object() && event.detail.contains("unkept_log") &&
          event.detail["unkept_log"].is_object()) {
        for (const auto& [node, unkept] : event.detail["unkept_log"].items()) {
          if (!unkept.is_object()) continue;
          warnings_.push_back(node + ": " + unkept.value("lines", nlohmann::json(0)).dump() +
                              " lines of stdout (" + unkept.value("bytes", nlohmann::json(0)).dump() +
                              " bytes) not kept: nodes/" + node + ".log was full");
        }
      }
    }
    return;
  }
  if (event.node.empty()) return;
  const NodeTable::Id id = nodes_.Intern(event.node);
  if (id >= processes_.size()) {
    processes_.resize(id + 1);
    late_.resize(id + 1);
    warned_burst_.resize(id + 1, false);
  }
  Process& p = processes_[id];
  if (event.type == EventType::kProcess) {
    if (event.f == "start") {
      Ended(id, event.time);
      p = Process{event.time, std::nullopt, 0, 0, 0};
    } else if (event.f == "exit" || event.f == "stop" || event.f == "kill") {
      Ended(id, event.time);
      p = Process{event.time, std::nullopt, 0, 0, 0};
    }
    return;
  }
  if (!IsContractLine(event)) return;
  if (!p.first_line) {
    p.first_line = event.time;
    const double late = event.time - p.start;
    if (late > kLateFirstLine && late_[id].empty()) {
      late_[id] = (event.node + " printed its first contract line " + Seconds(late) +
                   " s after it started (i=" + std::to_string(event.index) +
                   "): if it decided earlier, its stdout is buffered; flush after every "
                   "line (docs/contract.md)");
    }
  }
  p.burst = event.time - p.last_line <= kBurst && p.lines > 0 ? p.burst + 1 : 1;
  p.last_line = event.time;
  ++p.lines;
}

void ContractWatch::Ended(NodeTable::Id id, double time) {
  Process& p = processes_[id];
  if (warned_burst_[id] || p.lines < 2 || !p.first_line) return;
  const bool at_exit = time - p.last_line <= kBurst || (stopping_ && *p.first_line >= *stopping_);
  const bool silent_before = *p.first_line - p.start > kLateFirstLine;
  if (!at_exit || !silent_before || p.burst < 2) return;
  warned_burst_[id] = true;
  warnings_.push_back(
      nodes_.Name(id) + ": " + std::to_string(p.burst) + " of " + std::to_string(p.lines) +
      " contract lines arrived only as it exited, after " + Seconds(*p.first_line - p.start) +
      " s of silence: its stdout is buffered, so schism stamped them late; "
      "flush after every line (docs/contract.md)");
}

std::vector<std::string> ContractWatch::Warnings() const {
  std::vector<std::string> out = warnings_;
  for (NodeTable::Id id = 0; id < late_.size(); ++id) {
    if (!late_[id].empty() && !warned_burst_[id]) out.push_back(late_[id]);
  }
  return out;
}

}  // namespace schism::checkers
