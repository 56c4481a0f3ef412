#include "harness/report_html.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <sstream>

namespace schism::harness {
using histories::Event;
using histories::EventType;
using histories::Role;

namespace {

std::string Escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      case '"': out += "&quot;"; break;
      default: out.push_back(c);
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

const char* ValidityWord(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid: return "valid";
    case checkers::Validity::kInvalid: return "invalid";
    case checkers::Validity::kUnknown: return "unknown";
  }
  return "unknown";
}

const char* Colour(const std::string& kind) {
  if (kind == "leader") return "#1f6feb";
  if (kind == "candidate") return "#e3b341";
  if (kind == "follower") return "#c9d1d9";
  if (kind == "paused") return "#8250df";
  return "#30363d";  // down
}

}  // namespace

void HtmlReport::OpenSegment(const std::string& node, double t, std::string kind, std::string label) {
  auto& lane = lanes_[node];
  if (!lane.empty() && lane.back().end < 0) {
    if (lane.back().kind == kind && lane.back().label == label) return;  // no change to draw
    lane.back().end = t;
  }
  lane.push_back({t, -1, std::move(kind), std::move(label)});
}

void HtmlReport::Observe(const Event& e) {
  end_time_ = std::max(end_time_, e.time);
  if (!e.node.empty() && !lanes_.count(e.node)) {
    node_order_.push_back(e.node);
    lanes_[e.node];
  }
  switch (e.type) {
    case EventType::kRun:
      if (e.f == "start" && e.detail.is_object() && e.detail.contains("nodes")) {
        for (const auto& n : e.detail["nodes"]) {
          if (!n.is_string()) continue;
          std::string name = n.get<std::string>();
          if (!lanes_.count(name)) {
            node_order_.push_back(name);
            lanes_[name];
          }
        }
      }
      break;
    case EventType::kRole: {
      std::string label = e.term ? "t" + std::to_string(*e.term) : "";
      std::string kind(histories::ToString(*e.role));
      last_role_[e.node] = {kind, label};
      if (paused_.count(e.node)) break;  // a line read while paused shows on resume
      OpenSegment(e.node, e.time, std::move(kind), std::move(label));
      event_times_[e.index] = e.time;
      break;
    }
    case EventType::kVote:
    case EventType::kLease:
      event_times_[e.index] = e.time;
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
      std::string phase = e.detail.is_object() ? e.detail.value("phase", "") : "";
      std::string key = e.f + "/" + e.node;
      if (phase == "start") {
        std::string label = e.f;
        if (e.detail.is_object() && e.detail.contains("kind")) {
          label += " " + e.detail["kind"].get<std::string>();
        }
        if (!e.node.empty()) label += " " + e.node;
        open_bands_[key] = bands_.size();
        bands_.push_back({e.time, -1, label});
      } else if (phase == "end" && open_bands_.count(key)) {
        bands_[open_bands_[key]].end = e.time;
        open_bands_.erase(key);
      }
      break;
    }
  }
}

