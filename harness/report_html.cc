// HtmlReport's model: what the history says, kept small. The page itself is
// drawn in report_html_render.cc.
#include "harness/report_html.h"

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/elector.h"

namespace schism::harness {
using histories::Event;
using histories::EventType;

namespace {

// A config value as text: numbers as a person writes them (20, 2.5), strings bare.
std::string Plain(const nlohmann::json& v) {
  if (v.is_string()) return v.get<std::string>();
  if (!v.is_number_float()) return v.dump();
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v.get<double>());
  return buf;
}

// Plain(each word), after `separator` but the first.
std::string Join(const nlohmann::json& words, const char* separator = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + Plain(w);
  return out;
}

// argv as one line a shell would split back into the same words.
std::string JoinCommand(const nlohmann::json& words) {
  std::vector<std::string> argv;
  for (const auto& w : words) argv.push_back(Plain(w));
  return JoinCommandLine(argv);
}

// A fault's parameters as lines of "key: value", leaving out what the band's
// label and times already say; a grudge over many nodes is cut short.
std::string Parameters(const nlohmann::json& detail) {
  constexpr std::size_t kMaxChars = 300;
  std::string out;
  for (const auto& [key, value] : detail.items()) {
    if (key == "phase" || key == "kind" || key == "digest") continue;
    out += "\n" + key + ": " + (value.is_string() ? value.get<std::string>() : value.dump());
  }
  if (out.size() > kMaxChars) out = out.substr(0, kMaxChars) + " …";
  return out;
}

}  // namespace

void HtmlReport::ReadSettings(const nlohmann::json& c) {
  auto has = [&](const char* key) { return c.contains(key) && !c[key].is_null(); };
  auto number = [&](const char* key) { return has(key) && c[key].is_number(); };
  auto add = [&](const char* key, std::string value) {
    settings_.emplace_back(key, std::move(value));
  };
  settings_.clear();
  command_.clear();
  const bool own_command = has("node_cmd_template") && !Plain(c["node_cmd_template"]).empty();
  if (!own_command && has("elector")) {  // with a command of its own, "elector" is the default
    std::string elector = Plain(c["elector"]);
    if (has("elector_args") && !c["elector_args"].empty()) {
      elector += " " + Join(c["elector_args"], " ");
    }
    add("elector", elector);
  }
  if (has("nodes")) add("nodes", Plain(c["nodes"]));
  if (has("nemesis") && c["nemesis"].is_array()) {
    std::string nemeses;
    const nlohmann::json weights = c.value("nemesis_weights", nlohmann::json::object());
    for (const auto& n : c["nemesis"]) {
      nemeses += (nemeses.empty() ? "" : ", ") + Plain(n);
      if (weights.is_object() && weights.contains(Plain(n))) {
        nemeses += ":" + Plain(weights[Plain(n)]);
      }
    }
    if (nemeses.empty()) {
      nemeses = "none";
    } else if (has("nemesis_interval_s")) {
      nemeses += " (an op every " + Plain(c["nemesis_interval_s"]) + " s)";
    }
    add("nemeses", nemeses);
  }
  if (has("seed")) add("seed", Plain(c["seed"]));
  if (has("time_s")) add("length", Plain(c["time_s"]) + " s");
  if (has("quiet_s")) {
    std::string quiet = "last " + Plain(c["quiet_s"]) + " s";
    if (number("quiet_s") && number("time_s")) {
      quiet += " (from " + Plain(c["time_s"].get<double>() - c["quiet_s"].get<double>()) + " s)";
    }
    add("quiet period", quiet);
  }
  if (has("liveness_deadline_s")) {
    std::string liveness =
        "a leader within " + Plain(c["liveness_deadline_s"]) + " s of the final heal";
    if (has("stable_window_s")) liveness += ", held " + Plain(c["stable_window_s"]) + " s";
    add("liveness", liveness);
  }
  if (has("checkers") && c["checkers"].is_array()) {
    add("checkers", c["checkers"].empty() ? "all" : Join(c["checkers"]));
  }
  if (has("replay_of") && !Plain(c["replay_of"]).empty()) add("replay of", Plain(c["replay_of"]));
  if (own_command) {
    command_ = Plain(c["node_cmd_template"]);
  } else if (has("node_cmd") && c["node_cmd"].is_array()) {
    command_ = JoinCommand(c["node_cmd"]);
  }
}

void HtmlReport::AddNode(const std::string& node) {
  if (lanes_.count(node)) return;
  node_order_.push_back(node);
  lanes_[node];
}

void HtmlReport::OpenSegment(const std::string& node, double t, std::string kind,
                             std::string label) {
  auto& lane = lanes_[node];
  if (!lane.empty() && lane.back().end < 0) {
    if (lane.back().kind == kind && lane.back().label == label) return;  // no change to draw
    lane.back().end = t;
  }
  lane.push_back({t, -1, std::move(kind), std::move(label)});
  if (lane.size() > kMaxSegments) Compact(lane);
}

