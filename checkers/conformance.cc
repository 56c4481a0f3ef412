#include "checkers/conformance.h"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

using histories::Event;
using histories::EventType;
using histories::Role;

ConformItem Item(std::string name, std::string title) {
  ConformItem item;
  item.name = std::move(name);
  item.title = std::move(title);
  return item;
}

bool IsContract(const Event& e) {
  return e.type == EventType::kRole || e.type == EventType::kVote || e.type == EventType::kLease;
}

bool IsProcess(const Event& e, std::string_view f) {
  return e.type == EventType::kProcess && e.f == f;
}

bool IsFaultStart(const Event& e, std::string_view f) {
  return e.type == EventType::kNemesis && e.f == f && e.detail.is_object() &&
         e.detail.value("phase", "") == "start";
}

std::string Target(const Event& e) { return e.detail.value("target", ""); }

const Verdict* Find(const std::vector<Verdict>& verdicts, std::string_view name) {
  for (const Verdict& v : verdicts) {
    if (v.checker == name) return &v;
  }
  return nullptr;
}

// The run's first start of each node, in history order: the cluster's start.
std::map<std::string, const Event*> FirstStarts(const std::vector<Event>& history) {
  std::map<std::string, const Event*> starts;
  for (const Event& e : history) {
    if (IsProcess(e, "start")) starts.emplace(e.node, &e);
  }
  return starts;
}

ConformItem Starts(const std::vector<Event>& history, const ConformLimits& limits) {
  ConformItem item = Item("starts", "every node starts and prints a contract line within " +
                                        Seconds(limits.first_line_s) + " s");
  const auto starts = FirstStarts(history);
  std::map<std::string, const Event*> first_line;
  for (const Event& e : history) {
    if (IsContract(e)) first_line.emplace(e.node, &e);
  }
  double slowest = 0;
  std::string late;
  for (const auto& [node, start] : starts) {
    const auto line = first_line.find(node);
    const double took = line == first_line.end() ? -1 : line->second->time - start->time;
    if (took < 0 || took > limits.first_line_s) {
      late += (late.empty() ? "" : ", ") + node +
              (took < 0 ? " (never)" : " (after " + Seconds(took) + " s)");
      item.evidence.push_back(start->index);
    } else {
      slowest = std::max(slowest, took);
    }
  }
  if (starts.empty()) {
    item.detail = "no node was started";
  } else if (late.empty()) {
    item.status = ItemStatus::kPass;
    item.detail = std::to_string(starts.size()) + " nodes; the slowest spoke after " +
                  Seconds(slowest) + " s";
  } else {
    item.status = ItemStatus::kFail;
    item.detail = "no contract line in time from " + late;
  }
  return item;
}

ConformItem Lines(const std::vector<Event>& history) {
  ConformItem item = Item("lines", "every line that looks like a contract line is one");
  for (const Event& e : history) {
    if (e.type != EventType::kRun || e.f != "end") continue;
    item.status = ItemStatus::kPass;
    item.detail = "no line ignored";
    const nlohmann::json ignored = e.detail.is_object()
                                       ? e.detail.value("ignored_lines", nlohmann::json::object())
                                       : nlohmann::json::object();
    if (ignored.empty()) return item;
    item.status = ItemStatus::kFail;
    item.evidence.push_back(e.index);
    item.detail.clear();
    for (const auto& [node, what] : ignored.items()) {
      item.detail += (item.detail.empty() ? "" : "; ") + node + ": " +
                     std::to_string(what.value("count", 0)) + " ignored, the first " +
                     what.value("first", "") + " (" + what.value("reason", "") + ")";
    }
    return item;
  }
  item.detail = "the history has no run/end event (the run did not end)";
  return item;
}

ConformItem Leader(const std::vector<Event>& history, const ConformLimits& limits) {
  ConformItem item = Item(
      "leader", "a leader appears within " + Seconds(limits.leader_s) + " s of the last start");
  const auto starts = FirstStarts(history);
  double last_start = 0;
  for (const auto& [node, start] : starts) last_start = std::max(last_start, start->time);
  for (const Event& e : history) {
    if (e.type != EventType::kRole || e.role != Role::kLeader) continue;
    const double took = std::max(0.0, e.time - last_start);
    item.status = took <= limits.leader_s ? ItemStatus::kPass : ItemStatus::kFail;
    item.detail = e.node + " leads after " + Seconds(took) + " s";
    if (item.status == ItemStatus::kFail) item.evidence.push_back(e.index);
    return item;
  }
  item.status = ItemStatus::kFail;
  item.detail = "no node ever said it leads";
  return item;
}

