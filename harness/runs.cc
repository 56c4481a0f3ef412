#include "harness/runs.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/errors.h"

namespace schism::harness {
namespace {

namespace fs = std::filesystem;

nlohmann::json ReadJson(const fs::path& file) {
  std::ifstream in(file);
  if (!in) return nullptr;
  return nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
}

std::string Text(const nlohmann::json& j, const char* key) {
  if (!j.is_object() || !j.contains(key)) return "-";
  const nlohmann::json& v = j[key];
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string joined;
    for (const nlohmann::json& item : v) joined += (joined.empty() ? "" : ",") + (item.is_string() ? item.get<std::string>() : item.dump());
    return joined.empty() ? "-" : joined;
  }
  return v.dump();
}

// "valid", or "invalid: liveness,quorum", or "no results".
std::string Verdict(const nlohmann::json& results) {
  if (!results.is_object() || !results.contains("verdict")) return "no results";
  std::string verdict = Text(results, "verdict");
  std::string failing;
  if (results.contains("checkers") && results["checkers"].is_array()) {
    for (const nlohmann::json& c : results["checkers"]) {
      if (c.value("verdict", "valid") == "valid") continue;
      failing += (failing.empty() ? "" : ",") + c.value("checker", "?");
    }
  }
  if (results.contains("error")) failing = "error";
  return failing.empty() ? verdict : verdict + ": " + failing;
}

}  // namespace

std::string ListRuns(const fs::path& store, std::size_t last) {
  std::error_code ec;
  if (!fs::is_directory(store, ec)) throw UsageError(store.string() + ": no run store there");
  std::vector<fs::path> runs;
  for (const auto& test : fs::directory_iterator(store, ec)) {
    if (!test.is_directory(ec) || test.is_symlink(ec)) continue;
    for (const auto& run : fs::directory_iterator(test.path(), ec)) {
      if (run.is_directory(ec) && !run.is_symlink(ec) &&  // not `latest`
          fs::exists(run.path() / "config.json", ec)) {
        runs.push_back(run.path());
      }
    }
  }
  // Run dirs are named <UTC timestamp>-s<seed>: by name is by start time.
  std::sort(runs.begin(), runs.end(), [](const fs::path& a, const fs::path& b) {
    return a.filename() != b.filename() ? a.filename() < b.filename() : a < b;
  });
  if (last > 0 && runs.size() > last) runs.erase(runs.begin(), runs.end() - static_cast<long>(last));
  std::ostringstream out;
  out << "run dir | seed | nodes | time_s | nemesis | verdict\n";
  for (const fs::path& run : runs) {
    const nlohmann::json config = ReadJson(run / "config.json");
    out << run.string() << " | " << Text(config, "seed") << " | " << Text(config, "nodes")
        << " | " << Text(config, "time_s") << " | " << Text(config, "nemesis") << " | "
        << Verdict(ReadJson(run / "results.json")) << "\n";
  }
  out << runs.size() << " run(s)\n";
  return out.str();
}

}  // namespace schism::harness