void HtmlReport::Compact(std::vector<Segment>& lane) const {
  // A segment shorter than `brief` is narrower than a pixel on any screen once
  // the lane holds this many; a run of them reads as "the node kept flapping".
  // Segments at least `brief` long number at most span/brief, the runs between
  // them one more, so the lane ends up at about half of kMaxSegments.
  const double brief = (end_time_ - lane.front().start) / (kMaxSegments / 4.0);
  std::vector<Segment> out;
  out.reserve(kMaxSegments / 2 + 2);
  const std::size_t closed = lane.size() - 1;  // the last one is still open
  for (std::size_t k = 0; k < closed; ++k) {
    Segment& s = lane[k];
    if (s.end - s.start >= brief && s.end > s.start) {
      out.push_back(std::move(s));
      continue;
    }
    if (!out.empty() && out.back().kind == "flapping" && out.back().end == s.start) {
      out.back().end = s.end;
      out.back().changes += s.changes;
    } else {
      out.push_back({s.start, s.end, "flapping", "", s.changes});
    }
  }
  out.push_back(std::move(lane.back()));
  lane = std::move(out);
}

void HtmlReport::Observe(const Event& e) {
  end_time_ = std::max(end_time_, e.time);
  if (!e.node.empty()) AddNode(e.node);
  switch (e.type) {
    case EventType::kRun:
      if (e.f == "start" && e.detail.is_object()) {
        if (e.detail.contains("nodes") && e.detail["nodes"].is_array()) {
          for (const auto& n : e.detail["nodes"]) {
            if (n.is_string()) AddNode(n.get<std::string>());
          }
        }
        if (e.detail.contains("config") && e.detail["config"].is_object()) {
          ReadSettings(e.detail["config"]);
        }
      } else if (e.f == "stopping" && stopping_ < 0) {
        stopping_ = e.time;
      }
      break;
    case EventType::kRole: {
      std::string label = e.term ? "t" + std::to_string(*e.term) : "";
      std::string kind(histories::ToString(*e.role));
      last_role_[e.node] = {kind, label};
      if (paused_.count(e.node)) break;  // a line read while paused shows on resume
      OpenSegment(e.node, e.time, std::move(kind), std::move(label));
      break;
    }
    case EventType::kVote:
    case EventType::kLease:
      break;
    case EventType::kProcess:
      if (e.f == "kill" || e.f == "exit" || e.f == "stop") {
        paused_.erase(e.node);
        last_role_.erase(e.node);
        OpenSegment(e.node, e.time, "down", "");
      } else if (e.f == "start") {
        paused_.erase(e.node);
        last_role_.erase(e.node);
        OpenSegment(e.node, e.time, "follower", "");
      } else if (e.f == "pause") {
        paused_.insert(e.node);
        OpenSegment(e.node, e.time, "paused", "");
      } else if (e.f == "resume") {
        // The same process: it holds the role it last reported.
        paused_.erase(e.node);
        auto it = last_role_.find(e.node);
        if (it == last_role_.end()) {
          OpenSegment(e.node, e.time, "follower", "");
        } else {
          OpenSegment(e.node, e.time, it->second.first, it->second.second);
        }
      }
      break;
    case EventType::kNemesis: {
      if (e.f == "final-heal") {
        if (final_heal_ < 0) final_heal_ = e.time;
        break;
      }
      const nlohmann::json& d = e.detail;
      std::string phase = d.is_object() ? d.value("phase", "") : "";
      std::string key = e.f + "/" + e.node;
      if (phase == "start") {
        std::string label = e.f;
        if (d.contains("kind") && d["kind"].is_string())
          label += " " + d["kind"].get<std::string>();
        if (!e.node.empty()) label += " " + e.node;
        open_bands_[key] = bands_.size();
        band_of_start_[e.index] = bands_.size();
        bands_.push_back({e.time, -1, label, Parameters(d), e.f});
      } else if (phase == "end" && open_bands_.count(key)) {
        bands_[open_bands_[key]].end = e.time;
        open_bands_.erase(key);
      } else if (phase == "verified" && d.contains("of") && d["of"].is_number_unsigned()) {
        // The fault's proof goes on its band's hover, first, so it is never cut off.
        const auto band = band_of_start_.find(d["of"].get<std::uint64_t>());
        if (band == band_of_start_.end()) break;
        const bool proven = d.contains("proven") && d["proven"] == true;
        const nlohmann::json how = d.value(proven ? "by" : "why", nlohmann::json(""));
        bands_[band->second].detail = std::string(proven ? "\nproven: " : "\nNOT PROVEN: ") +
                                      (how.is_string() ? how.get<std::string>() : how.dump()) +
                                      bands_[band->second].detail;
      }
      break;
    }
  }
}

}  // namespace schism::harness
