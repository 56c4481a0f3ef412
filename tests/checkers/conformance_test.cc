// The checklist of `schism conform` (checkers/conformance.h) on small
// hand-written histories and verdicts.
#include "checkers/conformance.h"

#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "histories/reader.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

std::vector<histories::Event> Parse(const std::string& jsonl) {
  std::istringstream in(jsonl);
  histories::HistoryReader reader(in, "test.jsonl");
  std::vector<histories::Event> events;
  for (histories::Event e; reader.Next(e);) events.push_back(e);
  return events;
}

Verdict Valid(const std::string& checker) { return {checker, Validity::kValid, "fine", {}, nullptr}; }

std::vector<Verdict> AllValid() {
  return {Valid("election-safety"), Valid("quorum"), Valid("vote-once"), Valid("liveness"),
          Valid("term-monotonic"), Valid("split-brain")};
}

// Three nodes keep the contract through the script: a leader, its kill and
// a successor, a voter killed and restarted, a SIGTERM obeyed, own sockets.
const std::string kStart = R"(
{"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":11}
{"i":2,"t":0.1,"type":"process","f":"start","node":"n2","pid":12}
{"i":3,"t":0.1,"type":"process","f":"start","node":"n3","pid":13}
{"i":4,"t":0.2,"type":"role","node":"n1","role":"candidate","term":1}
{"i":5,"t":0.2,"type":"vote","node":"n1","term":1,"for":"n1"}
{"i":6,"t":0.3,"type":"role","node":"n2","role":"follower","term":1}
{"i":7,"t":0.3,"type":"role","node":"n3","role":"follower","term":1}
{"i":8,"t":0.4,"type":"vote","node":"n2","term":1,"for":"n1"}
{"i":9,"t":0.5,"type":"role","node":"n1","role":"leader","term":1}
)";
const std::string kKill = R"(
{"i":10,"t":8.0,"type":"nemesis","f":"kill","node":"n1","phase":"start","target":"leader"}
{"i":11,"t":8.0,"type":"process","f":"kill","node":"n1","pid":11,"signal":9}
{"i":12,"t":8.6,"type":"role","node":"n2","role":"leader","term":2}
{"i":13,"t":14.3,"type":"nemesis","f":"kill","node":"n3","phase":"start","target":"voter"}
{"i":14,"t":14.4,"type":"process","f":"start","node":"n3","pid":23}
{"i":15,"t":14.5,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
)";
const std::string kTerm = R"(
{"i":16,"t":42.0,"type":"nemesis","f":"term","node":"n3","phase":"start","grace":3.0}
{"i":17,"t":42.0,"type":"process","f":"term","node":"n3","pid":23,"signal":15}
{"i":18,"t":42.1,"type":"process","f":"exit","node":"n3","pid":23,"code":0,"after":"term"}
)";
const std::string kEnd = R"(
{"i":19,"t":60.0,"type":"run","f":"stopping","why":"end of run"}
{"i":20,"t":60.0,"type":"process","f":"sockets","node":"n1","pid":31,"bound":["udp 10.241.0.1:7000"],"foreign":[]}
{"i":21,"t":60.1,"type":"run","f":"end"}
)";

const ConformItem& Get(const std::vector<ConformItem>& items, const std::string& name) {
  for (const ConformItem& item : items) {
    if (item.name == name) return item;
  }
  throw std::out_of_range(name);
}

TEST(Conformance, AnElectorThatKeepsTheContractPassesEveryItem) {
  const auto items = ConformChecklist(Parse(kStart + kKill + kTerm + kEnd), AllValid());
  ASSERT_EQ(items.size(), 10u);
  for (const ConformItem& item : items) {
    EXPECT_EQ(ToString(item.status), "pass") << item.name << ": " << item.detail;
    EXPECT_TRUE(item.evidence.empty()) << item.name;
  }
  EXPECT_EQ(ConformExitCode(items), 0);
  EXPECT_EQ(Get(items, "failover").detail, "n1 killed; n2 leads after 0.600 s");
  EXPECT_EQ(Get(items, "sigterm").detail, "n3 exited 0.100 s after SIGTERM (status 0)");
  EXPECT_THAT(Get(items, "vote-memory").detail, HasSubstr("restarted: n3"));
}

TEST(Conformance, IgnoredContractLinesFailTheLinesItemWithTheFirstOne) {
  const std::string end = R"(
{"i":19,"t":60.0,"type":"run","f":"stopping","why":"end of run"}
{"i":20,"t":60.1,"type":"run","f":"end","ignored_lines":{"n2":{"count":3,"first":"{\"event\":\"rol\"}","reason":"unknown event \"rol\""}}}
)";
  const auto items = ConformChecklist(Parse(kStart + kKill + kTerm + end), AllValid());
  const ConformItem& lines = Get(items, "lines");
  EXPECT_EQ(ToString(lines.status), "FAIL");
  EXPECT_EQ(lines.detail, "n2: 3 ignored, the first {\"event\":\"rol\"} (unknown event \"rol\")");
  EXPECT_EQ(lines.evidence, std::vector<std::uint64_t>{20});
  EXPECT_EQ(ConformExitCode(items), 1);
}

TEST(Conformance, ANodeThatNeverSpeaksFailsTheStartsItem) {
  const std::string history = R"(
{"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2"]}
{"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":11}
{"i":2,"t":0.1,"type":"process","f":"start","node":"n2","pid":12}
{"i":3,"t":0.2,"type":"role","node":"n1","role":"leader","term":1}
{"i":4,"t":60.0,"type":"run","f":"end"}
)";
  const ConformItem starts = Get(ConformChecklist(Parse(history), AllValid()), "starts");
  EXPECT_EQ(ToString(starts.status), "FAIL");
  EXPECT_EQ(starts.detail, "no contract line in time from n2 (never)");
  EXPECT_EQ(starts.evidence, std::vector<std::uint64_t>{2});
}

