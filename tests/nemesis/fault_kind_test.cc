// The fault kinds as one list (fault_kind.h): every op has exactly one
// owner, names are unique, EndsFaults and the generated tail come from the
// list, and every field of every op round-trips through the timeline codec.
#include "nemesis/fault_kind.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

#include "nemesis/schedule.h"

namespace schism::nemesis {
namespace {
using nlohmann::json;

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

TEST(NemesisFaultKinds, EveryOpKindHasExactlyOneOwner) {
  std::map<OpKind, int> owners;
  for (const FaultKind* kind : AllFaultKinds()) {
    for (const OpSpec& spec : kind->Ops()) ++owners[spec.kind];
  }
  // OpKind values are appended, so the owned ones run from 0 without a gap.
  const int last = static_cast<int>(owners.rbegin()->first);
  for (int k = 0; k <= last; ++k) {
    EXPECT_EQ(owners[static_cast<OpKind>(k)], 1) << "OpKind " << k;
  }
  for (const FaultKind* kind : AllFaultKinds()) {
    EXPECT_EQ(kind->Ops().front().kind, kind->StartOp()) << kind->Name();
    EXPECT_EQ(OwnerOf(kind->StartOp()), kind) << kind->Name();
    EXPECT_NE(OwnerOf(kind->EndOp()), nullptr) << kind->Name();
  }
}

TEST(NemesisFaultKinds, NamesAreUniqueAndKNemesisNamesIsTheList) {
  std::set<std::string_view> kinds;
  std::set<std::string_view> ops;
  std::vector<std::string_view> names;
  for (const FaultKind* kind : AllFaultKinds()) {
    EXPECT_TRUE(kinds.insert(kind->Name()).second) << kind->Name();
    EXPECT_EQ(FaultKindNamed(kind->Name()), kind);
    names.push_back(kind->Name());
    for (const OpSpec& spec : kind->Ops()) {
      EXPECT_TRUE(ops.insert(spec.name).second) << spec.name;
      EXPECT_EQ(ToString(spec.kind), spec.name);
    }
  }
  EXPECT_EQ(std::vector<std::string_view>(kNemesisNames.begin(), kNemesisNames.end()), names);
  EXPECT_EQ(FaultKindNamed("sunspots"), nullptr);
}

TEST(NemesisFaultKinds, EndsFaultsIsTrueForEveryKindsEndOpOnly) {
  std::set<OpKind> ends;
  for (const FaultKind* kind : AllFaultKinds()) ends.insert(kind->EndOp());
  for (OpKind op : AllOpKinds()) EXPECT_EQ(EndsFaults(op), ends.count(op) > 0) << ToString(op);
  for (const FaultKind* kind : AllFaultKinds()) EXPECT_FALSE(EndsFaults(kind->StartOp()));
}

TEST(NemesisFaultKinds, TheGeneratedTailEndsEveryEnabledKindInStageOrder) {
  std::map<OpKind, TailStage> stage_of;
  for (const FaultKind* kind : AllFaultKinds()) stage_of.emplace(kind->EndOp(), kind->Tail().stage);
  ScheduleOptions options;
  options.nemeses.assign(kNemesisNames.begin(), kNemesisNames.end());
  const auto ops = Generate(options);
  const double end = options.duration_s - QuietPeriod(options);
  std::vector<OpKind> tail;
  for (const Op& op : ops) {
    if (op.offset_s == end) tail.push_back(op.kind);
  }
  std::set<OpKind> expected;
  for (const FaultKind* kind : AllFaultKinds()) expected.insert(kind->EndOp());
  EXPECT_EQ(std::set<OpKind>(tail.begin(), tail.end()), expected);
  EXPECT_EQ(tail.size(), expected.size()) << "each end op once";
  for (std::size_t i = 1; i < tail.size(); ++i) {
    EXPECT_LE(stage_of[tail[i - 1]], stage_of[tail[i]]) << ToString(tail[i]);
  }
}

// Canonical entries (as ToJson writes them) that together name every field
// of every op: a new op or field needs an entry here.
const char* kEveryField = R"([
  {"t":0,"f":"partition","grudge":"explicit","drops":[["n1","n2"]]},
  {"t":0,"f":"partition","grudge":"components","components":[["n1"],["n2","n3"]]},
  {"t":1,"f":"heal"},
  {"t":1,"f":"kill","target":"voter","signal":15,"restart_after":0.1,"voter_wait":2},
  {"t":1,"f":"kill","target":"voter","signal":9,"restart_after":0.04,"voter_wait":2,"rival":true},
  {"t":1,"f":"kill","target":"candidate","signal":9,"restart_after":1,"voter_wait":3},
  {"t":1,"f":"kill","target":"node","node":"n2","signal":9,"restart_after":0},
  {"t":2,"f":"restart","node":"n2"},
  {"t":2,"f":"loss","target":"pairs","pairs":[["n1","n2"]],"percent":30},
  {"t":2,"f":"loss","target":"into","node":"n3","percent":100},
  {"t":3,"f":"loss-end"},
  {"t":3,"f":"pause","target":"node","node":"n4","resume_after":1,"how":"freeze"},
  {"t":3,"f":"resume","node":"n4"},
  {"t":4,"f":"flap","grudge":"explicit","drops":[["n1","n2"]],"hold":2,"every":[0.2,0.4]},
  {"t":4,"f":"flap","grudge":"components","components":[["n1"],["n2"]],"hold":1,"every":[0.2,1]},
  {"t":5,"f":"term","target":"node","node":"n1","grace":1,"restart_after":1},
  {"t":5,"f":"delay","target":"into","node":"n2","delay_ms":5,"jitter_ms":1},
  {"t":5,"f":"delay","target":"pairs","pairs":[["n2","n1"]],"delay_ms":5,"jitter_ms":0},
  {"t":6,"f":"delay-end"},
  {"t":6,"f":"bandwidth","target":"node","node":"n1","rate_kbit":256},
  {"t":6,"f":"bandwidth-end","node":"n1"},
  {"t":7,"f":"clock","target":"node","node":"n3","mode":"strobe","offset_ms":1,"offset2_ms":500,
   "period":0.5},
  {"t":7,"f":"clock","target":"all","mode":"rate","rate":2},
  {"t":7,"f":"clock","target":"leader","mode":"bump","offset_ms":-5},
  {"t":8,"f":"clock-end","node":"n3"},
  {"t":9,"f":"duplicate","target":"pairs","pairs":[["n1","n2"]],"percent":30},
  {"t":9,"f":"duplicate","target":"into","node":"n3","percent":100},
  {"t":10,"f":"duplicate-end"}
])";

