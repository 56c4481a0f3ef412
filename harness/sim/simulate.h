#pragma once
// One simulated run: the config of a real run (harness/controller.h), played
// by a built-in elector in the simulated world of world.h, in virtual time.
//
// The schedule comes from the same generator (or the same replayed
// timeline), the faults are applied by the same FaultRunner and mechanisms,
// the history has the same events in the same format, and the same checkers
// judge it. What differs is recorded in run/start: "mechanisms" says
// {"simulated": true}. The same config gives the same history, byte for byte.

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "checkers/checker.h"
#include "harness/controller.h"

namespace schism::harness::sim {

struct SimRun {
  std::string history;      // history.jsonl, every line
  nlohmann::json timeline;  // timeline.json: {"seed", "ops": [{"t","op","applied"}, ...]}
  std::uint64_t events_run = 0;     // simulator events (ticks, deliveries, timers)
  std::uint64_t messages_sent = 0;  // between nodes
};

// Throws UsageError for a config the simulator cannot run: a --node-cmd or
// --profile (only built-in electors live in the simulator), an unknown
// elector, bug or elector option, or what CheckRunConfig refuses.
void CheckSimConfig(const RunConfig& config);

// What config.json records as the nodes' command: schism-node, the elector
// and its arguments (what a replay on real processes runs).
std::vector<std::string> NodeCommand(const RunConfig& config);

// Runs `config` (checked by CheckSimConfig) to its end.
SimRun Simulate(const RunConfig& config);

// The verdicts of the checkers the run recorded on `history`, judged with
// the options it recorded, and their merge.
struct SimJudgement {
  std::vector<checkers::Verdict> verdicts;
  checkers::Validity overall = checkers::Validity::kUnknown;
};
SimJudgement Judge(const std::string& history);

}  // namespace schism::harness::sim
