#include "harness/shrink.h"

#include <algorithm>
#include <chrono>
#include <optional>
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

std::size_t EndOf(const std::vector<nemesis::Op>& ops, std::size_t k) {
  const nemesis::Op& start = ops[k];
  const auto ends = [&](const nemesis::Op& op) {
    const bool node = op.node.empty() || op.node == start.node;
    switch (start.kind) {
      case OpKind::kPartition: return op.kind == OpKind::kHeal;
      case OpKind::kLoss: return op.kind == OpKind::kLossEnd;
      case OpKind::kDelay: return op.kind == OpKind::kDelayEnd;
      case OpKind::kDuplicate: return op.kind == OpKind::kDuplicateEnd;
      case OpKind::kBandwidth: return op.kind == OpKind::kBandwidthEnd && node;
      case OpKind::kClock: return op.kind == OpKind::kClockEnd && node;
      case OpKind::kKill: return op.kind == OpKind::kRestart && node;
      case OpKind::kPause: return op.kind == OpKind::kResume && node;
      default: return false;
    }
  };
  for (std::size_t j = k + 1; j < ops.size(); ++j) {
    if (ops[j].offset_s >= start.offset_s && ends(ops[j])) return j;
  }
  return ops.size();
}

std::optional<std::vector<nemesis::Op>> HalveWindow(std::vector<nemesis::Op> ops, std::size_t k) {
  nemesis::Op& start = ops[k];
  double* own = start.kind == OpKind::kKill    ? &start.restart_after_s
                : start.kind == OpKind::kPause ? &start.resume_after_s
                                               : nullptr;
  if (own != nullptr && *own > 0) {  // a fault that ends itself
    if (*own / 2 < kShortestWindowS) return std::nullopt;
    *own /= 2;
    return ops;
  }
  const std::size_t end = EndOf(ops, k);
  if (end == ops.size()) return std::nullopt;
  const double window = ops[end].offset_s - start.offset_s;
  if (window / 2 < kShortestWindowS) return std::nullopt;
  ops[end].offset_s = start.offset_s + window / 2;
  std::stable_sort(ops.begin(), ops.end(), [](const nemesis::Op& a, const nemesis::Op& b) {
    return a.offset_s < b.offset_s;
  });
  return ops;
}

std::optional<std::vector<nemesis::Op>> SmallerGroups(std::vector<nemesis::Op> ops, std::size_t k) {
  nemesis::Op& op = ops[k];
  if (op.kind != OpKind::kPartition || op.grudge != nemesis::GrudgeKind::kComponents ||
      op.components.size() < 2) {
    return std::nullopt;
  }
  auto& groups = op.components;
  const auto by_size = [](const auto& a, const auto& b) { return a.size() < b.size(); };
  auto largest = std::max_element(groups.begin(), groups.end(), by_size);
  auto smallest = groups.end();
  for (auto it = groups.begin(); it != groups.end(); ++it) {
    if (it != largest && it->size() >= 2 && (smallest == groups.end() || it->size() < smallest->size())) {
      smallest = it;
    }
  }
  if (smallest == groups.end()) return std::nullopt;
  largest->push_back(smallest->back());
  smallest->pop_back();
  return ops;
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
  std::vector<nemesis::Op> smallest_ops;
  std::size_t smallest = faults.size() + 1;
  NullBuf null_buf;
  std::ostream quiet(&null_buf);

  // Replays `ops` up to `tries` times; true when one replay fails as the
  // run did. `what` describes the candidate on its progress lines.
  auto timeline_fails = [&](const std::vector<nemesis::Op>& ops, std::size_t fault_count,
                            const std::string& what) {
    RunConfig config = base;
    *config.timeline = ops;
    for (int attempt = 1; attempt <= settings.tries; ++attempt) {
      ++replays;
      const RunResult result = RunTest(config, quiet);
      bool failed = false;
      for (const checkers::Verdict& v : result.verdicts) {
        failed |= v.valid == checkers::Validity::kInvalid && invalid.count(v.checker) > 0;
      }
      out << "schism: shrink: replay " << replays << ": " << what << ", try " << attempt << ": "
          << (failed ? "fails" : "passes") << " (" << result.run_dir.string() << ")"
          << std::endl;  // a search takes minutes: each line as it comes
      if (failed) {
        if (fault_count <= smallest) {
          smallest = fault_count;
          smallest_run = result.run_dir;
          smallest_ops = ops;
        }
        return true;
      }
    }
    return false;
  };
  // Replays the faults `kept` (indices into `faults`) with every ending op.
  auto fails = [&](const std::vector<std::size_t>& kept) {
    std::set<std::size_t> chosen;
    for (std::size_t k : kept) chosen.insert(faults[k]);
    std::vector<nemesis::Op> ops;
    for (std::size_t k = 0; k < all.size(); ++k) {
      if (EndsAFault(all[k].kind) || chosen.count(k) > 0) ops.push_back(all[k]);
    }
    return timeline_fails(ops, kept.size(),
                          std::to_string(kept.size()) + " of " + std::to_string(faults.size()) +
                              " faults");
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
  const std::size_t replays_to_minimal = replays;

  // Then each fault left is made smaller while the run still fails: its
  // window halved (down to kShortestWindowS), a partition's groups cut one
  // node fewer off.
  std::size_t shortened = 0, regrouped = 0;
  for (std::size_t k = 0; k < smallest_ops.size() && !give_up(); ++k) {
    if (EndsAFault(smallest_ops[k].kind)) continue;
    const std::string name(nemesis::ToString(smallest_ops[k].kind));
    for (int halving = 0; halving < 4 && !give_up(); ++halving) {
      const auto candidate = HalveWindow(smallest_ops, k);
      if (!candidate || !timeline_fails(*candidate, smallest, name + "'s window halved")) break;
      ++shortened;
    }
    for (int move = 0; move < 8 && !give_up(); ++move) {
      const auto candidate = SmallerGroups(smallest_ops, k);
      if (!candidate || !timeline_fails(*candidate, smallest, name + " cutting one node fewer off")) {
        break;
      }
      ++regrouped;
    }
  }
  out << "schism: shrink: " << faults.size() << " faults down to " << minimal.size() << " in "
      << replays_to_minimal << " replays";
  if (shortened + regrouped > 0) {
    out << "; then " << shortened << " window(s) halved and " << regrouped
        << " partition(s) cutting a node fewer off";
  }
  out << " (" << replays << " replays, " << static_cast<int>(elapsed()) << " s"
      << (give_up() ? ", the budget ran out" : "") << ")\n"
      << "minimal run: " << smallest_run.string() << "\n"
      << "reproduce: schism replay " << smallest_run.string() << "\n";
  return kExitInvalid;
}

}  // namespace schism::harness
