#pragma once
// `schism conform`: a scripted run of about a minute that tells an elector's
// author, before anyone wastes a night on it, which parts of the contract
// (docs/contract.md) the elector keeps: the checklist of
// checkers/conformance.h, each item pass, FAIL (with its evidence), n/a or
// unknown.

#include <ostream>
#include <vector>

#include "harness/controller.h"
#include "nemesis/schedule.h"

namespace schism::harness {

// The run length of the script, and its ops for a cluster of `nodes` (>= 3):
// the leader killed once on clean links, six election races under 70 % loss
// (leaders killed, and the candidate and the voter of the next contested
// vote, the voter restarted at once), one node sent SIGTERM, then quiet.
inline constexpr double kConformTimeS = 60;
std::vector<nemesis::Op> ConformScript(std::size_t nodes);

// Runs the script with `config` (its elector, nodes, port, store and seed;
// the timeline and time are the script's), prints the checklist to `out` and
// writes it to the run dir as conform.json. Returns the exit code of
// checkers::ConformExitCode. An elector that exits before it ever prints a
// contract line fails the "starts" item (exit 1). Throws UsageError for
// fewer than 3 nodes or a bad template, and what RunTest throws otherwise.
int Conform(RunConfig config, std::ostream& out, std::ostream& progress);

}  // namespace schism::harness
