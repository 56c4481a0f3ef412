// The nightly matrix: plans, seeds, cells, shards, and the night's exit code.
#include <algorithm>
#include <fstream>

#include "harness/built_in.h"
#include "harness/errors.h"
#include "harness/nightly.h"
#include "harness/profiles/profile.h"

namespace schism::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::uint64_t SeedNumber(const std::string& part, const std::string& text) {
  if (part.empty() || part.size() > 18 || part.find_first_not_of("0123456789") != std::string::npos) {
    throw UsageError("seeds \"" + text + "\": \"" + part +
                     "\" is not a seed (a whole number, or a range like 1-20)");
  }
  return std::stoull(part);
}

std::vector<std::string> Strings(const json& value, const std::string& where) {
  if (!value.is_array() || value.empty()) throw UsageError(where + " must be a non-empty list");
  std::vector<std::string> out;
  for (const json& item : value) {
    if (!item.is_string() || item.get<std::string>().empty()) {
      throw UsageError(where + " must hold names, got " + item.dump());
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string Joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Whether `bug` is one of `elector`'s (a profile has none but "none").
bool HasBug(const std::string& elector, const std::string& bug) {
  if (IsProfileName(elector)) return bug == "none";
  try {
    BugArgs(elector, bug);
    return true;
  } catch (const UsageError&) {
    return false;
  }
}

}  // namespace

bool IsProfileName(const std::string& name) {
  const std::vector<std::string> profiles = ProfileNames();
  return std::find(profiles.begin(), profiles.end(), name) != profiles.end();
}

std::string NightlyCell::Suite() const {
  return elector + " bug=" + bug + " nemesis=" + nemesis;
}

std::string NightlyCell::Test() const { return bug == "none" ? elector : elector + "-" + bug; }

std::vector<std::uint64_t> ParseSeeds(const std::string& text) {
  std::vector<std::uint64_t> seeds;
  std::size_t start = 0;
  while (start <= text.size()) {
    const std::size_t comma = std::min(text.find(',', start), text.size());
    const std::string part = text.substr(start, comma - start);
    const std::size_t dash = part.find('-');
    if (dash == std::string::npos) {
      seeds.push_back(SeedNumber(part, text));
    } else {
      const std::uint64_t from = SeedNumber(part.substr(0, dash), text);
      const std::uint64_t to = SeedNumber(part.substr(dash + 1), text);
      if (to < from || to - from >= 100000) {
        throw UsageError("seeds \"" + text + "\": " + part + " is not a range from low to high " +
                         "(of at most 100000 seeds)");
      }
      for (std::uint64_t s = from; s <= to; ++s) seeds.push_back(s);
    }
    start = comma + 1;
  }
  return seeds;
}

double ParseDuration(const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(std::min(used, text.size()));
  const double scale = unit.empty() || unit == "s" ? 1 : unit == "m" ? 60 : unit == "h" ? 3600 : -1;
  if (used == 0 || scale < 0 || !(value > 0) || value * scale > 1e7) {
    throw UsageError("\"" + text + "\" is not a length of time (e.g. 600, 10m, 2h)");
  }
  return value * scale;
}

std::pair<std::size_t, std::size_t> ParseShard(const std::string& text) {
  const std::size_t slash = text.find('/');
  const auto number = [&](const std::string& part) -> std::size_t {
    if (part.empty() || part.size() > 6 || part.find_first_not_of("0123456789") != std::string::npos) {
      return 0;
    }
    return std::stoul(part);
  };
  const std::size_t index = slash == std::string::npos ? 0 : number(text.substr(0, slash));
  const std::size_t count = slash == std::string::npos ? 0 : number(text.substr(slash + 1));
  if (index < 1 || count < 1 || index > count) {
    throw UsageError("--shard \"" + text + "\": give I/N, the I-th of N slices, 1 <= I <= N");
  }
  return {index, count};
}

NightlyPlan ReadPlan(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw UsageError(file.string() + ": cannot be read");
  json doc;
  try {
    doc = json::parse(in);
  } catch (const json::exception& e) {
    throw UsageError(file.string() + ": not JSON (" + e.what() + ")");
  }
  const std::string where = file.string() + ": ";
  if (!doc.is_object()) throw UsageError(where + "a plan is a JSON object");
  NightlyPlan plan;
  for (const auto& [key, value] : doc.items()) {
    if (key == "electors") {
      plan.electors = Strings(value, where + "\"electors\"");
    } else if (key == "bugs") {
      plan.bugs = Strings(value, where + "\"bugs\"");
    } else if (key == "nemeses") {
      plan.nemeses = Strings(value, where + "\"nemeses\"");
    } else if (key == "seeds") {
      if (value.is_string()) {
        plan.seeds = ParseSeeds(value.get<std::string>());
      } else if (value.is_array() && !value.empty() &&
                 std::all_of(value.begin(), value.end(),
                             [](const json& s) { return s.is_number_unsigned(); })) {
        plan.seeds = value.get<std::vector<std::uint64_t>>();
      } else {
        throw UsageError(where + "\"seeds\" must be a range like \"1-20\" or a list of seeds");
      }
    } else if (key == "time") {
      if (!value.is_number() || !(value.get<double>() > 0)) {
        throw UsageError(where + "\"time\" must be a positive number of seconds");
      }
      plan.time_s = value.get<double>();
    } else if (key == "nodes") {
      if (!value.is_number_unsigned() || value.get<std::size_t>() < 1) {
        throw UsageError(where + "\"nodes\" must be a whole number from 1 up");
      }
      plan.nodes = value.get<std::size_t>();
    } else {
      throw UsageError(where + "unknown key \"" + key +
                       "\" (electors, bugs, nemeses, seeds, time, nodes)");
    }
  }
  return plan;
}

std::vector<NightlyCell> Matrix(const NightlyPlan& plan, std::vector<std::string>* left_out) {
  for (const std::string& elector : plan.electors) {
    const std::vector<std::string> built_in = BuiltInElectorNames();
    if (IsProfileName(elector) ||
        std::find(built_in.begin(), built_in.end(), elector) != built_in.end()) {
      continue;
    }
    throw UsageError("unknown elector \"" + elector + "\"; built in: " + Joined(built_in) +
                     "; profiles: " + Joined(ProfileNames()));
  }
  for (const std::string& bug : plan.bugs) {
    if (std::none_of(plan.electors.begin(), plan.electors.end(),
                     [&](const std::string& e) { return HasBug(e, bug); })) {
      throw UsageError("no elector of the night has bug \"" + bug + "\" (schism list names them)");
    }
  }
  std::vector<NightlyCell> cells;
  std::size_t index = 0;
  for (const std::string& elector : plan.electors) {
    for (const std::string& bug : plan.bugs) {
      if (!HasBug(elector, bug)) {
        if (left_out) left_out->push_back(elector + " has no bug " + bug);
        continue;
      }
      for (const std::string& nemesis : plan.nemeses) {
        for (std::uint64_t seed : plan.seeds) {
          cells.push_back({index++, elector, bug, nemesis, seed});
        }
      }
    }
  }
  return cells;
}

std::vector<NightlyCell> Shard(const std::vector<NightlyCell>& cells, std::size_t index,
                               std::size_t count) {
  if (count < 1 || index < 1 || index > count) {
    throw UsageError("--shard " + std::to_string(index) + "/" + std::to_string(count) +
                     ": the shard must be I/N with 1 <= I <= N");
  }
  std::vector<NightlyCell> slice;
  for (std::size_t k = index - 1; k < cells.size(); k += count) slice.push_back(cells[k]);
  return slice;
}

int WorstExit(const std::vector<NightlyRun>& runs) {
  const auto any = [&](const char* status) {
    return std::any_of(runs.begin(), runs.end(),
                       [&](const NightlyRun& r) { return r.status == status; });
  };
  if (any("invalid")) return kExitInvalid;
  if (any("error")) return kExitEnvironment;
  if (any("unknown") || any("not run")) return kExitUnknown;
  return kExitValid;
}

}  // namespace schism::harness
