#include "harness/check.h"

#include <cerrno>
#include <cstring>
#include <fstream>

#include "checkers/report.h"
#include "harness/errors.h"
#include "harness/report_html.h"
#include "histories/reader.h"

namespace schism::harness {
namespace {

// Feeds every event it sees to the HTML report on its way to the checkers.
class ReportTap : public checkers::Checker {
 public:
  explicit ReportTap(HtmlReport& report) : report_(report) {}
  std::string_view name() const override { return "report"; }
  void Observe(const histories::Event& e) override { report_.Observe(e); }
  checkers::Verdict Finish() override { return {}; }

 private:
  HtmlReport& report_;
};

}  // namespace

int ExitCodeFor(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid: return kExitValid;
    case checkers::Validity::kInvalid: return kExitInvalid;
    case checkers::Validity::kUnknown: return kExitUnknown;
  }
  return kExitUnknown;
}

CheckOutcome CheckHistory(const std::filesystem::path& history, const CheckSettings& settings) {
  std::vector<std::string> names = settings.checkers.empty() ? checkers::CheckerNames() : settings.checkers;
  std::vector<std::unique_ptr<checkers::Checker>> list;
  for (const std::string& name : names) {
    try {
      list.push_back(checkers::MakeChecker(name, settings.options));
    } catch (const std::invalid_argument& e) {
      throw UsageError(e.what());
    }
  }
  HtmlReport report;
  if (settings.html) list.push_back(std::make_unique<ReportTap>(report));

  std::ifstream in(history);
  if (!in) throw UsageError("cannot read " + history.string() + ": " + std::strerror(errno));
  histories::HistoryReader reader(in, history.string(), settings.lenient);
  CheckOutcome out;
  try {
    out.verdicts = checkers::RunCheckers(reader, list);
  } catch (const histories::HistoryError& e) {
    throw UsageError(e.what());
  }
  if (settings.html) out.verdicts.pop_back();  // the tap's empty verdict
  out.skipped_lines = reader.skipped();
  out.events = reader.events();
  out.overall = checkers::Validity::kValid;
  for (const auto& v : out.verdicts) out.overall = checkers::Merge(out.overall, v.valid);
  if (out.skipped_lines > 0) {
    out.overall = checkers::Merge(out.overall, checkers::Validity::kUnknown);
  }
  if (settings.html) out.html = report.Render(settings.title, out.verdicts, out.overall);
  return out;
}

void WriteReports(const RunDir& dir, const CheckOutcome& outcome, const std::string& suite,
                  double seconds) {
  dir.WriteFile("results.json", checkers::ResultsJson(outcome.verdicts, outcome.overall).dump(2) + "\n");
  dir.WriteFile("junit.xml", checkers::JUnitXml(outcome.verdicts, suite, seconds));
  dir.WriteFile("report.html", outcome.html);
}

}  // namespace schism::harness
