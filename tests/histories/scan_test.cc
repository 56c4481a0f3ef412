// The fast path of ParseEventLine must agree with the full JSON parse.

#include "histories/scan.h"

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
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

// Digits of every length around the scanner's eight-at-a-time steps, in
// every field that holds a number, and keys and values spelled as the writer
// spells them or nearly so: whatever the fast path accepts, it must read as
// the full parse does.
TEST(Scan, AgreesWithFullParseOnGeneratedLines) {
  std::mt19937_64 random(20261202);  // Fixed: the same lines every run.
  auto digits = [&random](std::size_t count) {
    std::string text;
    for (std::size_t k = 0; k < count; ++k) text += static_cast<char>('0' + random() % 10);
    if (count > 1 && text[0] == '0') text[0] = '1';
    return text;
  };
  auto number = [&](bool fraction) {
    std::string text = digits(1 + random() % 22);
    if (fraction && random() % 2 == 0) text += "." + digits(1 + random() % 18);
    if (fraction && random() % 8 == 0) text += "e-" + digits(1 + random() % 2);
    return text;
  };
  const char* types[] = {"lease", "role", "vote", "run", "process", "nemesis", "roles", "leas"};
  const char* roles[] = {"leader", "follower", "candidate", "leaders", "follow"};
  std::size_t scanned = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string line = "{\"i\":" + number(false) + ",\"t\":" + number(true) + ",\"type\":\"" +
                       types[random() % 8] + "\"";
    if (random() % 2) line += std::string(",\"role\":\"") + roles[random() % 5] + "\"";
    if (random() % 2) line += ",\"node\":\"n" + digits(1 + random() % 12) + "\"";
    if (random() % 2) line += ",\"term\":" + number(false);
    if (random() % 2) line += ",\"token\":" + number(false);
    if (random() % 3 == 0) line += ",\"lease_ms\":" + number(false);
    if (random() % 4 == 0) line += ",\"leader_x\":" + number(false);
    line += "}";
    Event fast;
    internal::SeenFields seen;
    if (!internal::ScanEventLine(line, fast, seen)) continue;
    ++scanned;
    Event slow;
    try {
      slow = ParseEventLine(ForceSlowPath(line));
    } catch (const HistoryError& slow_error) {  // E.g. a lease without "node": the same complaint.
      try {
        ParseEventLine(line);
        ADD_FAILURE() << "accepted what the full parse refuses: " << line;
      } catch (const HistoryError& fast_error) {
        EXPECT_STREQ(fast_error.what(), slow_error.what()) << line;
      }
      continue;
    }
    slow.detail.erase("x");
    EXPECT_EQ(fast, slow) << line;
    EXPECT_EQ(fast.time, slow.time) << line;  // Bit for bit.
  }
  EXPECT_GT(scanned, 5000u);  // The fast path took a good share (8,791 of these lines).
}

// What the written path reads must equal what the general path reads, to the
// bit of the time, and it must be complete, whatever `written` held before.
void ExpectWrittenAgrees(const std::string& line, Event written = {}) {
  ASSERT_TRUE(internal::ScanWrittenLine(line, written)) << line;
  Event general;
  internal::SeenFields seen;
  ASSERT_TRUE(internal::ScanGeneralLine(line, general, seen)) << line;
  EXPECT_TRUE(seen.index && seen.time && seen.type) << line;
  EXPECT_EQ(written, general) << line;
  EXPECT_EQ(written.time, general.time) << line;
}

