// A night written out: summary.json, junit.xml and index.html.
#include <algorithm>
#include <cstdio>
#include <map>
#include <sstream>

#include <pugixml.hpp>

#include "harness/errors.h"
#include "harness/nightly.h"
#include "harness/report_html.h"

namespace schism::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string Fixed(double value, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, value);
  return buf;
}

// "p50 0.006 s, p95 0.112 s; leaderless 3.9 %; 6.0 changes/min", or "" without KPIs.
std::string KpiText(const json& kpis) {
  if (!kpis.is_object()) return "";
  std::string text;
  const json election = kpis.value("election_s", json::object());
  if (election.value("count", 0) > 0) {
    text += "elections p50 " + Fixed(election.value("p50", 0.0), 3) + " s, p95 " +
            Fixed(election.value("p95", 0.0), 3) + " s; ";
  }
  text += "leaderless " + Fixed(kpis.value("leaderless_pct", 0.0), 1) + " %; " +
          Fixed(kpis.value("leader_changes_per_min", 0.0), 1) + " changes/min";
  return text;
}

// A small line chart of the past nights' values and tonight's (the last
// point, red when it is a regression).
std::string Sparkline(const json& entry) {
  std::vector<double> values;
  for (const json& v : entry["values"]) values.push_back(v.get<double>());
  values.push_back(entry["now"].get<double>());
  const double top = std::max(*std::max_element(values.begin(), values.end()), 1e-9);
  constexpr double kWidth = 120, kHeight = 28, kPad = 3;
  const double step = values.size() > 1 ? (kWidth - 2 * kPad) / static_cast<double>(values.size() - 1) : 0;
  std::string points;
  double x = kPad, y = 0;
  for (double v : values) {
    y = kHeight - kPad - (kHeight - 2 * kPad) * v / top;
    points += Fixed(x, 1) + "," + Fixed(y, 1) + " ";
    x += step;
  }
  x -= step;
  const bool regressed = entry.value("regressed", false);
  return "<svg class=\"spark\" width=\"120\" height=\"28\"><polyline fill=\"none\" "
         "stroke=\"#47a\" points=\"" + points + "\"/><circle cx=\"" + Fixed(x, 1) + "\" cy=\"" +
         Fixed(y, 1) + "\" r=\"3\" fill=\"" + (regressed ? "#c00" : "#47a") + "\"/></svg>";
}

