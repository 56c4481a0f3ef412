// RESP, redis's protocol: what redis-lock sends and how it reads replies.
#include "nodes/resp.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace schism::nodes::resp {
namespace {

TEST(Resp, EncodesACommandAsAnArrayOfBulkStrings) {
  EXPECT_EQ(Encode({"MGET", "lock", "fence"}), "*3\r\n$4\r\nMGET\r\n$4\r\nlock\r\n$5\r\nfence\r\n");
  EXPECT_EQ(Encode({""}), "*1\r\n$0\r\n\r\n");
}

TEST(Resp, ParsesEachKindOfReply) {
  auto status = Parse("+OK\r\n");
  ASSERT_TRUE(status);
  EXPECT_EQ(status->first.kind, Reply::Kind::kStatus);
  EXPECT_EQ(status->first.text, "OK");
  EXPECT_EQ(status->second, 5u);

  auto error = Parse("-ERR wrong\r\n");
  ASSERT_TRUE(error);
  EXPECT_EQ(error->first.kind, Reply::Kind::kError);
  EXPECT_EQ(error->first.text, "ERR wrong");

  auto integer = Parse(":-42\r\n");
  ASSERT_TRUE(integer);
  EXPECT_EQ(integer->first.integer, -42);

  auto array = Parse("*2\r\n$2\r\nn1\r\n$-1\r\nextra");
  ASSERT_TRUE(array);
  EXPECT_EQ(array->first.kind, Reply::Kind::kArray);
  ASSERT_EQ(array->first.items.size(), 2u);
  EXPECT_EQ(array->first.items[0].text, "n1");
  EXPECT_EQ(array->first.items[1].kind, Reply::Kind::kNull);
  EXPECT_EQ(array->second, 17u) << "stops where the reply ends";
}

TEST(Resp, APartialReplyWaitsForMore) {
  EXPECT_FALSE(Parse(""));
  EXPECT_FALSE(Parse(":4"));
  EXPECT_FALSE(Parse("$5\r\nabc"));
  EXPECT_FALSE(Parse("*2\r\n:1\r\n"));
}

TEST(Resp, GarbageIsAnErrorNamingIt) {
  EXPECT_THROW(Parse("?\r\n"), std::runtime_error);
  EXPECT_THROW(Parse(":12x\r\n"), std::runtime_error);
  try {
    Parse("HTTP/1.1 400\r\n");
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "redis reply: unknown type byte 'H'");
  }
}

}  // namespace
}  // namespace schism::nodes::resp
