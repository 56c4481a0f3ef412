// NodeClocks: the time each node's own clock gave it, under clock faults.
#include "checkers/node_clocks.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "histories/reader.h"

namespace schism::checkers {
namespace {

class NodeClocksTest : public ::testing::Test {
 protected:
  // Feeds the history's events (JSON lines) to the model.
  void Feed(const std::string& jsonl) {
    std::istringstream in(jsonl);
    histories::HistoryReader reader(in, "test.jsonl");
    for (histories::Event e; reader.Next(e);) clocks_.Observe(e);
  }
  double Progress(const char* node, double t) { return clocks_.Progress(nodes_.Intern(node), t); }

  NodeTable nodes_;
  NodeClocks clocks_{nodes_};
};

TEST_F(NodeClocksTest, ANodeWithoutClockFaultsGetsTheControllersTime) {
  Feed(R"({"i":0,"t":0.5,"type":"process","f":"start","node":"n1","pid":7})");
  EXPECT_DOUBLE_EQ(Progress("n1", 3.0), 3.0);
  EXPECT_DOUBLE_EQ(Progress("n2", 4.0), 4.0);
}

TEST_F(NodeClocksTest, AClockSetBackStandsStillUntilItHasMadeItUp) {
  Feed(R"({"i":0,"t":2.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"bump","offset_ms":-1500,"setting":{"offset_ms":-1500,"rate":1}})");
  EXPECT_DOUBLE_EQ(Progress("n1", 2.0), 2.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 3.0), 2.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 3.5), 2.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 4.5), 3.0);
}

TEST_F(NodeClocksTest, AClockAheadThatIsRestoredStandsStillByWhatItHadGained) {
  // The lease race: x2 for 2 s (2 s ahead), restored, then x2 again 1 s later.
  Feed(R"({"i":0,"t":1.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"rate","rate":2,"setting":{"offset_ms":-1000,"rate":2}}
{"i":1,"t":3.0,"type":"nemesis","f":"clock","node":"n1","phase":"end"}
{"i":2,"t":4.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"rate","rate":2,"setting":{"offset_ms":-4000,"rate":2}})");
  // Read 5 at 3.0 s; from 4.0 s it reads 4 + 2 (t - 4): 5 again at 4.5 s.
  EXPECT_DOUBLE_EQ(Progress("n1", 4.5), 3.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 5.5), 4.0);  // no faster than the controller's clock
}

TEST_F(NodeClocksTest, ASlowClockMovesTheNodeOnAtItsRate) {
  Feed(R"({"i":0,"t":1.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"rate","rate":0.5,"setting":{"offset_ms":500,"rate":0.5}}
{"i":1,"t":5.0,"type":"nemesis","f":"clock","node":"n1","phase":"end"})");
  // Read 1 + 0.5 * 4 = 3 at 5.0 s; then true, past anything it read: on at full speed.
  EXPECT_DOUBLE_EQ(Progress("n1", 5.0), 3.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 6.0), 4.0);
}

TEST_F(NodeClocksTest, AStrobeStandsStillAfterEachStepBack) {
  // Offsets 0 and -0.2 s every 0.5 s from 1.0 s: each step back (at 1.5, 2.5)
  // costs 0.2 s, each step forward gives nothing.
  Feed(R"({"i":0,"t":1.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"strobe","offset_ms":0,"offset2_ms":-200,"period":0.5,"setting":{"offset_ms":0,"rate":1}})");
  EXPECT_NEAR(Progress("n1", 1.5), 1.5, 1e-9);
  EXPECT_NEAR(Progress("n1", 2.0), 1.8, 1e-9);
  EXPECT_NEAR(Progress("n1", 3.0), 2.6, 1e-9);
}

TEST_F(NodeClocksTest, ARestartedProcessHasReadNothingBefore) {
  Feed(R"({"i":0,"t":1.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"bump","offset_ms":3000,"setting":{"offset_ms":3000,"rate":1}}
{"i":1,"t":2.0,"type":"nemesis","f":"clock","node":"n1","phase":"end"}
{"i":2,"t":2.5,"type":"process","f":"start","node":"n1","pid":8})");
  // Read 5 at 2.0 s and would stand still until 5.0 s, but a new process started at 2.5 s.
  EXPECT_DOUBLE_EQ(Progress("n1", 2.5), 2.0);
  EXPECT_DOUBLE_EQ(Progress("n1", 3.5), 3.0);
}

TEST_F(NodeClocksTest, AnUnsupportedClockOpChangesNothing) {
  Feed(R"({"i":0,"t":1.0,"type":"nemesis","f":"clock","node":"n1","phase":"start","mode":"bump","offset_ms":-3000,"unsupported":"not a glibc program"})");
  EXPECT_DOUBLE_EQ(Progress("n1", 2.0), 2.0);
}

}  // namespace
}  // namespace schism::checkers
