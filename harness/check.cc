#include "harness/check.h"

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <stdexcept>

#include "checkers/contract_watch.h"
#include "checkers/report.h"
#include "harness/errors.h"
#include "harness/report_html.h"
#include "histories/atomic_file.h"
#include "histories/reader.h"

namespace schism::harness {
namespace {

// "6.012": seconds as reasons print them.
std::string Seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", s);
  return buffer;
}

// Feeds every event it sees to the HTML report on its way to the checkers,
// and notes how the run ended.
class ReportTap : public checkers::Checker {
 public:
  explicit ReportTap(HtmlReport* report) : report_(report) {}
  std::string_view name() const override { return "report"; }
  void Observe(const histories::Event& e, const checkers::EventContext& /*context*/) override {
    if (report_ != nullptr) report_->Observe(e);
    contract_.Observe(e);
    last_time_ = e.time;
    if (e.type == histories::EventType::kRun && e.f == "start") started_ = true;
    if (e.type == histories::EventType::kRun && e.f == "end") {
      ended_ = true;
      if (e.detail.is_object()) interrupted_ = e.detail.value("interrupted", false);
    }
  }
  checkers::Verdict Finish() override { return {}; }
  bool interrupted() const { return interrupted_; }
  // The run's start is in the history, its end is not.
  bool unfinished() const { return started_ && !ended_; }
  std::vector<std::string> warnings() const { return contract_.Warnings(); }
  double last_time() const { return last_time_; }

 private:
  HtmlReport* report_;
  checkers::ContractWatch contract_;
  bool interrupted_ = false;
  bool started_ = false;
  bool ended_ = false;
  double last_time_ = 0;
};

// The detail of the history's first event when it is the run/start, else null.
nlohmann::json RunStart(const std::filesystem::path& history) {
  std::ifstream in(history);
  if (!in) throw UsageError("cannot read " + history.string() + ": " + std::strerror(errno));
  histories::HistoryReader reader(in, history.string(), /*lenient=*/true);
  histories::Event first;
  if (!reader.Next(first)) return nullptr;
  if (first.type != histories::EventType::kRun || first.f != "start") return nullptr;
  return first.detail;
}

// The options to judge with: the defaults, then what the run recorded, then the flags.
checkers::CheckOptions ResolveOptions(const nlohmann::json& recorded, const CheckOverrides& o,
                                      const std::filesystem::path& history) {
  checkers::CheckOptions options;
  try {
    checkers::ApplyRecorded(recorded, options);
  } catch (const std::invalid_argument& e) {
    throw UsageError(history.string() + ": run/start: " + e.what());
  }
  if (o.nodes) options.nodes = *o.nodes;
  if (o.liveness_deadline_s) options.liveness_deadline_s = *o.liveness_deadline_s;
  if (o.stable_window_s) options.stable_window_s = *o.stable_window_s;
  if (o.partition_grace_s) options.partition_grace_s = *o.partition_grace_s;
  if (o.split_brain_fails) options.split_brain_fails = *o.split_brain_fails;
  return options;
}


// Events before and after a piece of evidence that its report shows with it,
// and for how many pieces.
constexpr std::uint64_t kContextEvents = 2;
constexpr std::size_t kReportedEvidence = 200;

// The lines of `history` whose "i" is in `wanted`, by "i". A second pass over
// the file, reading only the "i" of each line, so it costs little.
std::map<std::uint64_t, std::string> EventLines(const std::filesystem::path& history,
                                                const std::set<std::uint64_t>& wanted) {
  std::map<std::uint64_t, std::string> out;
  if (wanted.empty()) return out;
  std::ifstream in(history);
  for (std::string line; out.size() < wanted.size() && std::getline(in, line);) {
    const std::size_t at = line.find("\"i\":");
    if (at == std::string::npos) continue;
    const std::uint64_t i = std::strtoull(line.c_str() + at + 4, nullptr, 10);
    if (wanted.count(i) > 0) out.emplace(i, line);
  }
  return out;
}

// A run dir stands for its history.jsonl.
std::filesystem::path HistoryFile(const std::filesystem::path& path) {
  if (!std::filesystem::is_directory(path)) return path;
  std::filesystem::path file = path / "history.jsonl";
  if (!std::filesystem::exists(file)) {
    throw UsageError(path.string() + " is a directory without a history.jsonl; pass a run dir "
                     "or a history file");
  }
  return file;
}

}  // namespace

std::vector<std::string> RecordedCheckers(const nlohmann::json& checks) {
  std::vector<std::string> names;
  if (!checks.is_object() || !checks.contains("checkers") || !checks["checkers"].is_array()) {
    return names;
  }
  for (const nlohmann::json& name : checks["checkers"]) {
    if (name.is_string()) names.push_back(name.get<std::string>());
  }
  return names;
}

int ExitCodeFor(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid: return kExitValid;
    case checkers::Validity::kInvalid: return kExitInvalid;
    case checkers::Validity::kUnknown: return kExitUnknown;
  }
  return kExitUnknown;
}

