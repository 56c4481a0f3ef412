#pragma once
// Internal to harness/: writes a run's history, each event stamped with the
// run's time, in the shapes the checkers read (DESIGN.md §3): a fault's
// start, its "verified" proof, a skipped op.

#include <cstdint>
#include <ostream>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/run_status.h"
#include "harness/seams.h"
#include "histories/event.h"
#include "histories/writer.h"
#include "nemesis/proof.h"
#include "nemesis/resolve.h"

namespace schism::harness {

class Recorder {
 public:
  // `progress` gets a line for each fault that is not proven.
  Recorder(histories::HistoryWriter& history, const Timers& timers, std::ostream& progress)
      : history_(history), timers_(timers), progress_(progress) {}

  // Appends `e` at the run's time now; returns its index.
  std::uint64_t Record(histories::Event e);
  // Records an event of `type`/`f` about `node` ("" for none) with `detail`.
  void Note(histories::EventType type, std::string f, std::string node,
            nlohmann::json detail = nullptr);
  // Records the start of a nemesis fault, described as the nemesis resolved
  // it; returns the event's index, which its verified event names as "of".
  std::uint64_t NoteFaultStart(const std::string& f, const nemesis::ResolvedOp& resolved,
                               nlohmann::json extra = nlohmann::json::object());
  // The same for one `node` of a fault that hit several.
  std::uint64_t NoteFaultStartOn(const std::string& f, const nemesis::ResolvedOp& resolved,
                                 const std::string& node,
                                 nlohmann::json extra = nlohmann::json::object());
  // Records whether the fault started by event `of` took effect (its
  // "verified" event, which faults-applied judges).
  void NoteVerified(std::uint64_t of, const std::string& f, const std::string& node,
                    const nemesis::Proof& proof);
  // Records a fault the nemesis resolved to nothing, with its "skipped" reason.
  void NoteSkipped(const nemesis::ResolvedOp& resolved);

  std::ostream& progress() { return progress_; }
  // Every event recorded from now on is also shown to `status` (may be null).
  void Watch(RunStatus* status) { status_ = status; }

 private:
  histories::HistoryWriter& history_;
  const Timers& timers_;
  std::ostream& progress_;
  RunStatus* status_ = nullptr;
};

}  // namespace schism::harness
