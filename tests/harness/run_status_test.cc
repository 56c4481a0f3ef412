// harness/run_status: the live progress line.

#include "harness/run_status.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>

#include "histories/event.h"

namespace schism::harness {
namespace {

void Feed(RunStatus& status, const std::string& lines) {
  std::istringstream in(lines);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) status.Observe(histories::ParseEventLine(line));
  }
}

TEST(RunStatus, ShowsTheLeaderTheFaultsInForceAndTheViolationsSoFar) {
  RunStatus status;
  Feed(status, R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.4,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":0.5,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3"]]}
{"i":3,"t":0.6,"type":"nemesis","f":"pause","node":"n3","phase":"start"}
{"i":4,"t":1.0,"type":"vote","node":"n2","term":2,"for":"n2"}
{"i":5,"t":1.1,"type":"role","node":"n2","role":"leader","term":2}
)");
  EXPECT_EQ(status.Line(1.23, 30),
            "1.2/30 s | leader n2 (term 2) | faults: partition, pause n3 | 6 events | 0 violation(s) so far");
  // A second leader of term 2, and n2 voting again for another: two violations.
  Feed(status, R"(
{"i":6,"t":1.2,"type":"nemesis","f":"pause","node":"n3","phase":"end"}
{"i":7,"t":1.3,"type":"role","node":"n1","role":"leader","term":2}
{"i":8,"t":1.4,"type":"vote","node":"n2","term":2,"for":"n1"}
{"i":9,"t":1.5,"type":"process","f":"kill","node":"n2","signal":9}
{"i":10,"t":2.0,"type":"nemesis","f":"final-heal"}
)");
  EXPECT_EQ(status.violations(), 2u);
  EXPECT_EQ(status.Line(2, 30),
            "2.0/30 s | leader n1 (term 2) | faults: none | 11 events | 2 violation(s) so far");
}

TEST(RunStatus, SaysWhenThereIsNoLeader) {
  RunStatus status;
  Feed(status, R"({"i":0,"t":0,"type":"role","node":"n1","role":"candidate","term":3})");
  EXPECT_EQ(status.Line(0.5, 10),
            "0.5/10 s | no leader | faults: none | 1 events | 0 violation(s) so far");
}

TEST(StatusLineBuf, OtherOutputWipesTheStatusLineFirst) {
  std::ostringstream screen;
  {
    StatusLineGuard guard(screen);
    guard.Show("status 1");
    guard.Show("status 2");
    screen << "a message\n";
    guard.Show("status 3");
  }
  screen << "after\n";
  EXPECT_EQ(screen.str(),
            "\rstatus 1\x1b[K\rstatus 2\x1b[K\r\x1b[Ka message\n\rstatus 3\x1b[K\nafter\n");
}

}  // namespace
}  // namespace schism::harness
