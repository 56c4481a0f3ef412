#include "checkers/report.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <pugixml.hpp>

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

std::vector<Verdict> Sample() {
  return {
      {"election-safety", Validity::kValid, "one leader in each of 3 terms", {}, {{"terms", 3}}},
      {"quorum", Validity::kInvalid, "n1 led term 1 with 1 vote & <fewer>", {4, 1}, nullptr},
      {"liveness", Validity::kUnknown, "history ends early", {}, nullptr},
  };
}

TEST(ResultsJson, VerdictIsThreeWayAndValidIsStrictlyBoolean) {
  nlohmann::json j = ResultsJson(Sample(), Validity::kInvalid, {{"interrupted", false}});
  EXPECT_EQ(j["schema"], kResultsSchema);
  EXPECT_EQ(j["verdict"], "invalid");
  EXPECT_EQ(j["valid"], false);
  EXPECT_EQ(j["interrupted"], false);
  ASSERT_EQ(j["checkers"].size(), 3u);
  EXPECT_EQ(j["checkers"][0]["checker"], "election-safety");
  EXPECT_EQ(j["checkers"][0]["verdict"], "valid");
  EXPECT_EQ(j["checkers"][0]["valid"], true);
  EXPECT_EQ(j["checkers"][0]["details"]["terms"], 3);
  EXPECT_EQ(j["checkers"][1]["verdict"], "invalid");
  EXPECT_EQ(j["checkers"][1]["valid"], false);
  EXPECT_EQ(j["checkers"][1]["evidence"], nlohmann::json({4, 1}));
  // An unknown verdict is never truthy: `if results["valid"]` must not pass it.
  EXPECT_EQ(j["checkers"][2]["verdict"], "unknown");
  EXPECT_EQ(j["checkers"][2]["valid"], false);
  nlohmann::json unknown = ResultsJson({}, Validity::kUnknown);
  EXPECT_EQ(unknown["verdict"], "unknown");
  EXPECT_EQ(unknown["valid"], false);
}

TEST(JUnitXml, AnInterruptedRunIsAnError) {
  const std::string xml = JUnitXml(Sample(), "raft", 20, "interrupted at 6.000 s of 20.000 s");
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_EQ(suite.attribute("tests").as_int(), 4);
  EXPECT_EQ(suite.attribute("errors").as_int(), 1);
  pugi::xml_node run = suite.find_child_by_attribute("testcase", "name", "run");
  ASSERT_TRUE(run);
  EXPECT_STREQ(run.child("error").attribute("message").value(),
               "interrupted at 6.000 s of 20.000 s");
}

TEST(JUnitXml, OneTestcasePerChecker) {
  const std::string xml = JUnitXml(Sample(), "raft-partition", 12.5);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str())) << xml;
  pugi::xml_node suite = doc.child("testsuites").child("testsuite");
  EXPECT_STREQ(suite.attribute("name").value(), "raft-partition");
  EXPECT_EQ(suite.attribute("tests").as_int(), 3);
  EXPECT_EQ(suite.attribute("failures").as_int(), 1);
  EXPECT_EQ(suite.attribute("skipped").as_int(), 1);
  EXPECT_STREQ(suite.attribute("time").value(), "12.500");
  pugi::xml_node c = suite.find_child_by_attribute("testcase", "name", "quorum");
  ASSERT_TRUE(c);
  EXPECT_STREQ(c.child("failure").attribute("message").value(),
               "n1 led term 1 with 1 vote & <fewer>");
  EXPECT_THAT(c.child("failure").text().get(), HasSubstr("evidence (history i): 4 1"));
  c = suite.find_child_by_attribute("testcase", "name", "liveness");
  EXPECT_STREQ(c.child("skipped").attribute("message").value(), "history ends early");
  c = suite.find_child_by_attribute("testcase", "name", "election-safety");
  EXPECT_FALSE(c.child("failure"));
  EXPECT_FALSE(c.child("skipped"));
}

TEST(VerdictTable, AlignsColumns) {
  EXPECT_EQ(VerdictTable(Sample()),
            "checker         | verdict | reason\n"
            "----------------+---------+---------\n"
            "election-safety | valid   | one leader in each of 3 terms\n"
            "quorum          | invalid | n1 led term 1 with 1 vote & <fewer>\n"
            "liveness        | unknown | history ends early\n");
}

}  // namespace
}  // namespace schism::checkers