TEST(Conformance, NoOtherLeaderAfterTheLeadersKillFailsFailover) {
  const std::string kill = R"(
{"i":10,"t":8.0,"type":"nemesis","f":"kill","node":"n1","phase":"start","target":"leader"}
{"i":11,"t":10.0,"type":"process","f":"start","node":"n1","pid":21}
{"i":12,"t":10.5,"type":"role","node":"n1","role":"leader","term":2}
)";
  const ConformItem failover = Get(ConformChecklist(Parse(kStart + kill + kEnd), AllValid()),
                                   "failover");
  EXPECT_EQ(ToString(failover.status), "FAIL");
  EXPECT_EQ(failover.detail, "n1 killed; no other node led after it");
  EXPECT_EQ(failover.evidence, std::vector<std::uint64_t>{10});
}

TEST(Conformance, ASecondVoteInATermFailsVoteMemoryWithTheVotes) {
  std::vector<Verdict> verdicts = AllValid();
  verdicts[2] = {"vote-once", Validity::kInvalid, "n3 voted twice in term 2: for n1 (i=30) and for n2 (i=31)",
                 {30, 31}, nullptr};
  const auto items = ConformChecklist(Parse(kStart + kKill + kTerm + kEnd), verdicts);
  const ConformItem& memory = Get(items, "vote-memory");
  EXPECT_EQ(ToString(memory.status), "FAIL");
  EXPECT_EQ(memory.detail, verdicts[2].reason);
  EXPECT_EQ(memory.evidence, (std::vector<std::uint64_t>{30, 31}));
  EXPECT_EQ(ConformExitCode(items), 1);
}

TEST(Conformance, VoteMemoryIsUnknownWhenNoVoterWasKilled) {
  const auto items = ConformChecklist(Parse(kStart + kTerm + kEnd), AllValid());
  const ConformItem& memory = Get(items, "vote-memory");
  EXPECT_EQ(ToString(memory.status), "unknown");
  EXPECT_THAT(memory.detail, HasSubstr("not exercised"));
  EXPECT_EQ(ToString(Get(items, "failover").status), "unknown");
  EXPECT_EQ(ConformExitCode(items), 2);
}

TEST(Conformance, ATermlessElectorWithoutVotesHasNoTermOrVoteItems) {
  const std::string history = R"(
{"i":0,"t":0.0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.1,"type":"process","f":"start","node":"n1","pid":11}
{"i":2,"t":0.2,"type":"role","node":"n1","role":"leader"}
)";
  const auto items = ConformChecklist(Parse(history), AllValid());
  EXPECT_EQ(ToString(Get(items, "vote-memory").status), "n/a");
  EXPECT_EQ(ToString(Get(items, "terms").status), "n/a");
  EXPECT_EQ(Get(items, "terms").detail, "the elector prints no terms");
}

TEST(Conformance, ANodeKilledAtTheEndOfItsGraceFailsSigterm) {
  const std::string term = R"(
{"i":16,"t":42.0,"type":"nemesis","f":"term","node":"n3","phase":"start","grace":3.0}
{"i":17,"t":42.0,"type":"process","f":"term","node":"n3","pid":23,"signal":15}
{"i":18,"t":45.0,"type":"process","f":"kill","node":"n3","pid":23,"signal":9,"escalated":"term grace over"}
)";
  const ConformItem sigterm =
      Get(ConformChecklist(Parse(kStart + kKill + term + kEnd), AllValid()), "sigterm");
  EXPECT_EQ(ToString(sigterm.status), "FAIL");
  EXPECT_EQ(sigterm.detail, "n3 did not exit within 3.000 s of SIGTERM and was killed");
  EXPECT_EQ(sigterm.evidence, (std::vector<std::uint64_t>{16, 18}));
}

TEST(Conformance, ASocketOnEveryAddressFailsOwnAddress) {
  const std::string end = R"(
{"i":19,"t":60.0,"type":"process","f":"sockets","node":"n1","pid":31,"bound":["tcp 0.0.0.0:7000"],"foreign":["tcp 0.0.0.0:7000"]}
{"i":20,"t":60.0,"type":"process","f":"sockets","node":"n2","pid":32,"bound":["tcp 10.241.0.2:7000"],"foreign":[]}
{"i":21,"t":60.1,"type":"run","f":"end"}
)";
  const ConformItem own =
      Get(ConformChecklist(Parse(kStart + kKill + kTerm + end), AllValid()), "own-address");
  EXPECT_EQ(ToString(own.status), "FAIL");
  EXPECT_EQ(own.detail, "bound beyond its own address: n1 tcp 0.0.0.0:7000");
  EXPECT_EQ(own.evidence, std::vector<std::uint64_t>{19});
}

TEST(Conformance, AnInvalidSafetyCheckerFailsSafetyWithItsEvidence) {
  std::vector<Verdict> verdicts = AllValid();
  verdicts[0] = {"election-safety", Validity::kInvalid, "two leaders in term 2", {9, 12}, nullptr};
  const ConformItem safety =
      Get(ConformChecklist(Parse(kStart + kKill + kTerm + kEnd), verdicts), "safety");
  EXPECT_EQ(ToString(safety.status), "FAIL");
  EXPECT_EQ(safety.detail, "election-safety: two leaders in term 2");
  EXPECT_EQ(safety.evidence, (std::vector<std::uint64_t>{9, 12}));
}

}  // namespace
}  // namespace schism::checkers