// A random event of the kinds the writer writes, without detail.
Event RandomEvent(std::mt19937_64& random, std::uint64_t index) {
  const EventType types[] = {EventType::kRun,  EventType::kProcess, EventType::kRole,
                             EventType::kVote, EventType::kLease,   EventType::kNemesis};
  const Role roles[] = {Role::kLeader, Role::kFollower, Role::kCandidate};
  const char* names[] = {"n1", "n12", "node-7", "a longer name with spaces", "x"};
  auto some = [&random] { return random() % 2 == 0; };
  auto large = [&random] {
    // Every length of number from one digit to 19 (20 are left to the
    // general path, which checks them for overflow).
    return (random() >> (random() % 64)) % 10'000'000'000'000'000'000u;
  };
  Event e;
  e.index = index;
  e.time = static_cast<double>(random() % 100'000'000'000) / 1e6;  // Up to 11 digits, 6 decimals.
  e.type = types[random() % 6];
  if (some()) e.f = names[random() % 5];
  if (e.type == EventType::kRole || e.type == EventType::kVote || e.type == EventType::kLease ||
      some()) {
    e.node = names[random() % 5];
  }
  if (e.type == EventType::kRole || some()) e.role = roles[random() % 3];
  if (some()) e.term = large();
  if (some()) e.leader = names[random() % 5];
  if (e.type == EventType::kVote || some()) e.vote_for = names[random() % 5];
  if (some()) e.token = large();
  if (e.type == EventType::kLease || some()) e.lease_ms = large();
  return e;
}

// Every line the writer writes without detail and without numbers of 20
// digits takes the written path, and reads back as the event it was written
// from, into an event that held the one before.
TEST(ScanWritten, TakesEveryLineTheWriterWrites) {
  std::mt19937_64 random(20261202);
  Event read;  // Holds the event before, as a reader's does: what a line lacks must go.
  read.detail = {{"x", 1}};
  for (std::uint64_t n = 0; n < 5000; ++n) {
    const Event event = RandomEvent(random, n);
    const std::string line = FormatEvent(event);
    ASSERT_TRUE(internal::ScanWrittenLine(line, read)) << line;
    EXPECT_EQ(read, event) << line;
    ExpectWrittenAgrees(line);
  }
}

// Lines spelled otherwise than the writer spells them, which the general path
// reads: the written path leaves them to it.
TEST(ScanWritten, LeavesOtherSpellingsToTheGeneralPath) {
  for (const char* line : {
           R"({"i":1,"t":1,"type":"run"} )",                  // A blank after the object.
           R"({ "i":1,"t":1,"type":"run"})",                  // A blank inside it.
           R"({"t":1,"i":1,"type":"run"})",                   // Another key order.
           R"({"i":1,"t":1e3,"type":"run"})",                 // An exponent.
           R"({"i":1,"t":1234567890.1234567,"type":"run"})",  // 17 digits.
           R"({"i":1,"t":1234567890123456,"type":"run"})",    // 16 digits.
           R"({"i":1,"t":1,"type":"run","seed":4})",          // A detail key.
           R"({"i":1,"t":1,"type":"role","node":"n1","role":"leader","term":null})",
           R"({"i":1,"t":1,"type":"role","node":null,"role":"leader"})",
           R"({"i":12345678901234567890,"t":1,"type":"run"})",  // 20 digits, < 2^64.
       }) {
    Event written;
    EXPECT_FALSE(internal::ScanWrittenLine(line, written)) << line;
    Event general;
    internal::SeenFields seen;
    EXPECT_TRUE(internal::ScanGeneralLine(line, general, seen)) << line;
  }
}

// Lines a byte away from the writer's: whatever the written path still
// takes, it must read as the general path does. Each written line is cut
// short, has a byte changed, or has one put in or left out, at every place.
TEST(ScanWritten, AgreesWithTheGeneralPathOnLinesNearTheWritersOnes) {
  std::mt19937_64 random(20261203);
  const char bytes[] = "0123456789.eE-+\" ,:{}nul\\x";
  std::size_t taken = 0;
  std::size_t tried = 0;
  for (std::uint64_t n = 0; n < 300; ++n) {
    const std::string line = FormatEvent(RandomEvent(random, random() >> (random() % 64)));
    for (std::size_t at = 0; at <= line.size(); ++at) {
      const char byte = bytes[random() % (sizeof bytes - 1)];
      std::string changed = line;
      switch (random() % 4) {
        case 0:
          changed.resize(at);
          break;
        case 1:
          if (at < changed.size()) changed[at] = byte;
          break;
        case 2:
          changed.insert(changed.begin() + static_cast<std::ptrdiff_t>(at), byte);
          break;
        default:
          if (at < changed.size()) changed.erase(at, 1);
          break;
      }
      // Its exact size, so that AddressSanitizer sees any read beyond.
      const auto copy = std::make_unique<char[]>(changed.size() + 1);
      std::memcpy(copy.get(), changed.data(), changed.size());
      const std::string_view view(copy.get(), changed.size());
      ++tried;
      Event written;
      if (!internal::ScanWrittenLine(view, written)) continue;
      ++taken;
      ExpectWrittenAgrees(changed, ParseEventLine(line));
    }
  }
  // Most changes break the line; a good share (a changed digit, a name) does not.
  EXPECT_GT(taken, tried / 10) << taken << " of " << tried;
  EXPECT_LT(taken, tried / 2) << taken << " of " << tried;
}

}  // namespace
}  // namespace schism::histories
