#pragma once
// Internal to harness/: applies the nemesis's ops to a running cluster.
//
// Each op is resolved against the cluster as it is (nemesis::Resolve),
// recorded in the timeline, and handed to the mechanism of the fault kind
// that owns it (harness/faults/): its start op is applied, its end op
// undone, each with its proof recorded. The final heal undoes every kind.
// The runner and its mechanisms do no I/O of their own: they act through the
// seams of harness/seams.h, so tests drive them with fakes on a fake clock.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "harness/faults/list.h"
#include "harness/faults/mechanism.h"
#include "harness/faults/nodes.h"
#include "harness/recorder.h"
#include "histories/event.h"
#include "nemesis/schedule.h"

namespace schism::harness {

class FaultRunner {
 public:
  // `names`: the nodes, n1..nN, in index order. `seed`: the run's seed (its
  // resolve stream picks targets and flap phases). Throws std::logic_error
  // when a fault kind has no mechanism, or two.
  FaultRunner(std::vector<std::string> names, std::uint64_t seed, FaultSeams seams,
              Recorder& recorder);

  // Applies each of `ops` at its offset, then (when set) the final heal at
  // `final_heal_s`.
  void Schedule(const std::vector<nemesis::Op>& ops, std::optional<double> final_heal_s);
  // Resolves `op` against the cluster as it is now and applies it.
  void ApplyOp(const nemesis::Op& op);
  // The start of the quiet period: every kind undoes what it has in force
  // (verifying it first), in the order of the kinds' schedule tails: the
  // network whole, links clean, clocks true, paused nodes running, dead
  // nodes started.
  void FinalHeal();

  // Starts every node at once (NodeLives::StartAll) and records them.
  void StartNodes() { lives_.StartAll(context_.names().size()); }
  // Call with each contract event node k printed, after it is recorded:
  // tracks roles (for "leader" targets) and fires an armed voter kill.
  void OnEvent(std::size_t k, const histories::Event& e);
  // Call when node k's process `pid` exited; true when a term op was waiting
  // for it (its exit is then recorded here).
  bool OnExit(std::size_t k, pid_t pid, int code);
  // The run is ending: no op fires from now on; paused nodes resume, so that
  // they can act on the SIGTERM the run sends.
  void Stop();
  // Kills node k's whole process tree (its cgroup, or its process group) and reaps it.
  void KillTree(std::size_t k) { lives_.KillTree(k); }

  // Every op as applied: {"t", "op", "applied"} (timeline.json's "ops").
  nlohmann::json timeline() const { return context_.timeline(); }
  // Applied ops go to `path` (one JSON line each) rather than memory; see
  // FaultContext::SpoolTo.
  void SpoolTimelineTo(const std::filesystem::path& path) { context_.SpoolTo(path); }

 private:
  void ApplyResolved(const nemesis::ResolvedOp& resolved);

  FaultContext context_;
  NodeLives lives_;
  std::vector<std::unique_ptr<Mechanism>> mechanisms_;
  std::map<std::string_view, Mechanism*> by_kind_;  // by FaultKind::Name()
  std::vector<Mechanism*> heal_order_;               // the final heal's
};

}  // namespace schism::harness
