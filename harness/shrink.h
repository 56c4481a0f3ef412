#pragma once
// `schism shrink`: the smallest part of a failing run's faults that still fails.
//
// Delta debugging (Zeller and Hildebrandt's ddmin) over the faults of the
// run's applied timeline: candidates drop faults (never the ops that end
// one: a heal, a restart, a resume, an *-end with nothing to end does
// nothing), each keeps the others at their times, and each is replayed on a
// fresh cluster up to `tries` times, failing once being enough (timing is
// not deterministic). A candidate fails when its verdict is invalid by one of
// the checkers that found the original run invalid. Then each fault left is
// made smaller while the run still fails: its window halved (HalveWindow, up
// to 4 times), a partition's groups cut one node fewer off (SmallerGroups).

#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <ostream>
#include <vector>

#include "nemesis/schedule.h"

namespace schism::harness {

// Whether `kind` ends a fault rather than starting one.
bool EndsAFault(nemesis::OpKind kind);

// The op that ends the fault ops[k] starts: the first later op that ends its
// kind (for the same node, or for every node); ops.size() when there is none.
std::size_t EndOf(const std::vector<nemesis::Op>& ops, std::size_t k);

// The shortest window HalveWindow makes: shorter, and a fault may not have
// taken effect before it ends.
inline constexpr double kShortestWindowS = 0.25;

// `ops` with the window of the fault ops[k] starts cut to half (a kill's
// restart_after or a pause's resume_after, else the op that ends it moved
// earlier), or nullopt when that would be under kShortestWindowS or nothing
// in the timeline ends it (it lasts to the final heal). Pure.
std::optional<std::vector<nemesis::Op>> HalveWindow(std::vector<nemesis::Op> ops, std::size_t k);

// `ops` with the partition ops[k] cutting one node fewer off: a node of its
// smallest group of two or more moves to its largest group. Nullopt for an
// op that is no grouping partition, or one that cuts only single nodes off. Pure.
std::optional<std::vector<nemesis::Op>> SmallerGroups(std::vector<nemesis::Op> ops, std::size_t k);

// ddmin over the items 0..n-1: returns a subset (in order) for which
// `fails` holds and from which no single chunk ddmin tries can be removed
// (1-minimal when it runs to the end). `fails` is never asked about the full
// set (the caller knows it fails); `give_up` is asked before each candidate
// and stops the search with the smallest failing set so far. Pure.
std::vector<std::size_t> MinimalFailing(
    std::size_t n, const std::function<bool(const std::vector<std::size_t>&)>& fails,
    const std::function<bool()>& give_up);

struct ShrinkSettings {
  std::filesystem::path run_dir;    // a failing run
  std::filesystem::path store = "store";
  std::filesystem::path node_binary;  // schism-node
  int tries = 3;                    // replays per candidate
  double budget_s = 1800;           // wall time for the whole search
};

// Shrinks `settings.run_dir`'s faults, printing one line per candidate to
// `out`, and the minimal run with its replay command at the end. Returns the
// exit code: 1 when a smaller (or equal) failing timeline was found, 2 when
// the run no longer fails in `tries` replays. Throws UsageError for a run dir
// that is not a run, or a run that was not invalid.
int Shrink(const ShrinkSettings& settings, std::ostream& out);

}  // namespace schism::harness
