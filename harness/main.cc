// schism: the controller and checker CLI.
//   schism run   --elector raft --nodes 5 --time 30 --seed 7 --nemesis partition,kill
//   schism replay store/raft/latest-run-dir   (or a timeline.json)
//   schism check path/to/history.jsonl
// Exit codes (DESIGN.md §4): 0 valid, 1 invalid, 2 unknown, 64 usage, 70 environment.

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <random>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>

#include "checkers/report.h"
#include "harness/check.h"
#include "harness/conform.h"
#include "harness/controller.h"
#include "harness/built_in.h"
#include "harness/elector.h"
#include "harness/doctor.h"
#include "harness/errors.h"
#include "harness/nightly.h"
#include "harness/replay.h"
#include "harness/rootless.h"
#include "harness/runs.h"
#include "harness/shrink.h"
#include "harness/sim/sim_command.h"
#include "nemesis/fault_kind.h"
#include "nemesis/suggest.h"

namespace {
using namespace schism::harness;
namespace fs = std::filesystem;

// schism-node sits next to the schism binary in build/.
fs::path DefaultNodeBinary() {
  std::error_code ec;
  fs::path self = fs::read_symlink("/proc/self/exe", ec);
  return ec ? fs::path("schism-node") : self.parent_path() / "schism-node";
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string item; std::getline(in, item, ',');) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

// The verdict table, the overall verdict, the events the evidence points at
// (so nobody has to look them up by hand) and the contract warnings.
void PrintVerdicts(const std::vector<schism::checkers::Verdict>& verdicts,
                   schism::checkers::Validity overall,
                   const std::map<std::uint64_t, std::string>& events,
                   const std::vector<std::string>& warnings) {
  std::cout << schism::checkers::VerdictTable(verdicts);
  std::cout << "verdict: " << schism::checkers::ToString(overall) << "\n";
  for (const auto& v : verdicts) {
    if (v.evidence.empty()) continue;
    std::cout << "evidence for " << v.checker << " (history.jsonl, event i on line i+1):\n";
    std::set<std::uint64_t> shown;
    for (std::uint64_t i : v.evidence) {
      if (!shown.insert(i).second) continue;
      auto it = events.find(i);
      std::cout << "  " << (it == events.end() ? "i=" + std::to_string(i) + " (not found)"
                                               : it->second)
                << "\n";
    }
  }
  for (const std::string& w : warnings) std::cout << "warning: " << w << "\n";
}

// --nemesis's help: every fault kind (nemesis/fault_kind.h) with its
// default weight and what it does, one a line.
std::string NemesisHelp() {
  std::ostringstream help;
  help << "faults, each NAME or NAME:WEIGHT (default weight in brackets), or all, or none:";
  for (const schism::nemesis::FaultKind* kind : schism::nemesis::AllFaultKinds()) {
    std::ostringstream weight;
    weight << "[" << kind->DefaultWeight() << "]";
    help << "\n  " << std::left << std::setw(10) << kind->Name() << std::setw(7) << weight.str()
         << kind->Help();
  }
  return help.str();
}

// "--nemesis partition:3,kill,delay:0.5": names with optional weights.
void ParseNemeses(const std::string& text, RunConfig& config) {
  std::string known;
  for (std::string_view name : schism::nemesis::kNemesisNames) known += std::string(name) + ", ";
  const std::vector<std::string> items = SplitList(text);
  if (items.empty()) {
    throw UsageError("--nemesis is empty; name faults (" + known + "...) or none");
  }
  for (const char* alone : {"none", "all"}) {
    if (items.size() > 1 && std::find(items.begin(), items.end(), alone) != items.end()) {
      throw UsageError("--nemesis: \"" + std::string(alone) + "\" means " +
                       (alone == std::string("none") ? "no faults" : "every fault") +
                       " and cannot be combined with others (\"" + text + "\")");
    }
  }
  if (items.size() == 1 && items[0] == "all") {
    for (std::string_view name : schism::nemesis::kNemesisNames) config.nemeses.emplace_back(name);
    return;
  }
  for (const std::string& item : items) {
    if (item == "none") continue;
    const std::size_t colon = item.find(':');
    const std::string name = item.substr(0, colon);
    const auto& names = schism::nemesis::kNemesisNames;
    if (std::find(std::begin(names), std::end(names), name) == std::end(names)) {
      throw UsageError("--nemesis: unknown fault \"" + name + "\"; known: " + known + "all, none");
    }
    if (std::find(config.nemeses.begin(), config.nemeses.end(), name) == config.nemeses.end()) {
      config.nemeses.push_back(name);
    }
    if (colon == std::string::npos) continue;
    const std::string weight = item.substr(colon + 1);
    std::size_t used = 0;
    double value = -1;
    try {
      value = std::stod(weight, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != weight.size() || !(value >= 0) || !std::isfinite(value)) {
      throw UsageError("--nemesis: weight \"" + weight + "\" of " + name +
                       " must be a number >= 0, e.g. " + name + ":2");
    }
    config.weights[name] = value;
  }
}

// "unknown flag --tme for run; did you mean --time?" for the first --word on
// the command line that the subcommand has no option for, if any.
std::optional<std::string> UnknownFlag(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return std::nullopt;
  CLI::App* sub = nullptr;
  try {
    sub = app.get_subcommand(argv[1]);
  } catch (const CLI::OptionNotFound&) {
    return std::nullopt;
  }
  std::vector<std::string> known = {"--help"};
  for (const CLI::Option* option : sub->get_options()) {
    for (const std::string& name : option->get_lnames()) known.push_back("--" + name);
  }
  for (int k = 2; k < argc; ++k) {
    std::string word = argv[k];
    if (word.rfind("--", 0) != 0 || word == "--") continue;
    word = word.substr(0, word.find('='));
    if (std::find(known.begin(), known.end(), word) != known.end()) continue;
    const std::optional<std::string> closest = schism::nemesis::Closest(word, known);
    return "unknown flag " + word + " for " + argv[1] +
           (closest ? "; did you mean " + *closest + "?" : "");
  }
  return std::nullopt;
}

int RunAndReport(const RunConfig& config) {
  RunResult result = RunTest(config, std::cerr);
  PrintVerdicts(result.verdicts, result.overall, result.evidence_events, result.warnings);
  std::cout << "report: " << (result.run_dir / "report.html").string() << "\n"
            << "run dir: " << result.run_dir.string() << "\n";
  if (result.interrupted) return ExitForInterrupt(result.interrupt_signal);
  return ExitCodeFor(result.overall);
}

// Which elector runs: the built-in one (--elector, default raft, with --bug
// and --pre-vote) or a command template (--node-cmd); never both, never an
// empty template.
struct ElectorChoice {
  bool elector_given = false;
  bool node_cmd_given = false;
  std::string bug;
  bool pre_vote = false;
  std::vector<std::string> options;  // --elector-opt NAME=VALUE
};

void ApplyElectorChoice(const ElectorChoice& choice, RunConfig& config) {
  if (!config.probe_cmd.empty()) {
    try {
      config.probe_cmd = WithAbsoluteProgram(config.probe_cmd);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--probe: ") + e.what());
    }
  }
  if (!config.profile.empty()) {
    if (choice.elector_given) {
      throw UsageError("--elector and --profile both given: --profile runs a real server; pick one");
    }
    if (!choice.bug.empty() || choice.pre_vote || !choice.options.empty()) {
      throw UsageError("--bug, --pre-vote and --elector-opt apply to built-in electors only");
    }
    config.elector = config.profile;
    return;
  }
  if (choice.node_cmd_given) {
    if (config.node_cmd.find_first_not_of(" \t") == std::string::npos) {
      throw UsageError("--node-cmd is empty: give your elector's command template, or leave "
                       "--node-cmd out to run the built-in Raft");
    }
    if (choice.elector_given) {
      throw UsageError("--elector and --node-cmd both given: --elector picks a built-in elector, "
                       "--node-cmd runs your own; pick one");
    }
    if (!choice.bug.empty()) throw UsageError("--bug applies to built-in electors only");
    if (choice.pre_vote) throw UsageError("--pre-vote applies to the built-in Raft only");
    if (!choice.options.empty()) {
      throw UsageError("--elector-opt applies to built-in electors only; put your elector's "
                       "options in --node-cmd");
    }
    try {
      config.node_cmd = WithAbsoluteProgram(config.node_cmd);
    } catch (const std::invalid_argument& e) {
      throw UsageError(std::string("--node-cmd: ") + e.what());
    }
    config.elector = "custom";
    return;
  }
  CheckBuiltInElector(config.elector);
  for (const std::string& arg : BugArgs(config.elector, choice.bug)) {
    config.elector_args.push_back(arg);
  }
  if (choice.pre_vote) {
    if (config.elector != "raft") throw UsageError("--pre-vote applies to the built-in raft only");
    config.elector_args.push_back("--pre-vote");
  }
  for (const std::string& arg : OptionArgs(config.elector, choice.options)) {
    config.elector_args.push_back(arg);
  }
}

int DoRun(RunConfig config, const std::string& nemesis, const ElectorChoice& choice) {
  ParseNemeses(nemesis, config);
  ApplyElectorChoice(choice, config);
  if (config.test.empty()) config.test = config.elector;
  return RunAndReport(config);
}

int DoSim(schism::harness::sim::SimSettings sim, const std::string& nemesis,
          const ElectorChoice& choice) {
  ParseNemeses(nemesis, sim.config);
  ApplyElectorChoice(choice, sim.config);
  sim.nemesis = nemesis;
  if (sim.config.test.empty()) sim.config.test = "sim-" + sim.config.elector;
  return schism::harness::sim::RunSims(sim, std::cout);
}

int DoReplay(const std::string& path, const ReplayOverrides& overrides) {
  RunConfig config = ReplayConfig(path, overrides);
  std::cerr << "schism: replaying " << config.replay_of << " (" << config.timeline->size()
            << " ops, " << config.nodes << " nodes, " << config.time_s << " s, seed " << config.seed
            << ")\n";
  return RunAndReport(config);
}

int DoCheck(const std::string& file, CheckSettings settings, bool json) {
  settings.html = false;
  CheckOutcome outcome = CheckHistory(file, settings);
  if (json) {
    std::cout << ResultsFor(outcome).dump(2) << "\n";
  } else {
    PrintVerdicts(outcome.verdicts, outcome.overall, outcome.evidence_events, outcome.warnings);
    if (outcome.skipped_lines > 0) {
      std::cout << "skipped " << outcome.skipped_lines << " malformed line(s) (--lenient)\n";
    }
    if (outcome.partial) {
      std::cout << "partial: the history ends at " << outcome.ended_at_s
                << " s without the run's end (its controller was killed, or it still runs): "
                   "the verdict covers only what was recorded\n";
    }
    if (outcome.interrupted) {
      std::cout << "the run was interrupted at " << outcome.ended_at_s
                << " s: the verdict covers only what was recorded\n";
    }
  }
  return ExitCodeFor(outcome.overall);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"schism: chaos testing for leader election"};
  app.require_subcommand(1);
  // CLI11 would wrap "-1" around to 18446744073709551615.
  const CLI::Validator kSeed(
      [](std::string& text) {
        return text.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : "must be a whole number from 0 up, got \"" + text + "\"";
      },
      "SEED");
  app.set_version_flag("--version", std::string("schism ") + SCHISM_VERSION);
  app.option_defaults()->multi_option_policy(CLI::MultiOptionPolicy::TakeLast);

  RunConfig run;
  run.nemeses.clear();
  run.node_binary = DefaultNodeBinary();
  run.seed = std::random_device{}() & 0xffffffu;
  std::string nemesis = "partition,kill";
  ElectorChoice choice;
  CLI::App* run_cmd = app.add_subcommand("run", "start a cluster, break it, check the history");
  run_cmd->footer(
      "Examples:\n"
      "  schism run --elector raft --nodes 5 --time 30 --seed 7 --nemesis partition,kill\n"
      "  schism run --bug double-vote --time 60              # watch the checkers catch it\n"
      "  schism run --node-cmd '/opt/e --id {node} --listen {addr}:{port} --peers {peers}'\n"
      "  schism run --profile etcd --nodes 3 --nemesis partition,kill,pause\n"
      "  schism run --time 60 --nemesis partition:2,delay,clock --node-user nobody");
  CLI::Option* elector_opt =
      run_cmd->add_option("--elector", run.elector,
                          "built-in elector (default raft; `schism list` shows them all)");
  CLI::Option* node_cmd_opt =
      run_cmd->add_option("--node-cmd", run.node_cmd, "elector command template (contract v1)");
  run_cmd->add_option("--profile", run.profile,
                      "a real server to run instead of an elector (schism list shows them)");
  run_cmd->add_option("--service", run.service,
                      "servers the nodes are clients of, in namespaces of their own: redis, "
                      "etcd:3, zookeeper:3 ({service} in --node-cmd; default: the profile's)");
  run_cmd->add_option("--probe", run.probe_cmd,
                      "a read-only command template run in each node's namespace; it prints "
                      "{\"role\":...,\"term\":...,\"leader\":...} (docs/probes.md)");
  run_cmd->add_option("--probe-every", run.probe_every_ms,
                      "milliseconds between probes of a node (default 250, or the profile's)");
  run_cmd->add_option("--probe-timeout", run.probe_timeout_ms,
                      "milliseconds a probe may take (default 1000, or the profile's)");
  double run_grace = 0;
  CLI::Option* run_grace_opt = run_cmd->add_option(
      "--partition-grace", run_grace,
      "seconds a leader cut off from a majority may take to step down (default 1.5, or the "
      "profile's)");
  run_cmd->add_option("--nodes", run.nodes, "cluster size")->capture_default_str();
  run_cmd->add_option("--time", run.time_s, "run length in seconds")->capture_default_str();
  run_cmd->add_option("--seed", run.seed, "nemesis seed (default: random, printed)")
      ->check(kSeed);
  run_cmd->add_option("--nemesis", nemesis, NemesisHelp())->capture_default_str();
  run_cmd->add_option("--nemesis-interval", run.interval_s, "seconds between faults")->capture_default_str();
  run_cmd->add_option("--quiet", run.quiet_s, "healed seconds at the end (default max(5, 20% of --time))");
  run_cmd->add_option("--liveness-deadline", run.liveness_deadline_s,
                      "seconds after the final heal by which a stable leader must appear "
                      "(default 80% of the quiet period, at most quiet minus the window)");
  double run_stable_window = 0;
  CLI::Option* run_window = run_cmd->add_option(
      "--stable-window", run_stable_window,
      "seconds a leader must hold, followed by a majority, to count as stable (default 1)");
  run_cmd->add_option("--checker", run.checkers,
                      "checkers to run (repeatable or comma-separated; default all)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run_cmd->add_option("--bug", choice.bug, "the built-in elector's bug to inject (schism list)");
  run_cmd->add_option("--elector-opt", choice.options,
                      "NAME=VALUE: an option of the built-in elector (repeatable; schism list)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  run_cmd->add_flag("--pre-vote", choice.pre_vote, "built-in raft: use pre-vote");
  bool run_split_brain_allowed = false, check_split_brain_allowed = false;
  run_cmd->add_flag("--split-brain-allowed", run_split_brain_allowed,
                    "termless electors: report two simultaneous leaders without failing");
  run_cmd->add_option("--port", run.port, "elector port")->capture_default_str();
  run_cmd->add_option("--store", run.store, "run store root")->capture_default_str();
  run_cmd->add_option("--fsync-every", run.fsync_every_s,
                      "seconds between fdatasyncs of the history, so a crash of the machine "
                      "loses at most that much of it (default: none)")
      ->check(CLI::NonNegativeNumber);
  run_cmd->add_option("--node-user", run.node_user,
                      "who the nodes run as: a user, UID[:GID] or root (default: nobody, without "
                      "the privileges to read or change the harness's rules; root, with a "
                      "warning, when nobody cannot reach the store or the programs)");
  run_cmd->add_option("--test", run.test, "test name (run store folder)");
  run_cmd->add_option("--node-bin", run.node_binary, "path of schism-node");

  schism::harness::sim::SimSettings sim;
  sim.config.nemeses.clear();
  sim.config.seed = 1;
  std::string sim_nemesis = "partition,kill";
  ElectorChoice sim_choice;
  CLI::App* sim_cmd = app.add_subcommand(
      "sim", "run a built-in elector many times in a simulated world, in virtual time");
  sim_cmd->footer(
      "Examples:\n"
      "  schism sim --elector raft --runs 10000 --nemesis all      # thousands of seeds a minute\n"
      "  schism sim --bug forget-vote --runs 1000 --nemesis partition,kill,pause\n"
      "  schism sim --bug double-vote --seed 17 --runs 1         # one seed again, same history\n"
      "Each failing run is written to the store with the command that replays it on real\n"
      "processes (schism replay RUN_DIR). docs/simulation.md says what the simulator models.");
  sim_cmd->add_option("--elector", sim.config.elector, "built-in elector (schism list)")
      ->capture_default_str();
  sim_cmd->add_option("--bug", sim_choice.bug, "the built-in elector's bug to inject");
  sim_cmd->add_option("--elector-opt", sim_choice.options,
                      "NAME=VALUE: an option of the built-in elector (repeatable)")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sim_cmd->add_flag("--pre-vote", sim_choice.pre_vote, "built-in raft: use pre-vote");
  sim_cmd->add_option("--nodes", sim.config.nodes, "cluster size")->capture_default_str();
  sim_cmd->add_option("--time", sim.config.time_s, "virtual seconds per run")
      ->capture_default_str();
  sim_cmd->add_option("--seed", sim.config.seed, "the first run's seed; run i gets seed + i")
      ->capture_default_str()
      ->check(kSeed);
  sim_cmd->add_option("--runs", sim.runs, "how many runs")->capture_default_str();
  sim_cmd->add_option("-j,--jobs", sim.jobs, "threads (default: one per core)");
  sim_cmd->add_option("--nemesis", sim_nemesis, NemesisHelp())->capture_default_str();
  sim_cmd->add_option("--nemesis-interval", sim.config.interval_s, "seconds between faults")
      ->capture_default_str();
  sim_cmd->add_option("--quiet", sim.config.quiet_s,
                      "healed seconds at the end (default max(5, 20% of --time))");
  sim_cmd->add_option("--checker", sim.config.checkers,
                      "checkers to run (repeatable or comma-separated; default all)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  sim_cmd->add_option("--keep", sim.keep, "failing runs written to the store (lowest seeds)")
      ->capture_default_str();
  sim_cmd->add_option("--store", sim.config.store, "run store root")->capture_default_str();
  sim_cmd->add_option("--test", sim.config.test, "test name (run store folder; default sim-ELECTOR)");

  std::string replay_path;
  ReplayOverrides replay;
  replay.node_binary = run.node_binary;
  CLI::App* replay_cmd = app.add_subcommand(
      "replay", "run a recorded run's timeline (or a hand-written one) again on a fresh cluster");
  replay_cmd->footer(
      "Examples:\n"
      "  schism replay store/latest                      # the same faults on a fresh cluster\n"
      "  schism replay docs/examples/split-brain.json    # a hand-written timeline");
  replay_cmd->add_option("path", replay_path, "run dir, its timeline.json, or a timeline file")
      ->required();
  replay_cmd->add_option("--nodes", replay.nodes, "cluster size (default: the recorded run's, or 5)");
  replay_cmd->add_option("--time", replay.time_s,
                         "run length in seconds (default: the recorded run's, or just long enough)");
  replay_cmd->add_option("--seed", replay.seed, "node seed (default: the recorded run's, or random)")
      ->check(kSeed);
  replay_cmd->add_option("--elector", replay.elector, "built-in elector (schism list)");
  replay_cmd->add_option("--node-cmd", replay.node_cmd,
                         "elector command template (contract v1), instead of the recorded elector");
  replay_cmd->add_option("--profile", replay.profile,
                         "a real server or recipe instead of the recorded elector (schism list)");
  replay_cmd->add_option("--service", replay.service, "the service instead of the recorded one");
  replay_cmd->add_option("--bug", replay.bug,
                         "the built-in elector's bug instead of the recorded one (none: the "
                         "fixed build)");
  replay_cmd->add_option("--port", replay.port, "elector port");
  replay_cmd->add_option("--store", replay.store, "run store root")->capture_default_str();
  replay_cmd->add_option("--test", replay.test, "test name (run store folder)");
  replay_cmd->add_option("--node-bin", replay.node_binary, "path of schism-node");
  bool replay_split_brain_allowed = false;
  replay_cmd->add_flag("--split-brain-allowed", replay_split_brain_allowed,
                       "termless electors: report two simultaneous leaders without failing");

  RunConfig conform = run;
  conform.seed = 1;
  conform.test = "conform";
  CLI::App* conform_cmd = app.add_subcommand(
      "conform", "a scripted minute that checks an elector keeps the contract, item by item");
  conform_cmd->footer(
      "Example:\n  schism conform --node-cmd '/opt/e --id {node} --listen {addr}:{port} "
      "--peers {peers} --data {data_dir}'");
  conform_cmd->add_option("--node-cmd", conform.node_cmd, "elector command template (contract v1)")
      ->required();
  conform_cmd->add_option("--nodes", conform.nodes, "cluster size (at least 3)")
      ->capture_default_str();
  conform_cmd->add_option("--seed", conform.seed, "seed of the nodes and random targets")
      ->check(kSeed)
      ->capture_default_str();
  conform_cmd->add_option("--port", conform.port, "elector port")->capture_default_str();
  conform_cmd->add_option("--store", conform.store, "run store root")->capture_default_str();
  conform_cmd->add_option("--test", conform.test, "test name (run store folder)")
      ->capture_default_str();

  ShrinkSettings shrink;
  shrink.node_binary = run.node_binary;
  CLI::App* shrink_cmd = app.add_subcommand(
      "shrink", "the fewest of a failing run's faults that still fail, by delta debugging");
  shrink_cmd->add_option("run", shrink.run_dir, "the run dir of an invalid run")->required();
  shrink_cmd->add_option("--tries", shrink.tries,
                         "replays per candidate; failing once counts (timing varies)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  shrink_cmd->add_option("--budget", shrink.budget_s, "seconds for the whole search")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  shrink_cmd->add_option("--store", shrink.store, "run store root for the replays")
      ->capture_default_str();
  shrink_cmd->add_option("--node-bin", shrink.node_binary, "path of schism-node");
  shrink_cmd->footer("Example: schism shrink store/latest --tries 3 --budget 1800");
  CLI::App* nightly_cmd = app.add_subcommand(
      "nightly", "a matrix of runs (electors x bugs x nemesis mixes x seeds) within a budget, "
                 "summed up in one index, JUnit and summary");
  std::string nightly_plan_file, nightly_electors, nightly_bugs, nightly_seeds, nightly_budget = "1h",
                                                                               nightly_shard;
  std::vector<std::string> nightly_nemeses;
  double nightly_time = 0;
  std::size_t nightly_nodes = 0;
  schism::harness::NightlySettings nightly;
  nightly.jobs = std::max(1u, std::thread::hardware_concurrency());
  nightly_cmd->add_option("--plan", nightly_plan_file, "a JSON plan file (flags override it)");
  nightly_cmd->add_option("--elector", nightly_electors, "built-in electors, e.g. raft,zab (default raft)");
  nightly_cmd->add_option("--bug", nightly_bugs, "bugs, none for the correct build, e.g. none,double-vote");
  nightly_cmd->add_option("--nemesis", nightly_nemeses,
                          "a nemesis mix, e.g. partition,kill; give it again for another mix")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  nightly_cmd->add_option("--seeds", nightly_seeds, "seeds, e.g. 1-20 or 1,4,9 (default 1-3)");
  nightly_cmd->add_option("--time", nightly_time, "seconds per run (default 30)")
      ->check(CLI::PositiveNumber);
  nightly_cmd->add_option("--nodes", nightly_nodes, "nodes per run (default 5)")->check(CLI::Range(1, 1000));
  nightly_cmd->add_option("--budget", nightly_budget, "the whole night: 600, 10m, 2h; runs that "
                                                      "would not end in it are not started")
      ->capture_default_str();
  nightly_cmd->add_option("-j,--jobs", nightly.jobs, "runs at once")->capture_default_str()
      ->check(CLI::Range(1, 64));
  nightly_cmd->add_option("--store", nightly.store, "run store root (the night goes to "
                                                    "<store>/nightly/<UTC date>)")
      ->capture_default_str();
  nightly_cmd->add_option("--shard", nightly_shard, "I/N: only the I-th of N slices of the matrix");
  nightly_cmd->footer(
      "Examples:\n"
      "  schism nightly --budget 10m --elector raft --bug none,double-vote --seeds 1-4 -j 2\n"
      "  schism nightly --plan nightly.json --shard 2/4      # one machine of four\n"
      "  schism merge store/nightly/*-shard-* --out store/nightly/merged");
  CLI::App* merge_cmd = app.add_subcommand("merge", "join nightly directories (shards) into one");
  std::vector<std::filesystem::path> merge_dirs;
  std::filesystem::path merge_out = "store/nightly/merged";
  merge_cmd->add_option("dirs", merge_dirs, "nightly directories")->required()
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  merge_cmd->add_option("--out", merge_out, "where the joined night goes")->capture_default_str();
  merge_cmd->footer("Example: schism merge a/nightly/2026-12-01-shard-1-of-2 "
                    "b/nightly/2026-12-01-shard-2-of-2 --out store/nightly/merged");
  CLI::App* report_cmd =
      app.add_subcommand("report", "render a run's report.html again from its history");
  std::filesystem::path report_dir;
  report_cmd->add_option("run", report_dir, "a run dir")->required();
  report_cmd->footer("Example: schism report store/latest");
  CLI::App* runs_cmd = app.add_subcommand("runs", "the runs a store holds, with their verdicts");
  std::filesystem::path runs_store = "store";
  std::size_t runs_last = 0;
  runs_cmd->add_option("--store", runs_store, "run store root")->capture_default_str();
  runs_cmd->add_option("--last", runs_last, "only the last N runs (default all)");
  runs_cmd->footer("Example: schism runs --last 10");
  CLI::App* doctor_cmd = app.add_subcommand(
      "doctor", "check what runs need here (root or user namespaces, nft, cgroups, "
                "libfaketime, the servers) and find what crashed runs left");
  bool doctor_fix = false;
  doctor_cmd->add_flag("--fix", doctor_fix, "remove what crashed runs left");
  doctor_cmd->footer("Example: schism doctor --fix");

  std::string file;
  CheckSettings check;
  bool json = false;
  CLI::App* list_cmd = app.add_subcommand(
      "list", "the built-in electors with their bugs and options, the fault kinds, the checkers");
  list_cmd->footer("Example: schism list");
  CLI::App* check_cmd = app.add_subcommand("check", "check a history.jsonl");
  check_cmd->footer(
      "Examples:\n"
      "  schism check store/latest                         # the run's checkers and options\n"
      "  schism check h.jsonl --checker election-safety --json");
  check_cmd->add_option("history", file, "history.jsonl to check")->required();
  check_cmd->add_option("--checker", check.checkers,
                        "checkers to run (repeatable or comma-separated; default: the run's, "
                        "else all)")
      ->delimiter(',')
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  // Unset, each of these is what the run recorded in its run/start event, or
  // else the default of schism::checkers::CheckOptions.
  std::size_t check_nodes = 0;
  double check_deadline = 0, check_window = 0, check_grace = 0;
  CLI::Option* nodes_opt =
      check_cmd->add_option("--nodes", check_nodes, "cluster size (default: from the history)");
  CLI::Option* deadline_opt = check_cmd->add_option(
      "--liveness-deadline", check_deadline,
      "seconds after the final heal by which a stable leader must appear (default: the run's, "
      "else 20)");
  CLI::Option* window_opt = check_cmd->add_option(
      "--stable-window", check_window,
      "seconds a stable leader must hold (default: the run's, else 1)");
  CLI::Option* grace_opt = check_cmd->add_option(
      "--partition-grace", check_grace,
      "seconds a leader may keep leading a minority side (default: the run's, else 1.5)");
  check_cmd->add_flag("--split-brain-allowed", check_split_brain_allowed,
                     "termless electors: report two simultaneous leaders without failing");
  check_cmd->add_flag("--json", json, "print results as JSON");
  check_cmd->add_flag("--lenient", check.lenient, "skip malformed lines; verdict at best unknown");

  const auto commands = app.get_subcommands([](const CLI::App*) { return true; });
  if (argc > 1 && argv[1][0] != '-' &&
      std::none_of(commands.begin(), commands.end(),
                   [&](const CLI::App* command) { return command->get_name() == argv[1]; })) {
    std::cerr << "schism: unknown command \"" << argv[1]
              << "\"; use run, sim, replay, shrink, nightly, merge, check, report, conform, list, runs or doctor (see schism --help)\n";
    return kExitUsage;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "schism: " << UnknownFlag(app, argc, argv).value_or(e.what())
              << " (see schism --help)\n";
    return kExitUsage;
  }
  run.split_brain_fails = !run_split_brain_allowed;
  if (run_window->count() > 0) run.stable_window_s = run_stable_window;
  if (run_grace_opt->count() > 0) run.partition_grace_s = run_grace;
  CheckOverrides& o = check.overrides;
  if (nodes_opt->count() > 0) o.nodes = check_nodes;
  if (deadline_opt->count() > 0) o.liveness_deadline_s = check_deadline;
  if (window_opt->count() > 0) o.stable_window_s = check_window;
  if (grace_opt->count() > 0) o.partition_grace_s = check_grace;
  if (check_split_brain_allowed) o.split_brain_fails = false;
  try {
    choice.elector_given = elector_opt->count() > 0;
    choice.node_cmd_given = node_cmd_opt->count() > 0;
    if ((*run_cmd || *replay_cmd || *conform_cmd || *shrink_cmd) &&
        schism::harness::BecomeRootless()) {
      std::cerr << "schism: not root: running rootless, in a user and network namespace of its "
                   "own (docs/running.md#rootless)\n";
    }
    if (*run_cmd) return DoRun(run, nemesis, choice);
    if (*sim_cmd) return DoSim(sim, sim_nemesis, sim_choice);
    if (*replay_cmd) {
      if (replay_split_brain_allowed) replay.split_brain_fails = false;
      return DoReplay(replay_path, replay);
    }
    if (*conform_cmd) {
      ElectorChoice custom;
      custom.node_cmd_given = true;
      ApplyElectorChoice(custom, conform);
      return schism::harness::Conform(conform, std::cout, std::cerr);
    }
    if (*shrink_cmd) return schism::harness::Shrink(shrink, std::cout);
    if (*nightly_cmd) {
      if (!nightly_plan_file.empty()) nightly.plan = schism::harness::ReadPlan(nightly_plan_file);
      if (!nightly_electors.empty()) nightly.plan.electors = SplitList(nightly_electors);
      if (!nightly_bugs.empty()) nightly.plan.bugs = SplitList(nightly_bugs);
      if (!nightly_nemeses.empty()) nightly.plan.nemeses = nightly_nemeses;
      if (!nightly_seeds.empty()) nightly.plan.seeds = schism::harness::ParseSeeds(nightly_seeds);
      if (nightly_time > 0) nightly.plan.time_s = nightly_time;
      if (nightly_nodes > 0) nightly.plan.nodes = nightly_nodes;
      for (const std::string& mix : nightly.plan.nemeses) {
        // What every run of the mix would refuse is refused before any starts.
        RunConfig scratch;
        scratch.nemeses.clear();
        ParseNemeses(mix, scratch);
        scratch.time_s = nightly.plan.time_s;
        scratch.nodes = nightly.plan.nodes;
        schism::harness::CheckRunConfig(scratch);
      }
      nightly.budget_s = schism::harness::ParseDuration(nightly_budget);
      if (!nightly_shard.empty()) nightly.shard = schism::harness::ParseShard(nightly_shard);
      nightly.schism = std::filesystem::read_symlink("/proc/self/exe");
      return schism::harness::Nightly(nightly, std::cout);
    }
    if (*merge_cmd) return schism::harness::Merge(merge_dirs, merge_out, std::cout);
    if (*report_cmd) {
      const std::filesystem::path report = schism::harness::RegenerateReport(report_dir);
      std::cout << "report: " << report.string() << "\n";
      return 0;
    }
    if (*runs_cmd) {
      std::cout << schism::harness::ListRuns(runs_store, runs_last);
      return 0;
    }
    if (*doctor_cmd) return schism::harness::Doctor(std::cout, doctor_fix);
    if (*list_cmd) {
      std::cout << ListText();
      return 0;
    }
    return DoCheck(file, check, json);
  } catch (const UsageError& e) {
    std::cerr << "schism: " << e.what() << "\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "schism: " << e.what() << "\n";
    return kExitEnvironment;
  }
}