ConformItem Failover(const std::vector<Event>& history, const ConformLimits& limits) {
  ConformItem item =
      Item("failover", "a killed leader is replaced within " + Seconds(limits.failover_s) + " s");
  const Event* kill = nullptr;
  for (const Event& e : history) {
    if (IsFaultStart(e, "kill") && Target(e) == "leader") {
      kill = &e;
      break;
    }
  }
  if (!kill) {
    item.detail = "the leader was never killed";
    return item;
  }
  if (kill->detail.contains("fallback")) {
    item.detail = "no node led when the leader was to be killed (" + kill->node + " was killed)";
    return item;
  }
  for (const Event& e : history) {
    if (e.index <= kill->index || e.type != EventType::kRole || e.role != Role::kLeader ||
        e.node == kill->node) {
      continue;
    }
    const double took = e.time - kill->time;
    item.status = took <= limits.failover_s ? ItemStatus::kPass : ItemStatus::kFail;
    item.detail = kill->node + " killed; " + e.node + " leads after " + Seconds(took) + " s";
    if (item.status == ItemStatus::kFail) item.evidence = {kill->index, e.index};
    return item;
  }
  item.status = ItemStatus::kFail;
  item.detail = kill->node + " killed; no other node led after it";
  item.evidence = {kill->index};
  return item;
}

ConformItem VoteMemory(const std::vector<Event>& history, const std::vector<Verdict>& verdicts) {
  ConformItem item =
      Item("vote-memory", "a restarted node remembers its vote (never votes twice in a term)");
  const auto votes = std::count_if(history.begin(), history.end(),
                                   [](const Event& e) { return e.type == EventType::kVote; });
  if (votes == 0) {
    item.status = ItemStatus::kNotApplicable;
    item.detail = "the elector prints no vote lines";
    return item;
  }
  const Verdict* once = Find(verdicts, "vote-once");
  if (once && once->valid == Validity::kInvalid) {
    item.status = ItemStatus::kFail;
    item.detail = once->reason;
    item.evidence = once->evidence;
    return item;
  }
  std::set<std::string> voters;  // killed just after a vote, and started again
  for (std::size_t a = 0; a < history.size(); ++a) {
    const Event& kill = history[a];
    if (!IsFaultStart(kill, "kill") || Target(kill) != "voter") continue;
    for (std::size_t b = a + 1; b < history.size(); ++b) {
      if (IsProcess(history[b], "start") && history[b].node == kill.node) {
        voters.insert(kill.node);
        break;
      }
    }
  }
  if (!once || once->valid != Validity::kValid) {
    item.detail = once ? "vote-once: " + once->reason : "vote-once did not run";
    return item;
  }
  if (voters.empty()) {
    item.detail = "no voter was killed and restarted just after a vote (" + std::to_string(votes) +
                  " vote lines): not exercised";
    return item;
  }
  item.status = ItemStatus::kPass;
  std::string names;
  for (const std::string& v : voters) names += (names.empty() ? "" : ", ") + v;
  item.detail = "killed just after a vote and restarted: " + names + "; " + once->reason;
  return item;
}

// An item that is a checker's verdict: valid passes, invalid fails.
ConformItem FromVerdict(std::string name, std::string title, const Verdict* verdict) {
  ConformItem item = Item(std::move(name), std::move(title));
  if (!verdict) {
    item.detail = "the checker did not run";
    return item;
  }
  item.detail = verdict->reason;
  if (verdict->valid == Validity::kValid) item.status = ItemStatus::kPass;
  if (verdict->valid == Validity::kInvalid) {
    item.status = ItemStatus::kFail;
    item.evidence = verdict->evidence;
  }
  return item;
}

ConformItem Terms(const std::vector<Event>& history, const std::vector<Verdict>& verdicts) {
  const bool termed = std::any_of(history.begin(), history.end(),
                                  [](const Event& e) { return IsContract(e) && e.term; });
  if (!termed) {
    ConformItem item = Item("terms", "terms never go backwards");
    item.status = ItemStatus::kNotApplicable;
    item.detail = "the elector prints no terms";
    return item;
  }
  return FromVerdict("terms", "terms never go backwards", Find(verdicts, "term-monotonic"));
}

