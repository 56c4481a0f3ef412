#include "harness/built_in.h"

#include <charconv>
#include <memory>
#include <sstream>

#include "checkers/checker.h"
#include "harness/errors.h"
#include "harness/profiles/profile.h"
#include "harness/profiles/service.h"
#include "nemesis/fault_kind.h"
#include "nodes/electors.h"

namespace schism::harness {
namespace {

// `text` and then spaces up to `width`, and at least one.
std::string Padded(const std::string& text, std::size_t width) {
  return text + std::string(text.size() < width ? width - text.size() : 1, ' ');
}

const nodes::ElectorSpec& Find(const std::string& elector) {
  CheckBuiltInElector(elector);
  return *nodes::FindElector(elector);
}

std::string BugNames(const nodes::ElectorSpec& spec) {
  std::string names;
  for (const nodes::BugSpec& bug : spec.bugs) names += std::string(bug.name) + ", ";
  return names + "none";
}

std::string OptionNames(const nodes::ElectorSpec& spec) {
  std::string names;
  for (const nodes::OptionSpec& option : spec.options) {
    names += (names.empty() ? "" : ", ") + std::string(option.name);
  }
  return names.empty() ? "none" : names;
}

const nodes::OptionSpec* FindOption(const nodes::ElectorSpec& spec, std::string_view name) {
  for (const nodes::OptionSpec& option : spec.options) {
    if (option.name == name) return &option;
  }
  return nullptr;
}

}  // namespace

std::vector<std::string> BuiltInElectorNames() {
  std::vector<std::string> names;
  for (const nodes::ElectorSpec& spec : nodes::BuiltInElectors()) names.emplace_back(spec.name);
  return names;
}

void CheckBuiltInElector(const std::string& elector) {
  if (!nodes::FindElector(elector)) {
    throw UsageError("unknown elector \"" + elector + "\"; built-in: " + nodes::ElectorNames() +
                     " (or run your own with --node-cmd)");
  }
}

std::vector<std::string> BugArgs(const std::string& elector, const std::string& bug) {
  const nodes::ElectorSpec& spec = Find(elector);
  if (bug.empty() || bug == "none") return {};
  for (const nodes::BugSpec& known : spec.bugs) {
    if (known.name == bug) return {"--bug", bug};
  }
  throw UsageError("--bug: " + elector + " has no bug \"" + bug + "\"; its bugs: " +
                   BugNames(spec));
}

std::vector<std::string> OptionArgs(const std::string& elector,
                                    const std::vector<std::string>& options) {
  const nodes::ElectorSpec& spec = Find(elector);
  std::vector<std::string> args;
  for (const std::string& text : options) {
    const auto eq = text.find('=');
    const std::string name = text.substr(0, eq);
    const nodes::OptionSpec* option = FindOption(spec, name);
    if (!option) {
      throw UsageError("--elector-opt " + text + ": " + elector + " has no option \"" + name +
                       "\"; its options: " + OptionNames(spec));
    }
    if (option->kind == nodes::OptionSpec::Kind::kFlag) {
      if (eq != std::string::npos) {
        throw UsageError("--elector-opt " + text + ": " + name + " is a flag and takes no value");
      }
      args.push_back("--" + name);
      continue;
    }
    const std::string value = eq == std::string::npos ? "" : text.substr(eq + 1);
    std::int64_t number = 0;
    const auto [end, error] = std::from_chars(value.data(), value.data() + value.size(), number);
    if (value.empty() || error != std::errc() || end != value.data() + value.size() ||
        number < option->min || number > option->max) {
      throw UsageError("--elector-opt " + text + ": " + name + " takes a whole number from " +
                       std::to_string(option->min) + " to " + std::to_string(option->max) +
                       ", as " + name + "=VALUE");
    }
    args.insert(args.end(), {"--" + name, value});
  }
  return args;
}

std::string ListText() {
  std::ostringstream out;
  out << "electors (--elector NAME, --bug BUG, --elector-opt NAME=VALUE; defaults for up to "
      << nodes::kScaleFromNodes << " nodes, N the cluster size):\n";
  for (const nodes::ElectorSpec& spec : nodes::BuiltInElectors()) {
    out << "  " << spec.name << ": " << spec.description << "\n";
    for (const nodes::BugSpec& bug : spec.bugs) {
      out << "    --bug " << Padded(std::string(bug.name), 30) << bug.description << "\n";
    }
    for (const nodes::OptionSpec& option : spec.options) {
      std::string shown(option.name);
      std::string rule;
      if (option.kind == nodes::OptionSpec::Kind::kInteger) {
        shown += "=" + std::to_string(option.default_value);
        rule = nodes::ScaleRule(option);
      }
      out << "    --elector-opt " << Padded(shown, 22) << option.description
          << (rule.empty() ? "" : " (default " + rule + ")") << "\n";
    }
  }
  out << "profiles: real servers and recipes from Debian packages (--profile NAME):\n";
  for (const std::string& name : ProfileNames()) {
    std::unique_ptr<Profile> profile = MakeProfile(name);
    out << "  " << Padded(name, 15) << profile->summary() << " [" << profile->packages() << "]\n";
  }
  out << "services: servers the nodes are clients of (--service NAME[:MEMBERS]):\n";
  for (const std::string& name : ServiceNames()) {
    std::unique_ptr<Server> server = MakeServiceServer(name);
    out << "  " << Padded(name, 15) << server->summary() << " [" << server->packages() << "]\n";
  }
  out << "fault kinds (--nemesis NAME[:WEIGHT],...):\n";
  for (const nemesis::FaultKind* kind : nemesis::AllFaultKinds()) {
    out << "  " << Padded(std::string(kind->Name()), 11) << kind->Help() << "\n";
  }
  out << "checkers (--checker NAME,...):\n";
  for (const std::string& name : checkers::CheckerNames()) out << "  " << name << "\n";
  return out.str();
}

}  // namespace schism::harness
