#pragma once
// `schism sim`: many simulated runs (simulate.h) of one built-in elector, one
// seed after another, on every core; a summary of what failed; and each
// failing run written to the run store like a real one, with the commands
// that reproduce it in the simulator and replay it on real processes.

#include <cstdint>
#include <filesystem>
#include <ostream>

#include "harness/controller.h"

namespace schism::harness::sim {

struct SimSettings {
  // The runs' config; run i gets seed config.seed + i.
  RunConfig config;
  std::uint64_t runs = 100;
  unsigned jobs = 0;      // threads; 0: one per core
  std::size_t keep = 5;   // failing runs written to the store (the lowest seeds)
  std::string nemesis;    // --nemesis as given, for the reproduce command
};

// Runs them all and prints the summary to `out`. Returns the exit code of
// the worst verdict (0 valid, 1 invalid, 2 unknown). Throws UsageError for a
// config the simulator refuses (CheckSimConfig), or no runs.
int RunSims(const SimSettings& settings, std::ostream& out);

}  // namespace schism::harness::sim
