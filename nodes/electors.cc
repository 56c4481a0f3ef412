#include "nodes/electors.h"

#include <algorithm>
#include <cassert>
#include <cmath>

#include "nodes/bully.h"
#include "nodes/lease.h"
#include "nodes/raft_elector.h"
#include "nodes/ring.h"
#include "nodes/zab.h"

namespace schism::nodes {
namespace {

using Kind = OptionSpec::Kind;

constexpr BugSpec kRaftBugs[] = {
    {"double-vote", "Grants every vote request of the current term, ignoring votedFor"},
    {"forget-vote", "Never persists votedFor, so a restarted node may vote twice in a term"},
    {"no-step-down", "A leader never steps down, not even cut off from a majority or for a higher term"},
};

constexpr OptionSpec kRaftOptions[] = {
    {"election-min-ms", "Shortest election timeout", Kind::kInteger, 150, 1, 3600000, Scale::kSqrt},
    {"election-max-ms", "Longest election timeout", Kind::kInteger, 300, 1, 3600000,
     Scale::kLinear},
    {"heartbeat-ms", "Leader heartbeat and vote re-send interval", Kind::kInteger, 50, 1, 3600000,
     Scale::kSqrt},
    {"pre-vote", "Ask for a pre-vote before raising the term", Kind::kFlag},
    {"no-check-quorum", "Leaders never step down on their own", Kind::kFlag},
};

constexpr BugSpec kBullyBugs[] = {
    {"stubborn-leader", "A leader never steps down, even for a coordinator that outranks it"},
    {"no-answer", "Never answers an election, so lower candidates win theirs too"},
};

constexpr OptionSpec kBullyOptions[] = {
    {"heartbeat-ms", "Leader coordinator and candidate election re-send interval", Kind::kInteger,
     50, 1, 3600000, Scale::kLinear},
    {"answer-timeout-ms", "How long a candidate waits for an answer before it leads",
     Kind::kInteger, 100, 1, 3600000, Scale::kLinear},
    {"leader-timeout-min-ms", "Shortest wait for a coordinator before an election", Kind::kInteger,
     150, 1, 3600000, Scale::kLinear},
    {"leader-timeout-max-ms", "Longest wait for a coordinator before an election", Kind::kInteger,
     300, 1, 3600000, Scale::kLinear},
};

constexpr OptionSpec kRingOptions[] = {
    {"heartbeat-ms", "Leader re-announcement interval around the ring", Kind::kInteger, 50, 1,
     3600000, Scale::kSqrt},
    {"ack-timeout-ms", "How long a hop waits for an ack before it skips its successor",
     Kind::kInteger, 40, 1, 3600000, Scale::kSqrt},
    {"leader-timeout-min-ms", "Shortest wait for the leader's announcement before an election",
     Kind::kInteger, 300, 1, 3600000, Scale::kSqrt},
    {"leader-timeout-max-ms", "Longest wait for the leader's announcement before an election",
     Kind::kInteger, 600, 1, 3600000, Scale::kSqrt},
};

constexpr BugSpec kZabBugs[] = {
    {"accept-old-epoch",
     "Followers ack an epoch not greater than the one they accepted, so two leaders share one"},
    {"no-quorum", "Two agreeing nodes are a quorum, so each side of a partition elects a leader"},
};

constexpr OptionSpec kZabOptions[] = {
    {"heartbeat-ms", "Leader ping, looking node's vote and follower's info re-send interval",
     Kind::kInteger, 50, 1, 3600000, Scale::kSqrt},
    {"finalize-ms", "How long a node waits for a better vote once a quorum agrees", Kind::kInteger,
     100, 1, 3600000, Scale::kSqrt},
    {"resend-max-ms",
     "Longest interval between a looking node's re-sends of a vote that stands (from heartbeat-ms, "
     "doubling; not above heartbeat-ms: every heartbeat)",
     Kind::kInteger, 50, 1, 3600000, Scale::kLinear},
    {"leader-timeout-min-ms",
     "Shortest wait for the leader's ping before looking again (a leader's wait for ping-acks)",
     Kind::kInteger, 300, 1, 3600000, Scale::kSqrt},
    {"leader-timeout-max-ms", "Longest wait for the leader's ping before looking again",
     Kind::kInteger, 600, 1, 3600000, Scale::kLinear},
};

constexpr BugSpec kLeaseBugs[] = {
    {"long-lease",
     "A leader claims 3x the lease its granters promised, overlapping the next holder"},
    {"no-fencing", "A new holder reuses the token of the leader it last followed"},
};

constexpr OptionSpec kLeaseOptions[] = {
    {"lease-ms", "The lease a leader asks a majority for", Kind::kInteger, 1000, 1, 3600000},
    {"renew-ms", "How often a leader renews its lease", Kind::kInteger, 250, 1, 3600000},
    {"election-min-ms", "Shortest election timeout", Kind::kInteger, 150, 1, 3600000, Scale::kSqrt},
    {"election-max-ms", "Longest election timeout", Kind::kInteger, 300, 1, 3600000,
     Scale::kLinear},
    {"margin-ms", "Clock drift allowance: safe while clock rates differ by under margin/lease",
     Kind::kInteger, 100, 0, 3600000},
};

constexpr ElectorSpec kBuiltIn[] = {
    {"raft", "Raft leader election over UDP", kRaftBugs, kRaftOptions, &CheckRaftSetup,
     &MakeRaftElector},
    {"bully", "Bully election over UDP: the highest live id leads (no terms)", kBullyBugs,
     kBullyOptions, &bully::CheckSetup, &bully::Make},
    // Ring splits under partitions by design, so it needs no bug to fail a check.
    {"ring",
     "Chang-Roberts ring election over UDP: the highest live id leads (no terms)",
     {},
     kRingOptions,
     &ring::CheckSetup,
     &ring::Make},
    {"zab", "ZooKeeper's Fast Leader Election and ZAB epochs over UDP", kZabBugs, kZabOptions,
     &zab::CheckSetup, &zab::Make},
    {"lease", "Quorum leader leases with fencing tokens over UDP", kLeaseBugs, kLeaseOptions,
     &lease::CheckSetup, &lease::Make},
};

}  // namespace

std::span<const ElectorSpec> BuiltInElectors() { return kBuiltIn; }

const ElectorSpec* FindElector(std::string_view name) {
  for (const ElectorSpec& spec : kBuiltIn) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

std::string ElectorNames() {
  std::string names;
  for (const ElectorSpec& spec : kBuiltIn) {
    if (!names.empty()) names += ", ";
    names += spec.name;
  }
  return names;
}

std::int64_t ScaledDefault(const OptionSpec& option, std::size_t nodes) {
  const auto n = static_cast<std::int64_t>(nodes);
  if (option.kind != Kind::kInteger || option.scale == Scale::kFixed || n <= kScaleFromNodes) {
    return option.default_value;
  }
  const double ratio = static_cast<double>(n) / static_cast<double>(kScaleFromNodes);
  const double factor = option.scale == Scale::kSqrt ? std::sqrt(ratio) : ratio;
  const auto scaled = std::llround(static_cast<double>(option.default_value) * factor);
  return std::clamp<std::int64_t>(scaled, option.min, option.max);
}

std::string ScaleRule(const OptionSpec& option) {
  if (option.kind != Kind::kInteger || option.scale == Scale::kFixed) return "";
  const std::string base = std::to_string(kScaleFromNodes);
  return (option.scale == Scale::kSqrt ? "x sqrt(N/" + base + ")" : "x N/" + base) + " above " +
         base + " nodes";
}

std::uint64_t MixSeed(std::uint64_t seed, std::string_view id) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : id) hash = (hash ^ c) * 1099511628211ull;
  return seed ^ hash;
}

ElectorSetup DefaultSetup(const ElectorSpec& spec) { return DefaultSetup(spec, 1); }

ElectorSetup DefaultSetup(const ElectorSpec& spec, std::size_t nodes) {
  ElectorSetup setup;
  setup.options = OptionsFor(spec, nodes, {});
  return setup;
}

std::map<std::string, std::int64_t, std::less<>> OptionsFor(
    const ElectorSpec& spec, std::size_t nodes,
    const std::map<std::string, std::int64_t, std::less<>>& given) {
  std::map<std::string, std::int64_t, std::less<>> options;
  for (const OptionSpec& option : spec.options) {
    const auto it = given.find(option.name);
    options.emplace(option.name, it != given.end() ? it->second : ScaledDefault(option, nodes));
  }
  assert(options.size() == spec.options.size());  // No duplicate names in the table.
  assert(std::all_of(given.begin(), given.end(),  // A caller's typo otherwise.
                     [&](const auto& entry) { return options.count(entry.first) != 0; }));
  return options;
}

}  // namespace schism::nodes
