// The fast path of ParseEventLine must agree with the full JSON parse.

#include "histories/scan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace schism::histories {
namespace {

// `line` with an extra field whose escaped key ("\u0078" is "x") the fast
// path refuses, so that ParseEventLine takes the nlohmann::json path.
std::string ForceSlowPath(std::string line) {
  const std::size_t close = line.rfind('}');
  line.insert(close, R"(,"\u0078":0)");
  return line;
}

class ScanAgrees : public ::testing::TestWithParam<const char*> {};

TEST_P(ScanAgrees, WithFullParse) {
  const std::string line = GetParam();
  Event fast;
  internal::SeenFields seen;
  ASSERT_TRUE(internal::ScanEventLine(line, fast, seen)) << line;
  Event slow = ParseEventLine(ForceSlowPath(line));
  ASSERT_EQ(slow.detail["x"], 0);
  slow.detail.erase("x");
  EXPECT_EQ(ParseEventLine(line), slow) << line;
  EXPECT_EQ(fast.time, slow.time) << line;  // Bit for bit, not only to the microsecond.
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ScanAgrees,
    ::testing::Values(
        R"({"i":0,"t":0.000000,"type":"run","f":"start","nodes":["n1","n2","n3"],"seed":42})",
        R"({"i":9,"t":0.412001,"type":"role","node":"n3","role":"leader","term":1})",
        R"({"i":10,"t":0.4121,"type":"vote","node":"n1","term":1,"for":"n3"})",
        R"({"i":11,"t":0.5,"type":"lease","node":"n3","term":1,"token":42,"lease_ms":2000})",
        R"(  { "i" : 12 , "t" : 1e-3 , "type" : "role" , "node" : "n1" , "role" : "follower" } )",
        R"({"i":13,"t":7,"type":"role","node":"n1","role":"follower","term":null,"leader":null})",
        R"({"i":14,"t":0.1,"type":"role","node":"n1","role":"leader","role":"candidate"})",
        R"({"i":15,"t":0.1,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]],"grudge":{"n1":["n2"]}})",
        R"({"i":16,"t":0.1,"type":"process","f":"exit","node":"n2","status":-1,"ok":false,"why":"a \"quoted\" \\ word","r":2.5E+3})",
        R"({"i":17,"t":12345678.123456,"type":"run","f":"end","nested":[{"a":[1,{"b":"}"}]}]})",
        R"({"i":18446744073709551615,"t":0,"type":"run"})"));

TEST(Scan, GivesUpOnWhatItDoesNotKnow) {
  for (const char* line : {
           R"({"i":1,"t":1,"type":"role","node":"n\u0031","role":"leader"})",  // An escape.
           R"({"i":1,"t":1,"type":"role","node":"nœ","role":"leader"})",       // Non-ASCII.
           R"({"i":-1,"t":1,"type":"run"})",
           R"({"i":1.0,"t":1,"type":"run"})",
           R"({"i":01,"t":1,"type":"run"})",
           R"({"i":18446744073709551616,"t":1,"type":"run"})",
           R"({"i":1,"t":-1,"type":"run"})",
           R"({"i":1,"t":.5,"type":"run"})",
           R"({"i":1,"t":1,"type":"king"})",
           R"({"i":1,"t":1,"type":"role","node":"n1","role":"king"})",
           R"({"i":1,"t":1,"type":"run","x":[1,2})",
           R"({"i":1,"t":1,"type":"run","x":tru})",
           R"({"i":1,"t":1,"type":"run"} x)",
           R"({"i":1,"t":1,"type":"run",})",
           R"({"i":1,"t":1,"type":"run")",
       }) {
    Event e;
    internal::SeenFields seen;
    EXPECT_FALSE(internal::ScanEventLine(line, e, seen)) << line;
  }
}

// Found by the fuzzer: a line that ends inside a string, on a backslash, was
// read past its end. The bytes sit in a buffer of exactly their size, with no
// terminator after them, so that AddressSanitizer sees any read beyond.
TEST(Scan, StopsAtALineThatEndsOnABackslash) {
  const std::string text = R"({"i":1,"t":1,"type":"run","x":"ab\)";
  const auto bytes = std::make_unique<char[]>(text.size());
  std::memcpy(bytes.get(), text.data(), text.size());
  Event e;
  internal::SeenFields seen;
  EXPECT_FALSE(internal::ScanEventLine(std::string_view(bytes.get(), text.size()), e, seen));
}

}  // namespace
}  // namespace schism::histories
