// Tests of the table of built-in electors (nodes/electors.h): every row builds
// with its defaults and with each of its bugs, names are unique, and each
// elector restores from the state it asks to persist.

#include "nodes/electors.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace schism::nodes
