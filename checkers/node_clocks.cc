#include "checkers/node_clocks.h"

#include <algorithm>
#include <string>

#include "checkers/node_status.h"

namespace schism::checkers {

double NodeClocks::Reading(const Clock& c, double t) {
  return t + c.offset + c.slope * (t - c.since);
}

// Standing still from `since` until the clock reads its old high again.
double NodeClocks::MovesFrom(const Clock& c) {
  const double rate = 1 + c.slope;  // a rate is at least x0.01
  return c.since + std::max(0.0, (c.mark - Reading(c, c.since)) / rate);
}

double NodeClocks::ProgressAt(const Clock& c, double t) {
  return c.progress + std::max(0.0, t - MovesFrom(c)) * std::min(1.0, 1 + c.slope);
}

void NodeClocks::Cut(Clock& c, double t) {
  c.progress = ProgressAt(c, t);
  c.mark = std::max(c.mark, Reading(c, t));
  c.since = t;
}

void NodeClocks::Advance(Clock& c, double t) {
  while (c.strobe && t >= c.since + c.period) {
    const double step = c.since + c.period;
    Cut(c, step);
    c.second = !c.second;
    c.offset = c.second ? c.b : c.a;
  }
}

NodeClocks::Clock& NodeClocks::At(const std::string& node) {
  const NodeTable::Id id = nodes_.Intern(node);
  if (clocks_.size() <= id) clocks_.resize(id + 1);
  return clocks_[id];
}

bool NodeClocks::Apply(const histories::Event& event) {
  if (event.node.empty()) return false;
  const bool clock = event.type == histories::EventType::kNemesis && event.f == "clock";
  if (!clock && !(event.type == histories::EventType::kProcess && IsProcessUp(event.f))) {
    return false;
  }
  const std::string phase =
      clock && event.detail.is_object() ? event.detail.value("phase", "") : "";
  const bool start = phase == "start" && event.detail.contains("setting") &&
                     event.detail["setting"].is_object();  // not an unsupported op
  if (clock && phase != "end" && !start) return false;

  Clock& c = At(event.node);
  const double t = std::max(event.time, c.since);
  Advance(c, t);
  const double offset_now = Reading(c, t) - t;
  Cut(c, t);
  if (!clock) {
    c.mark = -1e300;  // a new process has read nothing yet
    return true;
  }
  c.strobe = false;
  if (phase == "end") {
    c.offset = 0;
    c.slope = 0;
    return true;
  }
  c.slope = event.detail["setting"].value("rate", 1.0) - 1;
  const std::string mode = event.detail.value("mode", "");
  const double offset_s = event.detail.value("offset_ms", 0.0) / 1000;
  if (mode == "bump") {
    c.offset = offset_now + offset_s;
  } else if (mode == "strobe" && event.detail.value("period", 0.0) > 0) {
    c.strobe = true;
    c.second = false;
    c.a = offset_s;
    c.b = event.detail.value("offset2_ms", 0.0) / 1000;
    c.period = event.detail.value("period", 0.0);
    c.offset = c.a;
  } else {  // rate: on from where the clock is, at its new pace
    c.offset = offset_now;
  }
  return true;
}

double NodeClocks::Progress(NodeTable::Id id, double t) {
  if (id >= clocks_.size()) return t;
  Clock& c = clocks_[id];
  t = std::max(t, c.since);
  Advance(c, t);
  return ProgressAt(c, t);
}

double NodeClocks::MovesAgainAt(NodeTable::Id id, double t) {
  if (id >= clocks_.size()) return t;
  Clock& c = clocks_[id];
  t = std::max(t, c.since);
  Advance(c, t);
  if (c.strobe) return t;
  return std::max(t, MovesFrom(c));
}

}  // namespace schism::checkers
