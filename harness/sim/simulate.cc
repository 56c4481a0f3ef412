#include "harness/sim/simulate.h"

#include <signal.h>

#include <algorithm>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "harness/built_in.h"
#include "harness/check.h"
#include "harness/errors.h"
#include "harness/fault_runner.h"
#include "harness/recorder.h"
#include "harness/sim/world.h"
#include "histories/reader.h"
#include "histories/writer.h"
#include "nodes/codec.h"

namespace schism::harness::sim {
namespace {

using histories::EventType;

// The tick schism-node uses unless told otherwise.
constexpr int kTickMs = 10;

// The elector's setup for a cluster of config.nodes, from the schism-node
// words in config.elector_args ("--bug NAME", "--NAME VALUE", "--FLAG").
nodes::ElectorSetup SetupFor(const RunConfig& config, const nodes::ElectorSpec& spec) {
  nodes::ElectorSetup setup = nodes::DefaultSetup(spec, config.nodes);
  setup.tick_ms = kTickMs;
  std::map<std::string, std::int64_t, std::less<>> given;
  const std::vector<std::string>& args = config.elector_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& word = args[i];
    if (word.rfind("--", 0) != 0) throw UsageError("sim: unexpected elector argument " + word);
    const std::string name = word.substr(2);
    const auto option = std::find_if(spec.options.begin(), spec.options.end(),
                                     [&](const nodes::OptionSpec& o) { return o.name == name; });
    const bool flag = option != spec.options.end() && option->kind == nodes::OptionSpec::Kind::kFlag;
    if (flag) {
      given[name] = 1;
      continue;
    }
    if (i + 1 >= args.size()) throw UsageError("sim: elector argument " + word + " has no value");
    const std::string& value = args[++i];
    if (name == "bug") {
      setup.bug = value == "none" ? "" : value;
    } else if (name == "tick-ms") {
      setup.tick_ms = std::stoi(value);
    } else if (option != spec.options.end()) {
      given[name] = std::stoll(value);
    } else {
      throw UsageError("sim: " + std::string(spec.name) + " has no option --" + name);
    }
  }
  if (!setup.bug.empty() &&
      std::none_of(spec.bugs.begin(), spec.bugs.end(),
                   [&](const nodes::BugSpec& b) { return b.name == setup.bug; })) {
    throw UsageError("sim: " + std::string(spec.name) + " has no bug " + setup.bug +
                     " (schism list shows its bugs)");
  }
  setup.options = nodes::OptionsFor(spec, config.nodes, given);
  if (spec.check) {
    if (const std::string problem = spec.check(setup); !problem.empty()) {
      throw UsageError("sim: " + problem);
    }
  }
  return setup;
}

std::vector<std::string> Names(std::size_t count) {
  std::vector<std::string> names;
  for (std::size_t k = 1; k <= count; ++k) names.push_back("n" + std::to_string(k));
  return names;
}

// The run/start event's detail, in the shape a real run records.
nlohmann::json RunStartDetail(const RunConfig& config, const std::vector<std::string>& names) {
  return {{"nodes", names},
          {"seed", config.seed},
          {"test", config.test},
          {"mechanisms", {{"simulated", true}}},
          {"config", ConfigJson(config, NodeCommand(config))},
          {"checks", RecordedChecks(config)},
          {"fault_proofs", 1}};
}

}  // namespace

std::vector<std::string> NodeCommand(const RunConfig& config) {
  std::vector<std::string> command = {"schism-node", config.elector};
  command.insert(command.end(), config.elector_args.begin(), config.elector_args.end());
  return command;
}

void CheckSimConfig(const RunConfig& config) {
  if (!config.node_cmd.empty() || !config.profile.empty()) {
    throw UsageError("sim runs the built-in electors only (schism list); --node-cmd and --profile "
                     "need real processes: use schism run");
  }
  CheckBuiltInElector(config.elector);
  CheckRunConfig(config);
  SetupFor(config, *nodes::FindElector(config.elector));
}

SimRun Simulate(const RunConfig& config) {
  const nodes::ElectorSpec& spec = *nodes::FindElector(config.elector);
  const std::vector<std::string> names = Names(config.nodes);
  WorldOptions options;
  options.elector = &spec;
  options.setup = SetupFor(config, spec);
  options.names = names;
  options.seed = config.seed;
  World world(options);

  histories::HistoryWriter history;
  std::ostringstream progress;  // what a real run would print about unproven faults
  Recorder recorder(history, world, progress);
  recorder.Note(EventType::kRun, "start", "", RunStartDetail(config, names));
  FaultSeams seams{world, world, world, &world, &world, ""};
  FaultRunner runner(names, config.seed, seams, recorder);

  bool stopping = false;
  world.on_event = [&](std::size_t k, const nodes::ContractEvent& event) {
    // The line the node would print, parsed as the controller parses it.
    std::optional<histories::Event> e = histories::ParseNodeLine(nodes::FormatEvent(event));
    if (!e) return;
    e->node = names[k];
    e->index = recorder.Record(*e);
    e->time = world.Now();
    runner.OnEvent(k, *e);
  };
  world.on_exit = [&](std::size_t k, pid_t pid, int code) {
    if (stopping || runner.OnExit(k, pid, code)) return;
    recorder.Note(EventType::kProcess, "exit", names[k], {{"pid", pid}, {"code", code}});
  };

  const std::vector<nemesis::Op> ops =
      config.timeline ? *config.timeline : nemesis::Generate(ScheduleOptionsFor(config));
  std::optional<double> final_heal;
  if (HasFaults(config)) final_heal = config.time_s - QuietPeriod(config);
  runner.Schedule(ops, final_heal);
  runner.StartNodes();
  world.RunUntil(config.time_s);

  stopping = true;
  recorder.Note(EventType::kRun, "stopping", "", {{"why", "end of run"}});
  runner.Stop();
  for (std::size_t k = 0; k < names.size(); ++k) {
    runner.KillTree(k);
    recorder.Note(EventType::kProcess, "stop", names[k]);
  }
  recorder.Note(EventType::kRun, "end", "", nlohmann::json::object());

  SimRun run;
  run.history = history.text();
  run.timeline = {{"seed", config.seed}, {"ops", runner.timeline()}};
  run.events_run = world.events_run();
  run.messages_sent = world.messages_sent();
  return run;
}

SimJudgement Judge(const std::string& history) {
  std::istringstream first_line(history.substr(0, history.find('\n')));
  nlohmann::json checks;
  {
    histories::HistoryReader reader(first_line, "history.jsonl", /*lenient=*/true);
    histories::Event first;
    if (reader.Next(first) && first.type == EventType::kRun && first.f == "start" &&
        first.detail.is_object()) {
      checks = first.detail.value("checks", nlohmann::json());
    }
  }
  checkers::CheckOptions options;
  checkers::ApplyRecorded(checks, options);
  std::vector<std::string> names = RecordedCheckers(checks);
  if (names.empty()) names = checkers::DefaultCheckerNames();
  std::vector<std::unique_ptr<checkers::Checker>> list;
  for (const std::string& name : names) list.push_back(checkers::MakeChecker(name, options));
  std::istringstream in(history);
  histories::HistoryReader reader(in, "history.jsonl");
  SimJudgement judgement;
  judgement.verdicts = checkers::RunCheckers(reader, list);
  judgement.overall = checkers::Validity::kValid;
  for (const checkers::Verdict& v : judgement.verdicts) {
    judgement.overall = checkers::Merge(judgement.overall, v.valid);
  }
  return judgement;
}

}  // namespace schism::harness::sim
