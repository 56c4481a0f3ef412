#pragma once
// The OS half of a fault kind. nemesis/fault_kind.h says what a kind's ops
// mean (the pure vocabulary); a Mechanism does them to a running cluster,
// through the seams of harness/seams.h, in three steps in the spirit of
// Jepsen's setup!/invoke!/teardown!:
//
//   apply   the kind's start op: change the OS, record the fault's start;
//   verify  read back what the OS did and judge it (nemesis/proof.h),
//           recording the fault's "verified" event: at once for a kill or a
//           pause, just before the rules go for a partition, loss, delay...;
//   undo    the kind's end op, or everything still in force at the final heal.
//
// One file per kind in harness/faults/, one line per kind in
// harness/faults/list.cc; the FaultRunner routes each op to the mechanism of
// the kind that owns it (nemesis::OwnerOf).

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/recorder.h"
#include "harness/seams.h"
#include "nemesis/proof.h"
#include "nemesis/resolve.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// The seams a runner acts through. Those that may be missing are pointers.
struct FaultSeams {
  Timers& timers;
  Processes& processes;
  NetworkRules& network;
  Cgroups* cgroups = nullptr;     // null: no cgroup v2; signals to process groups instead
  ClockFaults* clocks = nullptr;  // null: clock ops are recorded as unsupported
  std::string clock_unsupported;  // why, when clocks is null
};

// The ops a timeline spool holds (FaultContext::SpoolTo), one JSON object a
// line, in order. A line cut short at the end (a run that died while writing
// it) is left out; any other line that is not JSON throws
// std::runtime_error "<path>:<line>: not JSON", and an unreadable file
// "<path>: cannot be read".
nlohmann::json ReadSpooledOps(const std::filesystem::path& path);

// What every mechanism of one run shares: the seams, the history, the
// timeline, and a way back into the runner.
class FaultContext {
 public:
  FaultContext(std::vector<std::string> names, FaultSeams seams, Recorder& recorder,
               std::uint64_t seed);

  const std::vector<std::string>& names() const { return names_; }
  std::size_t IndexOf(const std::string& node) const;
  double Now() const { return seams_.timers.Now(); }
  // Calls `then` after `delay_s`, unless the run is stopping by then.
  void After(double delay_s, std::function<void()> then);

  FaultSeams& seams() { return seams_; }
  NetworkRules& network() { return seams_.network; }
  // Frames the bridge has forwarded between node ports so far: what shows
  // that the nodes talked while a fault held, where its own counters are idle.
  std::uint64_t Forwarded() { return seams_.network.ReadPartition().forwarded; }
  Recorder& recorder() { return recorder_; }
  // The resolve stream of the run's seed: targets, and flap phase lengths.
  std::mt19937_64& rng() { return rng_; }
  // Appends an op as applied (its time, the op, its resolved targets) to the timeline.
  void AddToTimeline(const nemesis::ResolvedOp& resolved);
  // The timeline entry of the op being applied (a mechanism may add what it
  // applied, e.g. a partition's kernel digest, to its "applied"), until the
  // next op is added.
  nlohmann::json& current_entry() { return current_; }
  // Every op as applied: {"t", "op", "applied"} (timeline.json's "ops").
  nlohmann::json timeline() const;
  // From now on, each op is appended to `path` as one JSON line (flushed)
  // once the next op is added, instead of being kept in memory: a long run's
  // memory stays flat, and a run that dies keeps the ops it had applied.
  // Throws std::runtime_error naming `path` when it cannot be created.
  void SpoolTo(const std::filesystem::path& path);
  bool stopping() const { return stopping_; }
  void set_stopping() { stopping_ = true; }

  // Set by the runner: resolves and applies an op now, as a scheduled one
  // (a flap applies its partitions and heals so).
  std::function<void(const nemesis::Op&)> apply_op;
  // Called with each partition's proof as it is recorded (a flap counts them); may be empty.
  std::function<void(const nemesis::Proof&)> partition_proven;

 private:
  const std::vector<std::string> names_;
  FaultSeams seams_;
  Recorder& recorder_;
  std::mt19937_64 rng_;
  // Ops applied before the current one, each as its JSON text, when no
  // spool is set (text takes a few hundred bytes where a parsed entry takes a
  // few KiB); with a spool they are in its file instead.
  std::vector<std::string> done_;
  std::filesystem::path spool_path_;
  std::ofstream spool_;
  nlohmann::json current_;  // null before the first op
  bool stopping_ = false;
};

class Mechanism {
 public:
  virtual ~Mechanism() = default;
  // The name of the vocabulary kind this is the mechanism of (FaultKind::Name()).
  virtual std::string_view Kind() const = 0;
  // apply: the kind's start op, resolved.
  virtual void Apply(const nemesis::ResolvedOp& resolved) = 0;
  // undo: an end op the kind owns (it verifies what it ends first). Kinds
  // whose end op another kind owns (a flap's heal, a term's restart) get none.
  virtual void Undo(const nemesis::ResolvedOp& end) = 0;
  // undo everything of the kind still in force: the final heal.
  virtual void UndoAll() = 0;
  // Node `voter` granted a vote to node `candidate`, another node of the
  // cluster, in `term` when the elector has terms (a kill may be waiting for
  // one).
  virtual void OnVote(std::size_t /*voter*/, std::size_t /*candidate*/,
                      std::optional<std::uint64_t> /*term*/) {}
};

}  // namespace schism::harness
