// The registry, RunCheckers and the merge of verdicts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>
#include <stdexcept>

#include "check_history.h"
#include "checkers/checker.h"
#include "histories/reader.h"

namespace schism::checkers {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Merge, InvalidBeatsUnknownBeatsValid) {
  constexpr Validity kV = Validity::kValid;
  constexpr Validity kI = Validity::kInvalid;
  constexpr Validity kU = Validity::kUnknown;
  EXPECT_EQ(Merge(kV, kV), kV);
  EXPECT_EQ(Merge(kV, kU), kU);
  EXPECT_EQ(Merge(kU, kV), kU);
  EXPECT_EQ(Merge(kU, kU), kU);
  EXPECT_EQ(Merge(kU, kI), kI);
  EXPECT_EQ(Merge(kI, kU), kI);
  EXPECT_EQ(Merge(kI, kV), kI);
  EXPECT_EQ(Merge(kV, kI), kI);
}

TEST(Registry, NamesAndFactory) {
  EXPECT_THAT(CheckerNames(),
              ElementsAre("election-safety", "quorum", "vote-once", "liveness", "term-monotonic",
                          "agreement", "lease", "fencing", "partition-quorum", "split-brain",
                          "faults-applied", "probes", "kpis", "service-failover"));
  EXPECT_THAT(DefaultCheckerNames(),
              ElementsAre("election-safety", "quorum", "vote-once", "liveness", "term-monotonic",
                          "agreement", "lease", "fencing", "partition-quorum", "split-brain",
                          "faults-applied", "probes", "kpis"));
  for (const std::string& name : CheckerNames()) {
    EXPECT_EQ(MakeChecker(name, {})->name(), name);
  }
}

TEST(FaultsApplied, AnUnsupportedFaultMakesTheVerdictUnknownWithTheReason) {
  auto check = [](const std::vector<std::string>& lines) {
    auto checker = MakeChecker("faults-applied", {});
    SharedContext shared;
    std::uint64_t i = 0;
    for (const std::string& line : lines) {
      histories::Event e = histories::ParseEventLine(line);
      e.index = i++;
      checker->Observe(e, shared.Next(e));
    }
    return checker->Finish();
  };
  Verdict ok = check({R"({"i":0,"t":1,"type":"nemesis","f":"partition","phase":"start"})",
                      R"({"i":1,"t":2,"type":"nemesis","f":"partition","phase":"end"})"});
  EXPECT_EQ(ok.valid, Validity::kValid);
  EXPECT_EQ(ok.reason, "1 fault(s) applied (this history records no proof that they took effect)");
  Verdict missed = check(
      {R"({"i":0,"t":1,"type":"nemesis","f":"partition","phase":"start"})",
       R"({"i":1,"t":2,"type":"nemesis","f":"clock","node":"n1","mode":"bump","unsupported":"etcd is a Go binary: libfaketime cannot change its clock"})"});
  EXPECT_EQ(missed.valid, Validity::kUnknown);
  EXPECT_NE(missed.reason.find("clock: etcd is a Go binary"), std::string::npos) << missed.reason;
  EXPECT_EQ(missed.evidence, (std::vector<std::uint64_t>{1}));
}

TEST(Registry, UnknownNameListsTheKnownOnes) {
  try {
    MakeChecker("linearizable", {});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "unknown checker \"linearizable\"; known: election-safety, quorum, vote-once, "
                 "liveness, term-monotonic, agreement, lease, fencing, partition-quorum, "
                 "split-brain, faults-applied, probes, kpis, service-failover");
  }
}

class Throwing : public Checker {
 public:
  explicit Throwing(bool in_observe) : in_observe_(in_observe) {}
  std::string_view name() const override { return "throwing"; }
  void Observe(const histories::Event& event, const EventContext& /*context*/) override {
    ++seen_;
    if (in_observe_ && event.index == 1) throw std::runtime_error("boom at i=1");
  }
  Verdict Finish() override {
    if (!in_observe_) throw std::logic_error("cannot finish");
    return {"throwing", Validity::kValid, "fine", {}, {}};
  }
  int seen_ = 0;