// Input-only spellings, which ToJson writes another way.
const char* kInputOnly = R"([
  {"t":0,"f":"partition","grouping":"n1,n2|n3,n4,n5"},
  {"t":1,"f":"flap","grouping":"n1|n2,n3,n4,n5","hold":1}
])";

TEST(NemesisFaultKinds, EveryFieldOfEveryOpRoundTrips) {
  const json entries = json::parse(kEveryField);
  std::map<OpKind, std::set<std::string>> named;
  for (const json& entry : entries) {
    const std::vector<Op> one = FromJson(json::array({entry}), kNodes);
    ASSERT_EQ(one.size(), 1u);
    EXPECT_EQ(ToJson(one[0]), entry) << "written back otherwise";
    for (const auto& [key, value] : entry.items()) named[one[0].kind].insert(key);
  }
  for (const json& entry : json::parse(kInputOnly)) {
    const std::vector<Op> one = FromJson(json::array({entry}), kNodes);
    EXPECT_EQ(FromJson(json::array({ToJson(one[0])}), kNodes), one) << entry;
    for (const auto& [key, value] : entry.items()) named[one[0].kind].insert(key);
  }
  for (OpKind kind : AllOpKinds()) {
    for (const std::string& field : SpecOf(kind)->fields) {
      EXPECT_TRUE(named[kind].count(field))
          << "no entry above gives " << ToString(kind) << "'s \"" << field << "\"";
    }
  }
  const std::vector<Op> ops = FromJson(entries, kNodes);
  EXPECT_EQ(FromJson(json::parse(ToJson(ops).dump()), kNodes), ops);
}

TEST(NemesisFaultKinds, HelpIsOneShortLine) {
  for (const FaultKind* kind : AllFaultKinds()) {
    const std::string_view help = kind->Help();
    EXPECT_FALSE(help.empty()) << kind->Name();
    EXPECT_EQ(help.find('\n'), std::string_view::npos) << kind->Name();
    EXPECT_LE(help.size(), 80u) << kind->Name();
    EXPECT_GT(kind->DefaultWeight(), 0.0) << kind->Name();
  }
}

}  // namespace
}  // namespace schism::nemesis
