#include "checkers/report.h"

#include <algorithm>
#include <cstdio>
#include <pugixml.hpp>
#include <sstream>

#include "checkers/reporting.h"

namespace schism::checkers {
namespace {

std::string EvidenceText(const std::vector<std::uint64_t>& evidence) {
  std::string text = "evidence (history i):";
  for (std::uint64_t i : evidence) text += " " + std::to_string(i);
  return text;
}

}  // namespace

nlohmann::json ResultsJson(const std::vector<Verdict>& verdicts, Validity overall,
                           const nlohmann::json& extra) {
  nlohmann::json list = nlohmann::json::array();
  for (const Verdict& v : verdicts) {
    list.push_back({{"checker", v.checker},
                    {"verdict", ToString(v.valid)},
                    {"valid", v.valid == Validity::kValid},
                    {"reason", v.reason},
                    {"evidence", v.evidence},
                    {"details", v.details.is_null() ? nlohmann::json::object() : v.details}});
  }
  nlohmann::json out = {{"schema", kResultsSchema},
                        {"verdict", ToString(overall)},
                        {"valid", overall == Validity::kValid}};
  if (extra.is_object()) out.update(extra);
  out["checkers"] = std::move(list);
  return out;
}

std::string JUnitXml(const std::vector<Verdict>& verdicts, std::string_view suite_name,
                     double seconds, const std::string& interrupted) {
  pugi::xml_document doc;
  pugi::xml_node decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";

  const auto count = [&verdicts](Validity validity) {
    return std::count_if(verdicts.begin(), verdicts.end(),
                         [validity](const Verdict& v) { return v.valid == validity; });
  };
  const std::string suite(suite_name);
  const std::string time = Seconds(seconds);
  pugi::xml_node suites = doc.append_child("testsuites");
  suites.append_attribute("name") = suite.c_str();
  const long long errors = interrupted.empty() ? 0 : 1;
  const long long tests = static_cast<long long>(verdicts.size()) + errors;
  suites.append_attribute("tests") = tests;
  suites.append_attribute("failures") = static_cast<long long>(count(Validity::kInvalid));
  suites.append_attribute("errors") = errors;
  suites.append_attribute("skipped") = static_cast<long long>(count(Validity::kUnknown));
  suites.append_attribute("time") = time.c_str();
  pugi::xml_node testsuite = suites.append_child("testsuite");
  testsuite.append_attribute("name") = suite.c_str();
  testsuite.append_attribute("tests") = tests;
  testsuite.append_attribute("failures") = static_cast<long long>(count(Validity::kInvalid));
  testsuite.append_attribute("errors") = errors;
  testsuite.append_attribute("skipped") = static_cast<long long>(count(Validity::kUnknown));
  testsuite.append_attribute("time") = time.c_str();

  for (const Verdict& v : verdicts) {
    pugi::xml_node testcase = testsuite.append_child("testcase");
    testcase.append_attribute("classname") = suite.c_str();
    testcase.append_attribute("name") = v.checker.c_str();
    testcase.append_attribute("time") = "0";
    if (v.valid == Validity::kInvalid) {
      pugi::xml_node failure = testcase.append_child("failure");
      failure.append_attribute("message") = v.reason.c_str();
      failure.append_attribute("type") = "invalid";
      failure.text() = (v.reason + "\n" + EvidenceText(v.evidence) + "\n").c_str();
    } else if (v.valid == Validity::kUnknown) {
      testcase.append_child("skipped").append_attribute("message") = v.reason.c_str();
    } else {
      testcase.append_child("system-out").text() = v.reason.c_str();
    }
  }
  if (!interrupted.empty()) {
    pugi::xml_node testcase = testsuite.append_child("testcase");
    testcase.append_attribute("classname") = suite.c_str();
    testcase.append_attribute("name") = "run";
    testcase.append_attribute("time") = time.c_str();
    pugi::xml_node error = testcase.append_child("error");
    error.append_attribute("message") = interrupted.c_str();
    error.append_attribute("type") = "interrupted";
  }
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

std::string VerdictTable(const std::vector<Verdict>& verdicts) {
  const std::string kHeads[] = {"checker", "verdict", "reason"};
  std::size_t name_width = kHeads[0].size();
  std::size_t verdict_width = kHeads[1].size();
  for (const Verdict& v : verdicts) {
    name_width = std::max(name_width, v.checker.size());
    verdict_width = std::max(verdict_width, ToString(v.valid).size());
  }
  const auto pad = [](std::string_view text, std::size_t width) {
    std::string cell(text);
    cell.resize(std::max(width, cell.size()), ' ');
    return cell;
  };
  std::string out =
      pad(kHeads[0], name_width) + " | " + pad(kHeads[1], verdict_width) + " | " + kHeads[2] + "\n";
  out += std::string(name_width, '-') + "-+-" + std::string(verdict_width, '-') + "-+-" +
         std::string(kHeads[2].size() + 2, '-') + "\n";
  for (const Verdict& v : verdicts) {
    out += pad(v.checker, name_width) + " | " + pad(ToString(v.valid), verdict_width) + " | " +
           v.reason + "\n";
  }
  return out;
}

}  // namespace schism::checkers