CheckOutcome CheckHistory(const std::filesystem::path& path, const CheckSettings& settings) {
  const std::filesystem::path history = HistoryFile(path);
  const nlohmann::json start = RunStart(history);
  const nlohmann::json checks =
      start.is_object() ? start.value("checks", nlohmann::json()) : nlohmann::json();
  CheckOutcome out;
  out.options = ResolveOptions(checks, settings.overrides, history);
  out.run = start.is_object() ? start.value("config", nlohmann::json()) : nlohmann::json();
  out.checker_names = settings.checkers;
  if (out.checker_names.empty()) out.checker_names = RecordedCheckers(checks);
  if (out.checker_names.empty()) out.checker_names = checkers::DefaultCheckerNames();

  std::vector<std::unique_ptr<checkers::Checker>> list;
  for (const std::string& name : out.checker_names) {
    try {
      list.push_back(checkers::MakeChecker(name, out.options));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  HtmlReport report;
  auto tap = std::make_unique<ReportTap>(settings.html ? &report : nullptr);
  const ReportTap& run_end = *tap;
  list.push_back(std::move(tap));

  std::ifstream in(history);
  if (!in) throw UsageError("cannot read " + history.string() + ": " + std::strerror(errno));
  histories::HistoryReader reader(in, history.string(), settings.lenient);
  try {
    out.verdicts = checkers::RunCheckers(reader, list);
  } catch (const histories::HistoryError& e) {
    throw UsageError(e.what());
  }
  out.verdicts.pop_back();  // the tap's empty verdict
  out.skipped_lines = reader.skipped();
  out.events = reader.events();
  out.interrupted = run_end.interrupted();
  out.partial = run_end.unfinished();
  out.warnings = run_end.warnings();
  std::set<std::uint64_t> evidence;
  for (const auto& v : out.verdicts) evidence.insert(v.evidence.begin(), v.evidence.end());
  // The report shows each piece of evidence with the events just before and
  // after it (for the first kReportedEvidence pieces).
  std::set<std::uint64_t> wanted = evidence;
  std::size_t with_context = 0;
  for (std::uint64_t i : evidence) {
    if (++with_context > kReportedEvidence) break;
    for (std::uint64_t k = i >= kContextEvents ? i - kContextEvents : 0; k <= i + kContextEvents; ++k) {
      wanted.insert(k);
    }
  }
  std::map<std::uint64_t, std::string> lines = EventLines(history, wanted);
  for (std::uint64_t i : evidence) {
    if (auto it = lines.find(i); it != lines.end()) out.evidence_events.emplace(i, it->second);
  }
  out.ended_at_s = run_end.last_time();
  out.overall = checkers::Validity::kValid;
  for (const auto& v : out.verdicts) out.overall = checkers::Merge(out.overall, v.valid);
  if (out.skipped_lines > 0 || out.interrupted || out.partial) {
    out.overall = checkers::Merge(out.overall, checkers::Validity::kUnknown);
  }
  if (settings.html) {
    std::string title = settings.title;
    if (out.interrupted) title += " (interrupted at " + Seconds(out.ended_at_s) + " s)";
    if (out.partial) title += " (partial: the history ends at " + Seconds(out.ended_at_s) + " s)";
    out.html = report.Render(title, out.verdicts, out.overall, lines, out.warnings);
  }
  return out;
}

nlohmann::json ResultsFor(const CheckOutcome& outcome) {
  nlohmann::json checks = checkers::ToJson(outcome.options);
  checks["checkers"] = outcome.checker_names;
  nlohmann::json run = {{"interrupted", outcome.interrupted}, {"run", outcome.run},
                        {"checks", std::move(checks)}};
  if (outcome.interrupted) run["interrupted_at_s"] = outcome.ended_at_s;
  if (outcome.partial) {
    run["partial"] = true;
    run["ended_at_s"] = outcome.ended_at_s;
  }
  if (outcome.skipped_lines > 0) run["skipped_lines"] = outcome.skipped_lines;
  run["warnings"] = outcome.warnings;
  if (!outcome.controller.is_null()) run["controller"] = outcome.controller;
  return checkers::ResultsJson(outcome.verdicts, outcome.overall, run);
}

void WriteReports(const RunDir& dir, const CheckOutcome& outcome, const std::string& suite,
                  double seconds) {
  dir.WriteFile("results.json", ResultsFor(outcome).dump(2) + "\n");
  const std::string interrupted =
      outcome.interrupted ? "the run was interrupted at " + Seconds(outcome.ended_at_s) +
                                " s of " + Seconds(seconds) +
                                " s; the verdicts cover only what was recorded"
                          : "";
  dir.WriteFile("junit.xml", checkers::JUnitXml(outcome.verdicts, suite, seconds, interrupted));
  dir.WriteFile("report.html", outcome.html);
}

std::filesystem::path RegenerateReport(const std::filesystem::path& run_dir) {
  if (!std::filesystem::is_directory(run_dir) ||
      !std::filesystem::exists(run_dir / "history.jsonl")) {
    throw UsageError(run_dir.string() + ": not a run dir (it has no history.jsonl)");
  }
  CheckSettings settings;
  std::ifstream config_in(run_dir / "config.json");
  const nlohmann::json config = nlohmann::json::parse(config_in, nullptr, false);
  settings.title = run_dir.filename().string();
  if (config.is_object() && config.contains("test") && config.contains("seed")) {
    settings.title = config["test"].get<std::string>() + ", seed " + config["seed"].dump();
  }
  const CheckOutcome outcome = CheckHistory(run_dir, settings);
  const std::filesystem::path report = run_dir / "report.html";
  const std::string error =
      histories::WriteFileAtomically(report, outcome.html, histories::Durability::kFile);
  if (!error.empty()) throw std::runtime_error(error);
  return report;
}

}  // namespace schism::harness
