// A night's KPIs per matrix cell, against the nights before it.
#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "harness/nightly.h"

namespace schism::harness {
using nlohmann::json;

namespace {

// The KPIs followed from night to night, each worse when higher, with the
// rise over the baseline that counts as a regression: both more than
// kRegressionFactor times the baseline and more than the KPI's floor (so a
// p50 going from 2 ms to 5 ms is no regression).
struct Kpi {
  const char* name;
  double floor;
};
constexpr Kpi kKpis[] = {{"election_p50_s", 0.1},
                         {"election_p95_s", 0.2},
                         {"leaderless_pct", 2.0},
                         {"changes_per_min", 2.0}};
constexpr double kRegressionFactor = 1.5;
constexpr std::size_t kBaselineNights = 7;

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

}  // namespace

json CellKpis(const std::vector<NightlyRun>& runs) {
  json cells = json::object();
  std::map<std::string, std::map<std::string, std::vector<double>>> values;
  for (const NightlyRun& r : runs) {
    if (!r.kpis.is_object()) continue;
    auto& cell = values[r.cell.Suite()];
    const json election = r.kpis.value("election_s", json::object());
    if (election.value("count", 0) > 0) {
      cell["election_p50_s"].push_back(election.value("p50", 0.0));
      cell["election_p95_s"].push_back(election.value("p95", 0.0));
    }
    cell["leaderless_pct"].push_back(r.kpis.value("leaderless_pct", 0.0));
    cell["changes_per_min"].push_back(r.kpis.value("leader_changes_per_min", 0.0));
  }
  for (const auto& [suite, kpis] : values) {
    json cell = json::object();
    for (const auto& [name, list] : kpis) {
      double sum = 0;
      for (double v : list) sum += v;
      cell[name] = sum / static_cast<double>(list.size());
    }
    cell["runs"] = kpis.at("leaderless_pct").size();
    cells[suite] = std::move(cell);
  }
  return cells;
}

json Trends(const json& cells, const std::vector<PastNight>& past) {
  json trends = json::object();
  for (const auto& [suite, now] : cells.items()) {
    json cell = json::object();
    for (const Kpi& kpi : kKpis) {
      if (!now.contains(kpi.name)) continue;
      json nights = json::array(), values = json::array();
      std::vector<double> recent;
      for (const PastNight& night : past) {
        const json* was = night.cells.contains(suite) ? &night.cells[suite] : nullptr;
        if (!was || !was->contains(kpi.name) || !(*was)[kpi.name].is_number()) continue;
        nights.push_back(night.name);
        values.push_back((*was)[kpi.name]);
        recent.push_back((*was)[kpi.name].get<double>());
      }
      if (recent.size() > kBaselineNights) recent.erase(recent.begin(), recent.end() - kBaselineNights);
      const double value = now[kpi.name].get<double>();
      json entry = {{"nights", nights}, {"values", values}, {"now", value}, {"regressed", false}};
      if (!recent.empty()) {
        const double baseline = Median(recent);
        entry["baseline"] = baseline;
        entry["regressed"] =
            value > baseline * kRegressionFactor && value - baseline > kpi.floor;
      }
      cell[kpi.name] = std::move(entry);
    }
    trends[suite] = std::move(cell);
  }
  return trends;
}

std::vector<std::string> Regressions(const json& trends) {
  std::vector<std::string> lines;
  for (const auto& [suite, cell] : trends.items()) {
    for (const auto& [kpi, entry] : cell.items()) {
      if (!entry.value("regressed", false)) continue;
      char buf[160];
      std::snprintf(buf, sizeof buf, "%s now %.3f, against %.3f (the median of the last %zu nights)",
                    kpi.c_str(), entry["now"].get<double>(), entry["baseline"].get<double>(),
                    std::min(entry["values"].size(), kBaselineNights));
      lines.push_back(suite + ": " + buf);
    }
  }
  return lines;
}

}  // namespace schism::harness
