#include "harness/shrink.h"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <ostream>
#include <set>
#include <streambuf>
#include <string>

#include <nlohmann/json.hpp>

#include "harness/controller.h"
#include "harness/errors.h"
#include "harness/replay.h"

namespace schism::harness {
namespace {

namespace fs = std::filesystem;
using nemesis::OpKind;

// The chunks ddmin splits `items` into: `n` runs of nearly equal length.
std::vector<std::vector<std::size_t>> Split(const std::vector<std::size_t>& items, std::size_t n) {
  std::vector<std::vector<std::size_t>> chunks;
  std::size_t start = 0;
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t end = start + (items.size() - start) / (n - k);
    chunks.emplace_back(items.begin() + static_cast<long>(start), items.begin() + static_cast<long>(end));
    start = end;
  }
  return chunks;
}

std::vector<std::size_t> Without(const std::vector<std::size_t>& items,
                                 const std::vector<std::size_t>& chunk) {
  std::vector<std::size_t> rest;
  std::set_difference(items.begin(), items.end(), chunk.begin(), chunk.end(),
                      std::back_inserter(rest));
  return rest;
}

// The checkers that found the run invalid, from its results.json.
std::set<std::string> InvalidCheckers(const fs::path& run_dir) {
  std::ifstream in(run_dir / "results.json");
  const nlohmann::json results = nlohmann::json::parse(in, nullptr, false);
  if (!results.is_object()) {
    throw UsageError(run_dir.string() + ": no readable results.json (not a finished run)");
  }
  std::set<std::string> invalid;
  for (const nlohmann::json& c : results.value("checkers", nlohmann::json::array())) {
    if (c.value("verdict", "") == "invalid") invalid.insert(c.value("checker", ""));
  }
  if (invalid.empty()) {
    throw UsageError(run_dir.string() + ": the run is " + results.value("verdict", "not invalid") +
                     ", not invalid: nothing to shrink");
  }
  return invalid;
}

// A stream that swallows what the candidate runs would print.
struct NullBuf : std::streambuf {
  int overflow(int c) override { return traits_type::not_eof(c); }
};

}  // namespace

bool EndsAFault(OpKind kind) {
  switch (kind) {
    case OpKind::kHeal:
    case OpKind::kRestart:
    case OpKind::kResume:
    case OpKind::kLossEnd:
    case OpKind::kDelayEnd:
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
    case OpKind::kDuplicateEnd:
      return true;
    default:
      return false;
  }
}

std::vector<std::size_t> MinimalFailing(
    std::size_t n, const std::function<bool(const std::vector<std::size_t>&)>& fails,
    const std::function<bool()>& give_up) {
  std::vector<std::size_t> current(n);
  for (std::size_t k = 0; k < n; ++k) current[k] = k;
  std::size_t granularity = 2;
  while (current.size() >= 2) {
    granularity = std::min(granularity, current.size());
    const auto chunks = Split(current, granularity);
    bool reduced = false;
    for (const auto& chunk : chunks) {  // a chunk alone
      if (give_up()) return current;
      if (fails(chunk)) {
        current = chunk;
        granularity = 2;
        reduced = true;
        break;
      }
    }
    if (!reduced && granularity > 2) {
      for (const auto& chunk : chunks) {  // all but a chunk
        if (give_up()) return current;
        const std::vector<std::size_t> rest = Without(current, chunk);
        if (fails(rest)) {
          current = rest;
          granularity = std::max<std::size_t>(granularity - 1, 2);
          reduced = true;
          break;
        }
      }
    }
    if (reduced) continue;
    if (granularity >= current.size()) break;
    granularity = std::min(granularity * 2, current.size());
  }
  return current;
}

int Shrink(const ShrinkSettings& settings, std::ostream& out) {
  const std::set<std::string> invalid = InvalidCheckers(settings.run_dir);
  ReplayOverrides overrides;
  overrides.node_binary = settings.node_binary;
  overrides.store = settings.store;
  RunConfig base = ReplayConfig(settings.run_dir, overrides);
  base.test += "-shrink";
  const std::vector<nemesis::Op> all = *base.timeline;
  std::vector<std::size_t> faults;  // indices into `all` of the ops that start a fault
  for (std::size_t k = 0; k < all.size(); ++k) {
    if (!EndsAFault(all[k].kind)) faults.push_back(k);
  }
  const auto began = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  };
  std::size_t replays = 0;
  fs::path smallest_run;
  std::size_t smallest = faults.size() + 1;
  NullBuf null_buf;
  std::ostream quiet(&null_buf);

  // Replays the faults `kept` (indices into `faults`) with every ending op.
  auto fails = [&](const std::vector<std::size_t>& kept) {
    std::set<std::size_t> chosen;
    for (std::size_t k : kept) chosen.insert(faults[k]);
    RunConfig config = base;
    config.timeline->clear();
    for (std::size_t k = 0; k < all.size(); ++k) {
      if (EndsAFault(all[k].kind) || chosen.count(k) > 0) config.timeline->push_back(all[k]);
    }
    for (int attempt = 1; attempt <= settings.tries; ++attempt) {
      ++replays;
      const RunResult result = RunTest(config, quiet);
      bool failed = false;
      for (const checkers::Verdict& v : result.verdicts) {
        failed |= v.valid == checkers::Validity::kInvalid && invalid.count(v.checker) > 0;
      }
      out << "schism: shrink: replay " << replays << ": " << kept.size() << " of "
          << faults.size() << " faults, try " << attempt << ": "
          << (failed ? "fails" : "passes") << " (" << result.run_dir.string() << ")"
          << std::endl;  // a search takes minutes: each line as it comes
      if (failed) {
        if (kept.size() < smallest) {
          smallest = kept.size();
          smallest_run = result.run_dir;
        }
        return true;
      }
    }
    return false;
  };

  out << "schism: shrink: " << settings.run_dir.string() << " has " << faults.size()
      << " faults; replaying each candidate up to " << settings.tries << " times" << std::endl;
  std::vector<std::size_t> everything(faults.size());
  for (std::size_t k = 0; k < faults.size(); ++k) everything[k] = k;
  if (!fails(everything)) {
    out << "schism: shrink: the run did not fail again in " << settings.tries
        << " replay(s): nothing to shrink from\n";
    return kExitUnknown;
  }
  const auto give_up = [&] { return elapsed() > settings.budget_s; };
  const std::vector<std::size_t> minimal = MinimalFailing(faults.size(), fails, give_up);
  out << "schism: shrink: " << faults.size() << " faults down to " << minimal.size() << " in "
      << replays << " replays (" << static_cast<int>(elapsed()) << " s"
      << (give_up() ? ", the budget ran out" : "") << ")\n"
      << "minimal run: " << smallest_run.string() << "\n"
      << "reproduce: schism replay " << smallest_run.string() << "\n";
  return kExitInvalid;
}

}  // namespace schism::harness
