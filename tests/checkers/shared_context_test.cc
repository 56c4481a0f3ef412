// The work RunCheckers does once per event for all checkers: the shared name
// table (SharedContext, NodeTable::Intern(name, shared)) and the shared node
// status, as each checker sees it (StatusView).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "checkers/event_context.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/status_view.h"
#include "histories/event.h"

namespace schism::checkers {
namespace {

using histories::ParseEventLine;

TEST(NodeTable, InternBySharedIdGivesTheOwnIdInTheOwnOrder) {
  NodeTable shared;
  const NodeTable::Id s1 = shared.Intern("n1");
  const NodeTable::Id s2 = shared.Intern("n2");
  NodeTable own;
  own.Intern("n2");  // Met first by this table: its own order differs.
  EXPECT_EQ(own.Intern("n1", s1), 1u);
  EXPECT_EQ(own.Intern("n2", s2), 0u);
  EXPECT_EQ(own.Intern("n1", s1), 1u);  // Again, by index.
  EXPECT_EQ(own.Intern("n1"), 1u);
  EXPECT_EQ(own.Intern("n3", ~NodeTable::Id{0}), 2u);  // No shared id: by name.
  EXPECT_EQ(own.size(), 3u);
  EXPECT_EQ(own.Name(1), "n1");
}

// Short names are compared as one word each: names of every short length,
// each with one byte changed at every place, and the shorter names they start
// with, must all get ids of their own, and the same id when met again.
TEST(NodeTable, TellsApartShortNamesThatDifferInOneByteOrInLength) {
  const std::string base = "n1-abcdefg";
  for (std::size_t size = 0; size <= base.size(); ++size) {
    std::vector<std::string> names;
    for (std::size_t shorter = 0; shorter <= size; ++shorter)
      names.push_back(base.substr(0, shorter));
    for (std::size_t at = 0; at < size; ++at) {
      std::string changed = base.substr(0, size);
      changed[at] = static_cast<char>(changed[at] ^ 0x01);
      names.push_back(changed);
    }
    NodeTable table;
    for (std::size_t k = 0; k < names.size(); ++k) {
      EXPECT_EQ(table.Intern(names[k]), k) << '"' << names[k] << '"';
    }
    for (std::size_t k = 0; k < names.size(); ++k) {
      EXPECT_EQ(table.Intern(names[k]), k) << '"' << names[k] << '"';
      EXPECT_EQ(table.Name(static_cast<NodeTable::Id>(k)), names[k]);
    }
  }
}

TEST(SharedContext, GivesTheIdsOfTheEventsNamesAndWhenItsProbeWasSent) {
  SharedContext shared;
  const EventContext& vote =
      shared.Next(ParseEventLine(R"({"i":0,"t":1,"type":"vote","node":"n2","term":1,"for":"n1"})"));
  EXPECT_EQ(vote.node, 0u);
  EXPECT_EQ(vote.vote_for, 1u);
  EXPECT_EQ(vote.leader, EventContext::kNoNode);
  EXPECT_FALSE(vote.probe_sent);
  const EventContext& role = shared.Next(ParseEventLine(
      R"({"i":1,"t":2,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1","sent":1.5})"));
  EXPECT_EQ(role.node, 2u);
  EXPECT_EQ(role.leader, 1u);
  EXPECT_EQ(role.vote_for, EventContext::kNoNode);
  ASSERT_TRUE(role.probe_sent);
  EXPECT_DOUBLE_EQ(*role.probe_sent, 1.5);
  const EventContext& run = shared.Next(ParseEventLine(R"({"i":2,"t":3,"type":"run","f":"end"})"));
  EXPECT_EQ(run.node, EventContext::kNoNode);
  EXPECT_EQ(shared.nodes().size(), 3u);
  ASSERT_NE(run.status, nullptr);
  EXPECT_EQ(run.status->node(2).leader, 1u);
}

// Lines that move nodes' roles and processes about, with names met in
// different orders by different kinds of event.
const std::vector<std::string> kLines = {
    R"({"i":0,"t":0,"type":"vote","node":"n3","term":1,"for":"n2"})",
    R"({"i":1,"t":1,"type":"process","f":"start","node":"n1"})",
    R"({"i":2,"t":2,"type":"role","node":"n2","role":"leader","term":1})",
    R"({"i":3,"t":3,"type":"role","node":"n1","role":"follower","term":1,"leader":"n2"})",
    R"({"i":4,"t":4,"type":"role","node":"n4","role":"follower","term":1,"leader":"n2"})",
    R"({"i":5,"t":5,"type":"role","node":"n3","role":"leader","term":2,"sent":4.5})",
    R"({"i":6,"t":6,"type":"process","f":"pause","node":"n2"})",
    R"({"i":7,"t":7,"type":"process","f":"probe-failed","node":"n5","why":"timeout"})",
    R"({"i":8,"t":8,"type":"process","f":"resume","node":"n2"})",
    R"({"i":9,"t":9,"type":"process","f":"kill","node":"n3"})",
    R"({"i":10,"t":10,"type":"role","node":"n1","role":"follower","term":2,"leader":"n3"})",
    R"({"i":11,"t":11,"type":"process","f":"restart","node":"n3"})",
    R"({"i":12,"t":12,"type":"role","node":"n3","role":"leader","term":3})",
    R"({"i":13,"t":13,"type":"role","node":"n4","role":"follower","term":3,"leader":"n3"})",
    R"({"i":14,"t":14,"type":"run","f":"end"})",
};

void ExpectSameNode(const NodeStatus::Node& a, const NodeStatus::Node& b, const NodeTable& a_ids,
                    const NodeTable& b_ids) {
  EXPECT_EQ(a.up, b.up);
  EXPECT_EQ(a.paused, b.paused);
  EXPECT_EQ(a.known, b.known);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.term, b.term);
  EXPECT_EQ(a.leader == NodeStatus::kNoNode, b.leader == NodeStatus::kNoNode);
  if (a.leader != NodeStatus::kNoNode && b.leader != NodeStatus::kNoNode) {
    EXPECT_EQ(a_ids.Name(a.leader), b_ids.Name(b.leader));
  }
  EXPECT_EQ(a.role_index, b.role_index);
  EXPECT_EQ(a.probe_sent, b.probe_sent);
}

TEST(StatusView, AnswersAsTheCheckersOwnNodeStatusWould) {
  SharedContext shared;
  NodeTable own;
  own.Intern("n5");  // A name the checker met elsewhere first.
  StatusView view(own);
  NodeTable alone_ids;
  alone_ids.Intern("n5");
  NodeStatus alone(alone_ids);  // What the checker used to keep for itself.
  for (const std::string& line : kLines) {
    const histories::Event event = ParseEventLine(line);
    const EventContext& context = shared.Next(event);
    SCOPED_TRACE(line);
    EXPECT_EQ(view.Observe(event, context), alone.Observe(event));
    ASSERT_EQ(own.size(), alone_ids.size());
    for (NodeTable::Id id = 0; id < own.size(); ++id) EXPECT_EQ(own.Name(id), alone_ids.Name(id));
    EXPECT_EQ(view.size(), alone.size());
    std::size_t leaders = 0;
    for (NodeTable::Id id = 0; id < own.size() + 1; ++id) {
      EXPECT_EQ(view.Leads(id), alone.Leads(id)) << id;
      EXPECT_EQ(view.Following(id), alone.Following(id)) << id;
      ExpectSameNode(view.node(id), alone.node(id), shared.nodes(), alone_ids);
      leaders += alone.Leads(id) ? 1 : 0;
    }
    EXPECT_EQ(view.leaders(), leaders);
    EXPECT_EQ(alone.leaders(), leaders);
  }
}

}  // namespace
}  // namespace schism::checkers