std::string HtmlReport::Render(const std::string& title,
                               const std::vector<checkers::Verdict>& verdicts,
                               checkers::Validity overall) const {
  const double width = 1100, lane_h = 26, left = 60;
  const double span = std::max(end_time_, 1.0);
  auto x = [&](double t) { return left + (width - left - 10) * t / span; };
  // Fault labels go on stacked rows above the lanes, each on the first row
  // where it does not run into the previous label (about 6.5 px a character).
  std::vector<std::size_t> label_row(bands_.size());
  std::vector<double> row_ends;
  for (std::size_t i = 0; i < bands_.size(); ++i) {
    const double from = x(bands_[i].start), to = from + 6.5 * static_cast<double>(bands_[i].label.size()) + 6;
    std::size_t row = 0;
    while (row < row_ends.size() && row_ends[row] > from) ++row;
    if (row == row_ends.size()) row_ends.push_back(0);
    row_ends[row] = to;
    label_row[i] = row;
  }
  const double label_h = 13;
  const double top = 30 + label_h * static_cast<double>(row_ends.empty() ? 0 : row_ends.size() - 1);
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\"><title>schism: " << Escape(title)
    << "</title><style>body{font:14px system-ui,sans-serif;margin:24px;color:#1f2328}"
       "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 10px;"
       "text-align:left}.valid{color:#1a7f37;font-weight:600}.invalid{color:#cf222e;"
       "font-weight:700}.unknown{color:#9a6700;font-weight:600}</style></head><body>";
  o << "<h1>" << Escape(title) << ": <span class=\"" << ValidityWord(overall) << "\">"
    << ValidityWord(overall) << "</span></h1>";
  o << "<table><tr><th>checker</th><th>verdict</th><th>reason</th><th>evidence (i)</th></tr>";
  std::set<std::uint64_t> evidence;
  for (const auto& v : verdicts) {
    o << "<tr><td>" << Escape(v.checker) << "</td><td class=\"" << ValidityWord(v.valid) << "\">"
      << ValidityWord(v.valid) << "</td><td>" << Escape(v.reason) << "</td><td>";
    for (std::size_t k = 0; k < v.evidence.size(); ++k) {
      o << (k ? ", " : "") << v.evidence[k];
      evidence.insert(v.evidence[k]);
    }
    o << "</td></tr>";
  }
  o << "</table>";
  const double height = top + lane_h * static_cast<double>(node_order_.size()) + 30;
  o << "<h2>Timeline</h2><svg width=\"" << width << "\" height=\"" << height
    << "\" xmlns=\"http://www.w3.org/2000/svg\" font-size=\"11\">";
  for (std::size_t i = 0; i < bands_.size(); ++i) {
    const Band& b = bands_[i];
    double end = b.end < 0 ? end_time_ : b.end;
    const double label_y = 24 + label_h * static_cast<double>(label_row[i]);
    o << "<rect x=\"" << Num(x(b.start)) << "\" y=\"" << Num(label_y - 12) << "\" width=\""
      << Num(std::max(1.0, x(end) - x(b.start))) << "\" height=\"" << Num(height - label_y + 12)
      << "\" fill=\"#fd8c73\" fill-opacity=\"0.18\"><title>" << Escape(b.label) << " "
      << Num(b.start) << "–" << Num(end) << " s</title></rect>";
    o << "<text x=\"" << Num(x(b.start) + 2) << "\" y=\"" << Num(label_y) << "\" fill=\"#953800\">"
      << Escape(b.label) << "</text>";
  }
  for (std::size_t row = 0; row < node_order_.size(); ++row) {
    const std::string& node = node_order_[row];
    double y = top + lane_h * static_cast<double>(row);
    o << "<text x=\"4\" y=\"" << Num(y + 16) << "\">" << Escape(node) << "</text>";
    for (const auto& s : lanes_.at(node)) {
      double end = s.end < 0 ? end_time_ : s.end;
      o << "<rect x=\"" << Num(x(s.start)) << "\" y=\"" << Num(y + 3) << "\" width=\""
        << Num(std::max(0.5, x(end) - x(s.start))) << "\" height=\"" << lane_h - 6 << "\" fill=\""
        << Colour(s.kind) << "\"><title>" << Escape(node) << " " << Escape(s.kind) << " "
        << Escape(s.label) << " " << Num(s.start) << "–" << Num(end) << " s</title></rect>";
      if (s.kind == "leader" && x(end) - x(s.start) > 22) {
        o << "<text x=\"" << Num(x(s.start) + 3) << "\" y=\"" << Num(y + 17)
          << "\" fill=\"white\">" << Escape(s.label) << "</text>";
      }
    }
  }
  for (std::uint64_t i : evidence) {
    auto it = event_times_.find(i);
    if (it == event_times_.end()) continue;
    o << "<line x1=\"" << Num(x(it->second)) << "\" x2=\"" << Num(x(it->second)) << "\" y1=\""
      << top - 18 << "\" y2=\"" << height - 20 << "\" stroke=\"#cf222e\" stroke-width=\"2\"><title>"
      << "evidence i=" << i << "</title></line>";
  }
  o << "<text x=\"" << left << "\" y=\"" << height - 4 << "\">0 s</text><text x=\""
    << width - 60 << "\" y=\"" << height - 4 << "\">" << Num(span) << " s</text></svg>"
    << "<p>Lanes: <span style=\"color:#1f6feb\">■ leader</span> <span style=\"color:#e3b341\">"
       "■ candidate</span> <span style=\"color:#8c959f\">■ follower</span> "
       "<span style=\"color:#8250df\">■ paused</span> "
       "<span style=\"color:#30363d\">■ down</span>; shaded bands: nemesis faults; red lines: "
       "evidence.</p></body></html>\n";
  return o.str();
}

}  // namespace schism::harness