 private:
  bool in_observe_;
};

constexpr char kHistory[] =
    "{\"i\":0,\"t\":0,\"type\":\"run\",\"f\":\"start\",\"nodes\":[\"n1\"]}\n"
    "{\"i\":1,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n"
    "{\"i\":2,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":2}\n";

TEST(RunCheckers, ThrowingCheckerIsUnknownOthersCarryOn) {
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(std::make_unique<Throwing>(true));
  list.push_back(MakeChecker("election-safety", {}));
  list.push_back(std::make_unique<Throwing>(false));
  std::istringstream in(kHistory);
  histories::HistoryReader reader(in, "h");
  std::vector<Verdict> verdicts = RunCheckers(reader, list);
  ASSERT_EQ(verdicts.size(), 3u);
  EXPECT_EQ(verdicts[0].checker, "throwing");
  EXPECT_EQ(verdicts[0].valid, Validity::kUnknown);
  EXPECT_EQ(verdicts[0].reason, "checker failed: boom at i=1");
  EXPECT_EQ(static_cast<Throwing&>(*list[0]).seen_, 2);  // Not fed after it threw.
  EXPECT_EQ(verdicts[1].valid, Validity::kValid);
  EXPECT_EQ(verdicts[2].valid, Validity::kUnknown);
  EXPECT_EQ(verdicts[2].reason, "checker failed: cannot finish");
  EXPECT_EQ(static_cast<Throwing&>(*list[2]).seen_, 3);

  Validity overall = Validity::kValid;
  for (const Verdict& v : verdicts) overall = Merge(overall, v.valid);
  EXPECT_EQ(overall, Validity::kUnknown);
}

// Observes the types it is made with, and notes the "i" of each event fed.
class Picky : public Checker {
 public:
  explicit Picky(EventTypes types) : types_(types) {}
  std::string_view name() const override { return "picky"; }
  void Observe(const histories::Event& event, const EventContext& /*context*/) override {
    fed_.push_back(event.index);
  }
  Verdict Finish() override { return {"picky", Validity::kValid, "fine", {}, {}}; }
  EventTypes Observes() const override { return types_; }
  std::vector<std::uint64_t> fed_;

 private:
  EventTypes types_;
};

TEST(RunCheckers, FeedsACheckerOnlyTheTypesItObserves) {
  using histories::EventType;
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(std::make_unique<Picky>(TypeBit(EventType::kRole)));
  list.push_back(std::make_unique<Picky>(kEveryEventType));
  list.push_back(std::make_unique<Picky>(TypeBit(EventType::kVote) | TypeBit(EventType::kLease)));
  std::istringstream in(
      "{\"i\":0,\"t\":0,\"type\":\"run\",\"f\":\"start\",\"nodes\":[\"n1\"]}\n"
      "{\"i\":1,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"candidate\",\"term\":1}\n"
      "{\"i\":2,\"t\":1,\"type\":\"vote\",\"node\":\"n1\",\"term\":1,\"for\":\"n1\"}\n"
      "{\"i\":3,\"t\":2,\"type\":\"lease\",\"node\":\"n1\",\"term\":1,\"lease_ms\":50}\n"
      "{\"i\":4,\"t\":2,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n");
  histories::HistoryReader reader(in, "h");
  RunCheckers(reader, list);
  EXPECT_THAT(static_cast<Picky&>(*list[0]).fed_, ElementsAre(1, 4));
  EXPECT_THAT(static_cast<Picky&>(*list[1]).fed_, ElementsAre(0, 1, 2, 3, 4));
  EXPECT_THAT(static_cast<Picky&>(*list[2]).fed_, ElementsAre(2, 3));
}

TEST(RunCheckers, ReaderErrorsPropagate) {
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(MakeChecker("election-safety", {}));
  std::istringstream in(std::string(kHistory) + "not json\n");
  histories::HistoryReader reader(in, "h");
  try {
    RunCheckers(reader, list);
    FAIL();
  } catch (const histories::HistoryError& e) {
    EXPECT_THAT(e.what(), HasSubstr("h:4: not JSON"));
  }
}

}  // namespace
}  // namespace schism::checkers
