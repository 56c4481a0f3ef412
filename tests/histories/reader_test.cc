#include "histories/reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

namespace schism::histories {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kHistory[] = R"({"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2","n3"]})"
                            "\n\n"
                            R"({"i":1,"t":0.1,"type":"process","f":"start","node":"n1"})"
                            "\r\n"
                            "   \n"
                            R"({"i":3,"t":0.4,"type":"role","node":"n1","role":"leader","term":1})"
                            "\n";

TEST(HistoryReader, ReadsEventsSkippingBlankLines) {
  std::istringstream in(kHistory);
  HistoryReader reader(in, "h.jsonl");
  Event e;
  ASSERT_TRUE(reader.Next(e));
  EXPECT_EQ(e.index, 0u);
  EXPECT_EQ(reader.line_number(), 1u);
  ASSERT_TRUE(reader.Next(e));
  EXPECT_EQ(e.index, 1u);
  EXPECT_EQ(e.node, "n1");
  EXPECT_EQ(reader.line_number(), 3u);
  ASSERT_TRUE(reader.Next(e));
  EXPECT_EQ(e.index, 3u);
  EXPECT_EQ(reader.line_number(), 5u);
  EXPECT_FALSE(reader.Next(e));
  EXPECT_FALSE(reader.Next(e));
  EXPECT_EQ(reader.events(), 3u);
  EXPECT_EQ(reader.skipped(), 0u);
}

TEST(HistoryReader, ErrorNamesSourceAndLine) {
  std::istringstream in(std::string(kHistory) + R"({"i":4,"t":1,"type":"bogus"})" + "\n");
  HistoryReader reader(in, "runs/h.jsonl");
  Event e;
  for (int k = 0; k < 3; ++k) ASSERT_TRUE(reader.Next(e));
  try {
    reader.Next(e);
    FAIL() << "no error";
  } catch (const HistoryError& error) {
    EXPECT_STREQ(error.what(), R"(runs/h.jsonl:6: unknown event type "bogus")");
  }
}

TEST(HistoryReader, IndexMustIncrease) {
  std::istringstream in("{\"i\":5,\"t\":0,\"type\":\"run\"}\n{\"i\":5,\"t\":0,\"type\":\"run\"}\n");
  HistoryReader reader(in, "h");
  Event e;
  ASSERT_TRUE(reader.Next(e));
  try {
    reader.Next(e);
    FAIL() << "no error";
  } catch (const HistoryError& error) {
    EXPECT_THAT(error.what(), StartsWith("h:2: \"i\" 5 does not follow"));
  }
}

TEST(HistoryReader, TruncatedLastLineIsPointedOut) {
  std::istringstream in("{\"i\":0,\"t\":0,\"type\":\"run\"}\n{\"i\":1,\"t\":0.5,\"ty");
  HistoryReader reader(in, "h");
  Event e;
  ASSERT_TRUE(reader.Next(e));
  try {
    reader.Next(e);
    FAIL() << "no error";
  } catch (const HistoryError& error) {
    EXPECT_THAT(error.what(), StartsWith("h:2: not JSON"));
    EXPECT_THAT(error.what(), HasSubstr("cut short"));
  }
}

TEST(HistoryReader, LenientSkipsAndCounts) {
  std::istringstream in(
      "{\"i\":0,\"t\":0,\"type\":\"run\"}\n"
      "garbage\n"
      "{\"i\":0,\"t\":0,\"type\":\"run\"}\n"
      "{\"i\":2,\"t\":0,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\"}\n"
      "{\"i\":3,\"t\":0,\"type\":\"vote\"}\n");
  HistoryReader reader(in, "h", /*lenient=*/true);
  Event e;
  ASSERT_TRUE(reader.Next(e));
  EXPECT_EQ(e.index, 0u);
  ASSERT_TRUE(reader.Next(e));
  EXPECT_EQ(e.index, 2u);
  EXPECT_EQ(reader.line_number(), 4u);
  EXPECT_FALSE(reader.Next(e));
  EXPECT_EQ(reader.skipped(), 3u);
  EXPECT_EQ(reader.events(), 2u);
  EXPECT_THAT(reader.first_skip_reason(), StartsWith("h:2: not JSON"));
}

}  // namespace
}  // namespace schism::histories
