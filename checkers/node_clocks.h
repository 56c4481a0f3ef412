#pragma once
// How much time each node's own clock has given it, as the nemesis's clock
// faults set that clock.

#include <cstddef>
#include <string>
#include <vector>

#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::checkers {

// Follows the "clock" nemesis events (start with its "setting", end) and
// process starts, and models each node's clock as the controller's clock
// plus an offset: a bump moves the offset, a rate makes it grow (x2: one
// second more each second) from where it was, a strobe alternates between
// its two offsets every period, an end puts it back to 0. schism's clock
// faults move the node's monotonic clock as well as its realtime one
// (libfaketime), so the model is what the node's timers run on.
//
// A node's timers move it on only while its clock reads later than anything
// it read before: after its clock is set back by D it stands still (a
// leader's heartbeats and check-quorum stop with it) until the clock has made
// up D. A slow clock (x0.5) moves it on at half speed; a fast one is given no
// more than the controller's second, as a timer that waits "1 s from now"
// still waits a real second. Progress() adds that up: seconds of the
// controller's clock, each counted at min(1, rate) while the node's clock is
// at a new high and 0 while it stands still. Progress(t2) - Progress(t1) is
// then the time the node's own clock gave it between t1 and t2, at most
// t2 - t1. A process that starts again has read nothing before: its high
// mark starts afresh.
//
// Times are run seconds; a rate's offsets are counted from its event's time
// (the controller set it a few ms earlier). Memory: one entry per node.
class NodeClocks {
 public:
  explicit NodeClocks(NodeTable& nodes) : nodes_(nodes) {}

  // Applies a clock or process event and returns true if it was one.
  bool Observe(const histories::Event& event) {
    // Inline, as it sees every event and nearly all are neither.
    if (event.type != histories::EventType::kNemesis &&
        event.type != histories::EventType::kProcess) {
      return false;
    }
    return Apply(event);
  }

  // The time node `id`'s own clock has given it from run time 0 to `t`. Calls
  // for one node take non-decreasing `t`; an earlier `t` is taken as the
  // latest one given (or the node's latest clock or process event). A node
  // without clock faults gets `t`.
  double Progress(NodeTable::Id id, double t);
  // When, at or after `t`, node `id`'s clock moves it on again, with no clock
  // event after its latest: `t` unless its clock stands still then (set back
  // and not yet caught up). A strobe counts as moving. Same order rule as
  // Progress.
  double MovesAgainAt(NodeTable::Id id, double t);

 private:
  // The clock from `since` on: the controller's time plus `offset` at
  // `since`, growing by `slope` a second until the next event (or strobe step).
  struct Clock {
    double since = 0.0;
    double offset = 0.0;
    double slope = 0.0;
    bool strobe = false;
    bool second = false;  // a strobe is at its second offset
    double a = 0.0, b = 0.0, period = 0.0;
    double mark = -1e300;    // the highest reading before `since`
    double progress = 0.0;   // Progress() at `since`
  };

  // Observe() for a nemesis or process event.
  bool Apply(const histories::Event& event);
  static double Reading(const Clock& c, double t);
  static double MovesFrom(const Clock& c);
  static double ProgressAt(const Clock& c, double t);
  // Starts a new piece at `t` (>= since), carrying the mark and progress on.
  static void Cut(Clock& c, double t);
  // Takes a strobe through its steps up to `t`.
  static void Advance(Clock& c, double t);
  Clock& At(const std::string& node);

  NodeTable& nodes_;
  std::vector<Clock> clocks_;
};

}  // namespace schism::checkers
