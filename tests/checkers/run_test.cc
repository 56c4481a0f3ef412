// The registry, RunCheckers and the merge of verdicts.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

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

// Observes the types it is made with, keeps only the time of those in
// `time_only`, and notes the "i" of each event fed.
class Picky : public Checker {
 public:
  explicit Picky(EventTypes types, EventTypes time_only = 0)
      : types_(types), time_only_(time_only) {}
  std::string_view name() const override { return "picky"; }
  void Observe(const histories::Event& event, const EventContext& /*context*/) override {
    fed_.push_back(event.index);
    if (throw_at_ && event.index == *throw_at_) throw std::runtime_error("picky threw");
  }
  Verdict Finish() override { return {"picky", Validity::kValid, "fine", {}, {}}; }
  // Makes it throw when fed the event with this "i".
  Picky& ThrowAt(std::uint64_t index) {
    throw_at_ = index;
    return *this;
  }
  EventTypes Observes() const override { return types_; }
  EventTypes KeepsTimeOnly() const override { return time_only_; }
  std::vector<std::uint64_t> fed_;

 private:
  EventTypes types_;
  EventTypes time_only_;
  std::optional<std::uint64_t> throw_at_;
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

// Checkers that throw one after another, in the middle and at the last event
// (fed apart, to those that keep only its time): each is fed nothing after it
// threw, and the checkers after it in the list are fed every event.
TEST(RunCheckers, CheckersThatThrowInTurnLeaveTheRestFed) {
  using histories::EventType;
  const EventTypes time_only = TypeBit(EventType::kLease) | TypeBit(EventType::kVote);
  std::vector<std::unique_ptr<Checker>> list;
  auto add = [&list](EventTypes time_only_types) -> Picky& {
    list.push_back(std::make_unique<Picky>(kEveryEventType, time_only_types));
    return static_cast<Picky&>(*list.back());
  };
  add(0).ThrowAt(2);
  add(0).ThrowAt(2);
  add(0);
  add(time_only).ThrowAt(5);
  add(time_only).ThrowAt(5);
  add(time_only);
  std::istringstream in(
      "{\"i\":0,\"t\":0,\"type\":\"run\",\"f\":\"start\",\"nodes\":[\"n1\"]}\n"
      "{\"i\":1,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n"
      "{\"i\":2,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n"
      "{\"i\":3,\"t\":2,\"type\":\"run\",\"f\":\"end\"}\n"
      "{\"i\":4,\"t\":2,\"type\":\"vote\",\"node\":\"n1\",\"term\":1,\"for\":\"n1\"}\n"
      "{\"i\":5,\"t\":2,\"type\":\"vote\",\"node\":\"n1\",\"term\":1,\"for\":\"n1\"}\n");
  histories::HistoryReader reader(in, "h");
  const std::vector<Verdict> verdicts = RunCheckers(reader, list);
  auto fed = [&list](std::size_t k) { return static_cast<Picky&>(*list[k]).fed_; };
  EXPECT_THAT(fed(0), ElementsAre(0, 1, 2));
  EXPECT_THAT(fed(1), ElementsAre(0, 1, 2));
  EXPECT_THAT(fed(2), ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(fed(3), ElementsAre(0, 1, 2, 3, 5));
  EXPECT_THAT(fed(4), ElementsAre(0, 1, 2, 3, 5));
  EXPECT_THAT(fed(5), ElementsAre(0, 1, 2, 3, 5));
  ASSERT_EQ(verdicts.size(), 6u);
  for (std::size_t k : {0, 1, 3, 4}) {
    EXPECT_EQ(verdicts[k].valid, Validity::kUnknown) << k;
    EXPECT_EQ(verdicts[k].reason, "checker failed: picky threw") << k;
  }
  EXPECT_EQ(verdicts[2].valid, Validity::kValid);
  EXPECT_EQ(verdicts[5].valid, Validity::kValid);
}

// Leases at i=0, 2 and 3, a role at 1, votes at 4 and 5.
constexpr const char* kLeasesAndVotes =
    "{\"i\":0,\"t\":0,\"type\":\"lease\",\"node\":\"n1\",\"term\":1,\"lease_ms\":50}\n"
    "{\"i\":1,\"t\":1,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n"
    "{\"i\":2,\"t\":2,\"type\":\"lease\",\"node\":\"n1\",\"term\":1,\"lease_ms\":50}\n"
    "{\"i\":3,\"t\":3,\"type\":\"lease\",\"node\":\"n1\",\"term\":1,\"lease_ms\":50}\n"
    "{\"i\":4,\"t\":4,\"type\":\"vote\",\"node\":\"n2\",\"term\":2,\"for\":\"n2\"}\n"
    "{\"i\":5,\"t\":5,\"type\":\"vote\",\"node\":\"n1\",\"term\":2,\"for\":\"n2\"}\n";

TEST(RunCheckers, FeedsTypesKeptForTheTimeOnlyAtTheStartAndTheEnd) {
  using histories::EventType;
  const EventTypes time_only = TypeBit(EventType::kLease) | TypeBit(EventType::kVote);
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(std::make_unique<Picky>(kEveryEventType, time_only));
  list.push_back(std::make_unique<Picky>(kEveryEventType));
  // Votes only, and only for their time: the first event is no vote, so it
  // gets the last one alone.
  list.push_back(std::make_unique<Picky>(TypeBit(EventType::kVote), time_only));
  std::istringstream in(kLeasesAndVotes);
  histories::HistoryReader reader(in, "h");
  RunCheckers(reader, list);
  EXPECT_THAT(static_cast<Picky&>(*list[0]).fed_, ElementsAre(0, 1, 5));
  EXPECT_THAT(static_cast<Picky&>(*list[1]).fed_, ElementsAre(0, 1, 2, 3, 4, 5));
  EXPECT_THAT(static_cast<Picky&>(*list[2]).fed_, ElementsAre(5));
}

TEST(RunCheckers, FeedsTheLastEventWholeWhenALenientReaderSkippedTheLine) {
  using histories::EventType;
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(std::make_unique<Picky>(kEveryEventType, TypeBit(EventType::kVote)));
  // A broken last line is parsed into the event read by turns after the last
  // good one, which must not spoil it.
  std::istringstream in(std::string(kLeasesAndVotes) +
                        "{\"i\":6,\"t\":6,\"type\":\"vote\",\"node\":\"n1\",\"term\":\"x\"}\n");
  histories::HistoryReader reader(in, "h", /*lenient=*/true);
  RunCheckers(reader, list);
  EXPECT_EQ(reader.skipped(), 1u);
  EXPECT_THAT(static_cast<Picky&>(*list[0]).fed_, ElementsAre(0, 1, 2, 3, 5));
}

TEST(RunCheckers, FeedsAHistoryOfOneEventOnce) {
  using histories::EventType;
  std::vector<std::unique_ptr<Checker>> list;
  list.push_back(std::make_unique<Picky>(kEveryEventType, TypeBit(EventType::kLease)));
  std::istringstream in(
      "{\"i\":7,\"t\":0,\"type\":\"lease\",\"node\":\"n1\",\"term\":1,\"lease_ms\":50}\n");
  histories::HistoryReader reader(in, "h");
  RunCheckers(reader, list);
  EXPECT_THAT(static_cast<Picky&>(*list[0]).fed_, ElementsAre(7));
}

// Forwards to `inner` but keeps the time of no type: fed every event it observes.
class EveryEvent : public Checker {
 public:
  explicit EveryEvent(std::unique_ptr<Checker> inner) : inner_(std::move(inner)) {}
  std::string_view name() const override { return inner_->name(); }
  void Observe(const histories::Event& event, const EventContext& context) override {
    inner_->Observe(event, context);
  }
  Verdict Finish() override { return inner_->Finish(); }
  EventTypes Observes() const override { return inner_->Observes(); }

 private:
  std::unique_ptr<Checker> inner_;
};

// A partition that strands the leader n1, a new leader n2 in term 2, a heal,
// and leases and votes all through: it starts with a lease, before the run
// start, and ends with one.
constexpr const char* kStrandedLeader = R"(
{"i":0,"t":0.0,"type":"lease","node":"n1","term":1,"token":1,"lease_ms":500}
{"i":1,"t":0.1,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":2,"t":0.2,"type":"role","node":"n1","role":"candidate","term":1}
{"i":3,"t":0.3,"type":"vote","node":"n2","term":1,"for":"n1"}
{"i":4,"t":0.4,"type":"role","node":"n1","role":"leader","term":1}
{"i":5,"t":0.5,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":6,"t":0.6,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1"}
{"i":7,"t":1.0,"type":"lease","node":"n1","term":1,"token":2,"lease_ms":500}
{"i":8,"t":2.0,"type":"lease","node":"n1","term":1,"token":3,"lease_ms":500}
{"i":9,"t":3.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
{"i":10,"t":3.5,"type":"lease","node":"n1","term":1,"token":4,"lease_ms":500}
{"i":11,"t":4.0,"type":"role","node":"n2","role":"candidate","term":2}
{"i":12,"t":4.1,"type":"vote","node":"n3","term":2,"for":"n2"}
{"i":13,"t":4.2,"type":"role","node":"n2","role":"leader","term":2}
{"i":14,"t":4.3,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
{"i":15,"t":5.0,"type":"lease","node":"n1","term":1,"token":5,"lease_ms":500}
{"i":16,"t":6.0,"type":"lease","node":"n2","term":2,"token":6,"lease_ms":500}
{"i":17,"t":7.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":18,"t":7.5,"type":"role","node":"n1","role":"follower","term":2,"leader":"n2"}
{"i":19,"t":8.0,"type":"lease","node":"n2","term":2,"token":7,"lease_ms":500}
{"i":20,"t":8.5,"type":"vote","node":"n1","term":3,"for":"n1"}
{"i":21,"t":9.0,"type":"lease","node":"n2","term":2,"token":8,"lease_ms":500}
{"i":22,"t":9.9,"type":"lease","node":"n2","term":2,"token":9,"lease_ms":500}
)";

// What KeepsTimeOnly() promises: a checker fed only the first and the last of
// those events comes to the verdict it would come to fed all of them, here
// and with the history cut after every event (so that it ends on each type).
TEST(RunCheckers, KeepingTheTimeOnlyChangesNoVerdict) {
  const std::string history = std::string(kStrandedLeader).substr(1);
  std::vector<std::size_t> ends;
  for (std::size_t at = history.find('\n'); at != std::string::npos;
       at = history.find('\n', at + 1)) {
    ends.push_back(at + 1);
  }
  ASSERT_EQ(ends.size(), 23u);
  std::size_t held_back = 0;
  for (const std::string& name : CheckerNames()) {
    if (MakeChecker(name, {})->KeepsTimeOnly() == 0) continue;
    ++held_back;
    for (std::size_t end : ends) {
      std::vector<std::unique_ptr<Checker>> list;
      list.push_back(MakeChecker(name, {}));
      list.push_back(std::make_unique<EveryEvent>(MakeChecker(name, {})));
      std::istringstream in(history.substr(0, end));
      histories::HistoryReader reader(in, "h");
      const std::vector<Verdict> verdicts = RunCheckers(reader, list);
      SCOPED_TRACE(name + " on the first " + std::to_string(end) + " bytes");
      EXPECT_EQ(verdicts[0].valid, verdicts[1].valid);
      EXPECT_EQ(verdicts[0].reason, verdicts[1].reason);
      EXPECT_EQ(verdicts[0].evidence, verdicts[1].evidence);
      EXPECT_EQ(verdicts[0].details.dump(), verdicts[1].details.dump());
    }
  }
  EXPECT_EQ(held_back, 4u);  // liveness, split-brain, kpis, service-failover
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
