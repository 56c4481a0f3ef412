#pragma once
// `schism runs`: the runs a store holds, newest last, with their verdicts.

#include <cstddef>
#include <filesystem>
#include <string>

namespace schism::harness {

// One line per run dir under `store` (store/<test>/<timestamp>-s<seed>/),
// oldest first, the last `last` of them (0: all): its path, test, seed,
// nodes, length, faults, the verdict from results.json and the checkers that
// were not valid, or "no results" for a run that did not finish (its
// controller was killed, or it still runs). Throws UsageError when `store`
// is not a directory.
std::string ListRuns(const std::filesystem::path& store, std::size_t last);

}  // namespace schism::harness
