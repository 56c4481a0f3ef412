#include "tests/sim/history.h"

#include <optional>
#include <utility>

#include "nodes/codec.h"

namespace schism::sim {

using histories::Event;
using histories::EventType;

void HistoryRecorder::RunStart(const std::vector<std::string>& nodes, std::uint64_t seed) {
  Event e = Make(EventType::kRun, "", "start");
  e.detail = {{"nodes", nodes}, {"seed", seed}};
  Emit(e);
}

void HistoryRecorder::RunEnd() { Emit(Make(EventType::kRun, "", "end")); }

void HistoryRecorder::ProcessStart(const std::string& node) {
  Emit(Make(EventType::kProcess, node, "start"));
}

void HistoryRecorder::ProcessKill(const std::string& node) {
  Event e = Make(EventType::kProcess, node, "kill");
  e.detail = {{"signal", 9}};
  Emit(e);
}

void HistoryRecorder::PartitionStart(const std::vector<std::vector<std::string>>& components) {
  Event e = Make(EventType::kNemesis, "", "partition");
  e.detail = {{"phase", "start"}, {"components", components}};
  Emit(e);
}

void HistoryRecorder::PartitionEnd() {
  Event e = Make(EventType::kNemesis, "", "partition");
  e.detail = {{"phase", "end"}};
  Emit(e);
}

void HistoryRecorder::Record(const std::vector<NodeOutput>& outputs) {
  for (const NodeOutput& output : outputs) {
    for (const ContractEvent& event : output.ready.events) {
      // The line the node would print, parsed as the controller parses it.
      std::optional<Event> e = histories::ParseNodeLine(nodes::FormatEvent(event));
      if (!e) continue;  // FormatEvent only writes contract lines.
      e->index = next_index_++;
      e->time = now_;
      e->node = output.node;
      Emit(*e);
    }
  }
}

Event HistoryRecorder::Make(EventType type, const std::string& node, std::string f) {
  Event e;
  e.index = next_index_++;
  e.time = now_;
  e.type = type;
  e.node = node;
  e.f = std::move(f);
  return e;
}

void HistoryRecorder::Emit(const Event& event) {
  text_ += histories::FormatEvent(event);
  text_ += '\n';
}

}  // namespace schism::sim
