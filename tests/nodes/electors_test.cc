// Tests of the table of built-in electors (nodes/electors.h): every row builds
// with its defaults and with each of its bugs, names are unique, and each
// elector restores from the state it asks to persist.

#include "nodes/electors.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

namespace schism::nodes {
namespace {

ElectorSetup SetupFor(const ElectorSpec& spec) {
  ElectorSetup setup = DefaultSetup(spec);
  setup.id = "n1";
  setup.peers = {"n2", "n3"};
  setup.seed = 7;
  return setup;
}

std::unique_ptr<Elector> Build(const ElectorSpec& spec, const ElectorSetup& setup,
                               const std::optional<Json>& restored = std::nullopt) {
  std::string error;
  std::unique_ptr<Elector> elector = spec.make(setup, restored, &error);
  EXPECT_NE(elector, nullptr) << spec.name << ": " << error;
  return elector;
}

TEST(NodesElectors, TheTableHasRaftAndUniqueNames) {
  std::set<std::string_view> names;
  for (const ElectorSpec& spec : BuiltInElectors()) {
    EXPECT_TRUE(names.insert(spec.name).second) << spec.name;
    EXPECT_FALSE(spec.description.empty()) << spec.name;
    EXPECT_NE(spec.make, nullptr) << spec.name;
    EXPECT_EQ(FindElector(spec.name), &spec);
    EXPECT_NE(ElectorNames().find(spec.name), std::string::npos);
  }
  EXPECT_TRUE(names.count("raft"));
  EXPECT_EQ(FindElector("paxos"), nullptr);
}

TEST(NodesElectors, BugAndOptionNamesAreUniqueAndDescribed) {
  const std::set<std::string_view> common = {"id",   "listen",  "peers", "data",
                                             "seed", "tick-ms", "bug",   "help"};
  for (const ElectorSpec& spec : BuiltInElectors()) {
    std::set<std::string_view> bugs;
    for (const BugSpec& bug : spec.bugs) {
      EXPECT_TRUE(bugs.insert(bug.name).second) << spec.name << " --bug " << bug.name;
      EXPECT_NE(bug.name, "none") << spec.name;
      EXPECT_FALSE(bug.description.empty()) << spec.name << " --bug " << bug.name;
    }
    std::set<std::string_view> options;
    for (const OptionSpec& option : spec.options) {
      EXPECT_TRUE(options.insert(option.name).second) << spec.name << " --" << option.name;
      EXPECT_FALSE(common.count(option.name)) << spec.name << " --" << option.name;
      EXPECT_FALSE(option.description.empty()) << spec.name << " --" << option.name;
      if (option.kind == OptionSpec::Kind::kInteger) {
        EXPECT_LE(option.min, option.default_value) << spec.name << " --" << option.name;
        EXPECT_LE(option.default_value, option.max) << spec.name << " --" << option.name;
      }
    }
  }
}

TEST(NodesElectors, EveryEntryBuildsWithItsDefaultsAndReportsARole) {
  for (const ElectorSpec& spec : BuiltInElectors()) {
    const ElectorSetup setup = SetupFor(spec);
    if (spec.check != nullptr) {
      EXPECT_EQ(spec.check(setup), "") << spec.name;
    }
    auto elector = Build(spec, setup);
    ASSERT_NE(elector, nullptr);
    ASSERT_TRUE(elector->HasReady()) << spec.name;
    const ElectorReady ready = elector->TakeReady();
    ASSERT_FALSE(ready.events.empty()) << spec.name;
    EXPECT_EQ(ready.events.front().kind, ContractEvent::Kind::kRole) << spec.name;
    for (int i = 0; i < 1000; ++i) elector->Tick();  // Alone, it must campaign without crashing.
    for (const Envelope& m : elector->TakeReady().messages) {
      EXPECT_EQ(m.from, "n1") << spec.name;
      EXPECT_TRUE(m.to == "n2" || m.to == "n3") << spec.name << ": " << m.to;
      EXPECT_TRUE(m.fields.is_object()) << spec.name;
    }
  }
}

TEST(NodesElectors, EveryBugBuilds) {
  for (const ElectorSpec& spec : BuiltInElectors()) {
    for (const BugSpec& bug : spec.bugs) {
      ElectorSetup setup = SetupFor(spec);
      setup.bug = bug.name;
      EXPECT_NE(Build(spec, setup), nullptr) << spec.name << " --bug " << bug.name;
    }
  }
}

TEST(NodesElectors, EveryEntryRestoresTheStateItPersisted) {
  for (const ElectorSpec& spec : BuiltInElectors()) {
    const ElectorSetup setup = SetupFor(spec);
    auto elector = Build(spec, setup);
    ASSERT_NE(elector, nullptr);
    std::optional<Json> persisted;
    for (int i = 0; i < 1000; ++i) {
      elector->Tick();
      if (auto ready = elector->TakeReady(); ready.state) persisted = ready.state;
    }
    if (!persisted) continue;  // An elector may keep nothing durable.
    EXPECT_TRUE(persisted->is_object()) << spec.name;
    EXPECT_NE(Build(spec, setup, persisted), nullptr) << spec.name << ": " << persisted->dump();
  }
}

TEST(NodesElectors, StepRejectsMessagesOfUnknownTypes) {
  for (const ElectorSpec& spec : BuiltInElectors()) {
    auto elector = Build(spec, SetupFor(spec));
    ASSERT_NE(elector, nullptr);
    (void)elector->TakeReady();
    EXPECT_FALSE(elector->Step(Envelope{"n2", "n1", "no-such-message-type", Json::object()}))
        << spec.name;
    EXPECT_FALSE(elector->HasReady()) << spec.name;
  }
}

// The option table's defaults scale with the cluster size (docs/running.md,
// "Elector options at scale"): unchanged up to 9 nodes, grown beyond.
using Options = std::map<std::string, std::int64_t, std::less<>>;

Options OptionsAt(std::string_view elector, std::size_t nodes, const Options& given = {}) {
  const ElectorSpec* spec = FindElector(elector);
  EXPECT_NE(spec, nullptr) << elector;
  return spec == nullptr ? Options{} : OptionsFor(*spec, nodes, given);
}

TEST(NodesElectorsScale, DefaultsUpToNineNodesAreTheTables) {
  for (const ElectorSpec& spec : BuiltInElectors()) {
    for (const std::size_t nodes : {1, 3, 5, 9}) {
      EXPECT_EQ(DefaultSetup(spec, nodes).options, DefaultSetup(spec).options)
          << spec.name << " at " << nodes;
    }
    for (const OptionSpec& option : spec.options) {
      EXPECT_EQ(DefaultSetup(spec).option(option.name), option.default_value)
          << spec.name << " --" << option.name;
    }
  }
  EXPECT_EQ(OptionsAt("raft", 5), (Options{{"election-max-ms", 300},
                                           {"election-min-ms", 150},
                                           {"heartbeat-ms", 50},
                                           {"no-check-quorum", 0},
                                           {"pre-vote", 0}}));
}

TEST(NodesElectorsScale, DefaultsAtAHundredAndOneNodes) {
  // sqrt(101 / 9) = 3.35, 101 / 9 = 11.2.
  EXPECT_EQ(OptionsAt("raft", 101), (Options{{"election-max-ms", 3367},
                                             {"election-min-ms", 502},
                                             {"heartbeat-ms", 167},
                                             {"no-check-quorum", 0},
                                             {"pre-vote", 0}}));
  EXPECT_EQ(OptionsAt("bully", 101), (Options{{"answer-timeout-ms", 1122},
                                              {"heartbeat-ms", 561},
                                              {"leader-timeout-max-ms", 3367},
                                              {"leader-timeout-min-ms", 1683}}));
  EXPECT_EQ(OptionsAt("ring", 101), (Options{{"ack-timeout-ms", 134},
                                             {"heartbeat-ms", 167},
                                             {"leader-timeout-max-ms", 2010},
                                             {"leader-timeout-min-ms", 1005}}));
  EXPECT_EQ(OptionsAt("zab", 101), (Options{{"finalize-ms", 335},
                                            {"heartbeat-ms", 167},
                                            {"leader-timeout-max-ms", 6733},
                                            {"leader-timeout-min-ms", 1005},
                                            {"resend-max-ms", 561}}));
  // The lease and its drift margin are a safety bound: they never scale.
  EXPECT_EQ(OptionsAt("lease", 101), (Options{{"election-max-ms", 3367},
                                              {"election-min-ms", 502},
                                              {"lease-ms", 1000},
                                              {"margin-ms", 100},
                                              {"renew-ms", 250}}));
  // Every scaled set of defaults still passes its elector's own check.
  for (const ElectorSpec& spec : BuiltInElectors()) {
    if (spec.check != nullptr) {
      EXPECT_EQ(spec.check(DefaultSetup(spec, 101)), "") << spec.name;
    }
  }
}

TEST(NodesElectorsScale, AnExplicitOptionIsNeverScaled) {
  const Options options = OptionsAt("raft", 101, {{"heartbeat-ms", 50}, {"pre-vote", 1}});
  EXPECT_EQ(options.at("heartbeat-ms"), 50);
  EXPECT_EQ(options.at("pre-vote"), 1);
  EXPECT_EQ(options.at("election-min-ms"), 502);  // The others still scale.
  EXPECT_EQ(OptionsAt("zab", 5, {{"finalize-ms", 7}}).at("finalize-ms"), 7);
}

TEST(NodesElectorsScale, AScaledDefaultStaysInTheOptionsRange) {
  const OptionSpec option{"x-ms", "x", OptionSpec::Kind::kInteger, 100, 1, 500, Scale::kLinear};
  EXPECT_EQ(ScaledDefault(option, 9), 100);
  EXPECT_EQ(ScaledDefault(option, 18), 200);
  EXPECT_EQ(ScaledDefault(option, 1000), 500);
  EXPECT_EQ(ScaleRule(option), "x N/9 above 9 nodes");
  const OptionSpec root{"y-ms", "y", OptionSpec::Kind::kInteger, 100, 1, 500, Scale::kSqrt};
  EXPECT_EQ(ScaledDefault(root, 36), 200);
  EXPECT_EQ(ScaleRule(root), "x sqrt(N/9) above 9 nodes");
  EXPECT_EQ(ScaleRule(OptionSpec{"z", "z"}), "");
}

}  // namespace
}  // namespace schism::nodes