ConformItem Sigterm(const std::vector<Event>& history) {
  ConformItem item = Item("sigterm", "a node exits on SIGTERM");
  for (std::size_t a = 0; a < history.size(); ++a) {
    const Event& term = history[a];
    if (!IsFaultStart(term, "term")) continue;
    for (std::size_t b = a + 1; b < history.size(); ++b) {
      const Event& e = history[b];
      if (e.node != term.node || e.type != EventType::kProcess) continue;
      if (e.f == "exit" && e.detail.value("after", "") == "term") {
        item.status = ItemStatus::kPass;
        item.detail = term.node + " exited " + Seconds(e.time - term.time) +
                      " s after SIGTERM (status " + std::to_string(e.detail.value("code", -1)) + ")";
        return item;
      }
      if (e.f == "kill") {
        item.status = ItemStatus::kFail;
        item.detail = term.node + " did not exit within " +
                      Seconds(term.detail.value("grace", 0.0)) + " s of SIGTERM and was killed";
        item.evidence = {term.index, e.index};
        return item;
      }
    }
    item.detail = term.node + " was sent SIGTERM, and the run ended before it exited or was killed";
    return item;
  }
  item.detail = "no node was sent SIGTERM (none was running?)";
  return item;
}

ConformItem OwnAddress(const std::vector<Event>& history) {
  ConformItem item = Item("own-address", "every socket is bound to the node's own address");
  std::size_t nodes = 0;
  std::string foreign, unread, example;
  for (const Event& e : history) {
    if (!IsProcess(e, "sockets") || !e.detail.is_object()) continue;
    ++nodes;
    if (e.detail.contains("why")) {
      unread += (unread.empty() ? "" : "; ") + e.node + ": " + e.detail.value("why", "");
      continue;
    }
    for (const auto& s : e.detail.value("foreign", nlohmann::json::array())) {
      foreign += (foreign.empty() ? "" : ", ") + e.node + " " + s.get<std::string>();
      if (item.evidence.empty() || item.evidence.back() != e.index)
        item.evidence.push_back(e.index);
    }
    const nlohmann::json bound = e.detail.value("bound", nlohmann::json::array());
    if (example.empty() && !bound.empty()) example = e.node + ": " + bound.dump();
  }
  if (!foreign.empty()) {
    item.status = ItemStatus::kFail;
    item.detail = "bound beyond its own address: " + foreign;
  } else if (!unread.empty()) {
    item.detail = "sockets not read: " + unread;
  } else if (nodes == 0) {
    item.detail = "no node was running when the sockets were read";
  } else {
    item.status = ItemStatus::kPass;
    item.detail = std::to_string(nodes) + " nodes read" +
                  (example.empty() ? ", none bound a socket" : "; " + example);
  }
  return item;
}

ConformItem Safety(const std::vector<Verdict>& verdicts) {
  ConformItem item = Item("safety", "the run's safety checkers find nothing");
  const char* names[] = {"election-safety",  "quorum", "agreement", "split-brain",
                         "partition-quorum", "lease",  "fencing"};
  std::string invalid, unknown;
  std::size_t ran = 0;
  for (const char* name : names) {
    const Verdict* v = Find(verdicts, name);
    if (!v) continue;
    ++ran;
    if (v->valid == Validity::kInvalid) {
      invalid += (invalid.empty() ? "" : "; ") + v->checker + ": " + v->reason;
      item.evidence.insert(item.evidence.end(), v->evidence.begin(), v->evidence.end());
    } else if (v->valid == Validity::kUnknown) {
      unknown += (unknown.empty() ? "" : "; ") + v->checker + ": " + v->reason;
    }
  }
  if (!invalid.empty()) {
    item.status = ItemStatus::kFail;
    item.detail = invalid;
  } else if (!unknown.empty() || ran == 0) {
    item.detail = ran == 0 ? "no safety checker ran" : unknown;
  } else {
    item.status = ItemStatus::kPass;
    item.detail = std::to_string(ran) + " checkers valid";
  }
  return item;
}

}  // namespace

std::string_view ToString(ItemStatus status) {
  switch (status) {
    case ItemStatus::kPass:
      return "pass";
    case ItemStatus::kFail:
      return "FAIL";
    case ItemStatus::kNotApplicable:
      return "n/a";
    case ItemStatus::kUnknown:
      break;
  }
  return "unknown";
}

std::vector<ConformItem> ConformChecklist(const std::vector<Event>& history,
                                          const std::vector<Verdict>& verdicts,
                                          const ConformLimits& limits) {
  return {Starts(history, limits),
          Lines(history),
          Leader(history, limits),
          Failover(history, limits),
          VoteMemory(history, verdicts),
          Terms(history, verdicts),
          Sigterm(history),
          OwnAddress(history),
          Safety(verdicts),
          FromVerdict("recovers", "a stable leader again after the faults heal",
                      Find(verdicts, "liveness"))};
}

int ConformExitCode(const std::vector<ConformItem>& items) {
  const auto has = [&items](ItemStatus status) {
    return std::any_of(items.begin(), items.end(),
                       [status](const ConformItem& i) { return i.status == status; });
  };
  if (has(ItemStatus::kFail)) return 1;
  return has(ItemStatus::kUnknown) ? 2 : 0;
}

}  // namespace schism::checkers