// One row per matrix cell, one chart per KPI, regressions marked.
std::string TrendsHtml(const json& trends) {
  if (!trends.is_object() || trends.empty()) return "";
  static const char* kKpis[][2] = {{"election_p50_s", "election p50 (s)"},
                                   {"election_p95_s", "election p95 (s)"},
                                   {"leaderless_pct", "leaderless (%)"},
                                   {"changes_per_min", "leader changes/min"}};
  std::string out = "<h2>Trends</h2>\n<table id=\"trends\">\n<tr><th>cell</th>";
  for (const auto& kpi : kKpis) out += std::string("<th>") + kpi[1] + "</th>";
  out += "</tr>\n";
  for (const auto& [suite, cell] : trends.items()) {
    out += "<tr><td>" + HtmlEscape(suite) + "</td>";
    for (const auto& kpi : kKpis) {
      if (!cell.contains(kpi[0])) {
        out += "<td></td>";
        continue;
      }
      const json& e = cell[kpi[0]];
      const bool regressed = e.value("regressed", false);
      out += std::string("<td") + (regressed ? " class=\"regressed\"" : "") + ">" + Sparkline(e) +
             "<br>" + Fixed(e["now"].get<double>(), 3);
      if (e.contains("baseline")) {
        out += " (median " + Fixed(e["baseline"].get<double>(), 3) + " over " +
               std::to_string(e["values"].size()) + " night(s))";
      } else {
        out += " (first night)";
      }
      if (regressed) out += " <b>regression</b>";
      out += "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</table>\n";
}

bool Failed(const NightlyRun& run) { return run.status != "valid" && run.status != "not run"; }

}  // namespace

json SummaryJson(const std::string& title, const std::vector<NightlyRun>& runs,
                 const json& trends) {
  json list = json::array();
  for (const NightlyRun& r : runs) {
    json entry = {{"index", r.cell.index},     {"elector", r.cell.elector},
                  {"bug", r.cell.bug},         {"nemesis", r.cell.nemesis},
                  {"seed", r.cell.seed},       {"suite", r.cell.Suite()},
                  {"status", r.status},        {"run_dir", r.run_dir},
                  {"reason", r.reason},        {"kpis", r.kpis},
                  {"exit_code", r.exit_code},  {"wall_s", r.wall_s}};
    if (Failed(r) && !r.run_dir.empty()) entry["reproduce"] = "schism replay " + r.run_dir;
    list.push_back(std::move(entry));
  }
  return {{"title", title},
          {"exit_code", WorstExit(runs)},
          {"runs", std::move(list)},
          {"cells", CellKpis(runs)},
          {"trends", trends}};
}

std::vector<NightlyRun> RunsFromSummary(const json& summary, const std::string& where) {
  if (!summary.is_object() || !summary.contains("runs") || !summary["runs"].is_array()) {
    throw UsageError(where + ": not a nightly summary (no \"runs\" list)");
  }
  std::vector<NightlyRun> runs;
  try {
    for (const json& e : summary["runs"]) {
      NightlyRun r;
      r.cell = {e.at("index").get<std::size_t>(), e.at("elector").get<std::string>(),
                e.at("bug").get<std::string>(), e.at("nemesis").get<std::string>(),
                e.at("seed").get<std::uint64_t>()};
      r.status = e.at("status").get<std::string>();
      r.run_dir = e.value("run_dir", "");
      r.reason = e.value("reason", "");
      r.kpis = e.value("kpis", json());
      r.exit_code = e.value("exit_code", 0);
      r.wall_s = e.value("wall_s", 0.0);
      runs.push_back(std::move(r));
    }
  } catch (const json::exception& e) {
    throw UsageError(where + ": a run of the summary is malformed (" + e.what() + ")");
  }
  return runs;
}

std::string NightlyJunit(const std::string& title, const std::vector<NightlyRun>& runs) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  pugi::xml_node suites = doc.append_child("testsuites");
  suites.append_attribute("name") = title.c_str();
  std::map<std::string, pugi::xml_node> by_suite;
  std::map<std::string, std::map<std::string, int>> counts;
  for (const NightlyRun& r : runs) {
    const std::string name = r.cell.Suite();
    auto [it, fresh] = by_suite.try_emplace(name);
    if (fresh) {
      it->second = suites.append_child("testsuite");
      it->second.append_attribute("name") = name.c_str();
    }
    pugi::xml_node test = it->second.append_child("testcase");
    test.append_attribute("classname") = name.c_str();
    test.append_attribute("name") = ("seed " + std::to_string(r.cell.seed)).c_str();
    test.append_attribute("time") = Fixed(r.wall_s, 3).c_str();
    ++counts[name]["tests"];
    const std::string detail =
        r.run_dir.empty() ? r.reason
                          : r.reason + "\nrun dir: " + r.run_dir + "\nreproduce: schism replay " +
                                r.run_dir;
    if (r.status == "invalid") {
      pugi::xml_node f = test.append_child("failure");
      f.append_attribute("type") = "invalid";
      f.append_attribute("message") = r.reason.c_str();
      f.text() = detail.c_str();
      ++counts[name]["failures"];
    } else if (r.status == "unknown" || r.status == "error") {
      pugi::xml_node f = test.append_child("error");
      f.append_attribute("type") = r.status.c_str();
      f.append_attribute("message") = r.reason.c_str();
      f.text() = detail.c_str();
      ++counts[name]["errors"];
    } else if (r.status == "not run") {
      test.append_child("skipped").append_attribute("message") = "the budget ran out first";
      ++counts[name]["skipped"];
    }
  }
  for (auto& [name, node] : by_suite) {
    for (const char* key : {"tests", "failures", "errors", "skipped"}) {
      node.append_attribute(key) = counts[name][key];
    }
  }
  std::ostringstream out;
  doc.save(out, "  ");
  return out.str();
}

std::string NightlyIndex(const std::string& title, const std::vector<NightlyRun>& runs,
                         const fs::path& dir, const json& trends) {
  std::map<std::string, int> tally;
  for (const NightlyRun& r : runs) ++tally[r.status];
  std::string out =
      "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + HtmlEscape(title) +
      "</title>\n<style>body{font:14px sans-serif;margin:1.5em}table{border-collapse:collapse}"
      "td,th{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}"
      ".valid{background:#dfd}.invalid{background:#fcc}.unknown,.error{background:#fec}"
      ".notrun{color:#888}.regressed{background:#fcc}code{font-size:12px}</style></head><body>\n<h1>" +
      HtmlEscape(title) + "</h1>\n<p>";
  for (const auto& [status, n] : tally) {
    out += HtmlEscape(status) + ": " + std::to_string(n) + " &nbsp; ";
  }
  out += "</p>\n" + TrendsHtml(trends) +
         "<h2>Runs</h2>\n<table id=\"runs\">\n<tr><th>cell</th><th>seed</th><th>verdict</th>"
         "<th>KPIs</th><th>report</th><th>reason / reproduce</th></tr>\n";
  for (const NightlyRun& r : runs) {
    const std::string css = r.status == "not run" ? "notrun" : r.status;
    out += "<tr class=\"" + css + "\"><td>" + HtmlEscape(r.cell.Suite()) + "</td><td>" +
           std::to_string(r.cell.seed) + "</td><td>" + HtmlEscape(r.status) + "</td><td>" +
           HtmlEscape(KpiText(r.kpis)) + "</td><td>";
    if (!r.run_dir.empty()) {
      const fs::path report = fs::path(r.run_dir) / "report.html";
      const std::string link = report.lexically_relative(dir).string();
      out += "<a href=\"" + HtmlEscape(link.empty() ? report.string() : link) + "\">report</a>";
    }
    out += "</td><td>" + HtmlEscape(r.reason);
    if (Failed(r) && !r.run_dir.empty()) {
      out += "<br><code>schism replay " + HtmlEscape(r.run_dir) + "</code>";
    }
    out += "</td></tr>\n";
  }
  out += "</table>\n</body></html>\n";
  return out;
}

}  // namespace schism::harness
