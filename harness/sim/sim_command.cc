#include "harness/sim/sim_command.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <iomanip>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include "harness/check.h"
#include "harness/errors.h"
#include "harness/run_store.h"
#include "harness/sim/simulate.h"

namespace schism::harness::sim {
namespace {

using checkers::Validity;

struct Result {
  std::uint64_t seed = 0;
  Validity overall = Validity::kUnknown;
  std::vector<std::string> invalid;  // the checkers that said invalid
  std::vector<std::string> unknown;  // and unknown
  std::uint64_t messages = 0;
};

Result RunOne(RunConfig config, std::uint64_t seed) {
  config.seed = seed;
  const SimRun run = Simulate(config);
  const SimJudgement judgement = Judge(run.history);
  Result result;
  result.seed = seed;
  result.overall = judgement.overall;
  result.messages = run.messages_sent;
  for (const checkers::Verdict& v : judgement.verdicts) {
    if (v.valid == Validity::kInvalid) result.invalid.push_back(v.checker);
    if (v.valid == Validity::kUnknown) result.unknown.push_back(v.checker);
  }
  return result;
}

// The schism-node words of the config, back as the flags of `schism sim`.
std::string ElectorFlags(const RunConfig& config) {
  std::string flags;
  const std::vector<std::string>& args = config.elector_args;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string name = args[i].substr(2);
    const bool has_value = i + 1 < args.size() && args[i + 1].rfind("--", 0) != 0;
    if (name == "bug" && has_value) {
      flags += " --bug " + args[++i];
    } else if (name == "pre-vote") {
      flags += " --pre-vote";
    } else {
      flags += " --elector-opt " + name + (has_value ? "=" + args[++i] : "");
    }
  }
  return flags;
}

std::string SimCommand(const SimSettings& s, std::uint64_t seed) {
  std::ostringstream cmd;
  cmd << "schism sim --elector " << s.config.elector << ElectorFlags(s.config) << " --nodes "
      << s.config.nodes << " --time " << s.config.time_s << " --nemesis "
      << (s.nemesis.empty() ? "none" : s.nemesis) << " --seed " << seed << " --runs 1";
  return cmd.str();
}

// Simulates `seed` again (the same history, byte for byte) and writes it
// as a run dir with its reports; returns the dir.
std::filesystem::path WriteRun(const SimSettings& s, std::uint64_t seed) {
  RunConfig config = s.config;
  config.seed = seed;
  const auto started = std::chrono::steady_clock::now();
  const SimRun run = Simulate(config);
  const RunDir dir = RunDir::Create(config.store, config.test, seed);
  dir.WriteFile("history.jsonl", run.history);
  dir.WriteFile("timeline.json", run.timeline.dump(2) + "\n");
  dir.WriteFile("config.json", ConfigJson(config, NodeCommand(config)).dump(2) + "\n");
  dir.WriteFile("reproduce.txt", "# in the simulator, the same history byte for byte:\n" +
                                     SimCommand(s, seed) +
                                     "\n# its timeline on real processes:\nschism replay " +
                                     dir.path().string() + "\n");
  CheckSettings check;
  check.title = config.test + " seed " + std::to_string(seed) + " (simulated)";
  const CheckOutcome outcome = CheckHistory(dir.History(), check);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  WriteReports(dir, outcome, config.test, seconds);
  return dir.path();
}

// Runs seeds config.seed .. + runs - 1 on `jobs` threads; the results by seed.
std::vector<Result> RunAll(const SimSettings& s, unsigned jobs) {
  std::vector<Result> results(s.runs);
  std::atomic<std::uint64_t> next{0};
  std::mutex error_mu;
  std::string error;
  auto work = [&] {
    for (std::uint64_t i = next++; i < s.runs; i = next++) {
      try {
        results[i] = RunOne(s.config, s.config.seed + i);
      } catch (const std::exception& e) {
        std::lock_guard lock(error_mu);
        if (error.empty()) error = "seed " + std::to_string(s.config.seed + i) + ": " + e.what();
        next = s.runs;  // stop the others
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 1; j < jobs; ++j) threads.emplace_back(work);
  work();
  for (std::thread& t : threads) t.join();
  if (!error.empty()) throw std::runtime_error("sim: " + error);
  return results;
}

}  // namespace

int RunSims(const SimSettings& s, std::ostream& out) {
  if (s.runs == 0) throw UsageError("--runs must be at least 1");
  CheckSimConfig(s.config);
  const unsigned jobs = std::max(
      1u, std::min<unsigned>(s.jobs > 0 ? s.jobs : std::max(1u, std::thread::hardware_concurrency()),
                             static_cast<unsigned>(std::min<std::uint64_t>(s.runs, 1024))));
  const auto started = std::chrono::steady_clock::now();
  const std::vector<Result> results = RunAll(s, jobs);
  const double wall_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::uint64_t messages = 0;
  Validity overall = Validity::kValid;
  std::map<std::string, std::pair<std::uint64_t, std::uint64_t>> by_checker;  // first seed, count
  std::map<std::string, std::uint64_t> unknown_by_checker;
  std::vector<std::uint64_t> failing, undecided;  // the seeds of invalid and unknown runs
  for (const Result& r : results) {
    messages += r.messages;
    overall = checkers::Merge(overall, r.overall);
    if (r.overall == Validity::kInvalid) failing.push_back(r.seed);
    if (r.overall == Validity::kUnknown) undecided.push_back(r.seed);
    for (const std::string& c : r.invalid) {
      auto [it, fresh] = by_checker.try_emplace(c, r.seed, 0);
      ++it->second.second;
    }
    for (const std::string& c : r.unknown) ++unknown_by_checker[c];
  }
  std::string kinds;
  for (const std::string& kind : s.config.nemeses) kinds += (kinds.empty() ? "" : ",") + kind;
  const std::string given = s.nemesis.empty() ? "none" : s.nemesis;
  out << "sim: " << s.runs << " runs of " << s.config.elector << ElectorFlags(s.config) << ", "
      << s.config.nodes << " nodes, " << s.config.time_s << " virtual s each, nemesis " << given
      << (kinds.empty() || kinds == given ? "" : " (" + kinds + ")") << ", seeds " << s.config.seed
      << ".." << s.config.seed + s.runs - 1 << "\n";
  out << std::fixed << std::setprecision(2) << "sim: " << wall_s << " s on " << jobs
      << " thread(s): " << std::setprecision(0) << 60.0 * static_cast<double>(s.runs) / wall_s
      << " runs/min, " << static_cast<double>(s.runs) * s.config.time_s / wall_s
      << " virtual s per s\n";
  out << "sim: " << messages << " messages between nodes in all\n";
  out << "sim: " << s.runs - failing.size() - undecided.size() << " valid, " << failing.size()
      << " invalid, " << undecided.size() << " unknown\n";
  if (!undecided.empty()) {
    out << "sim: unknown verdicts came from";
    for (const auto& [c, n] : unknown_by_checker) out << " " << c << " (" << n << ")";
    out << "\n";
  }
  for (const auto& [checker, first] : by_checker) {
    out << "checker " << checker << ": invalid in " << first.second << " run(s), first at seed "
        << first.first << "\n";
  }
  // The invalid runs first, then those no checker could decide.
  const std::size_t kept = failing.size();
  failing.insert(failing.end(), undecided.begin(), undecided.end());
  for (std::size_t i = 0; i < failing.size() && i < s.keep; ++i) {
    const std::filesystem::path dir = WriteRun(s, failing[i]);
    out << (i < kept ? "failing" : "unknown") << " seed " << failing[i] << ": " << dir.string()
        << "\n"
        << "  again in the simulator: " << SimCommand(s, failing[i]) << "\n"
        << "  on real processes:      schism replay " << dir.string() << "\n";
  }
  if (failing.size() > s.keep) {
    out << "sim: " << failing.size() - s.keep << " more seed(s) not written (--keep " << s.keep
        << ")\n";
  }
  return ExitCodeFor(overall);
}

}  // namespace schism::harness::sim
