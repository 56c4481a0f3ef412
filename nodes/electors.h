#pragma once
// The table of schism-node's built-in electors: for each, its name (the
// schism-node subcommand and the state file's prefix), a one-line description,
// its deliberate bugs, its own options, and how to build it. schism-node's
// command line is generated from this table, and the harness may list it.
//
// Adding an elector: its state machine in nodes/<name>.{h,cc} implementing
// nodes/elector.h, one row in electors.cc, its tests in tests/nodes/ and a
// paragraph in docs/running.md.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "nodes/elector.h"

namespace schism::nodes {

// A deliberate defect, chosen with --bug NAME, that lets a harness prove that
// its checkers bite.
struct BugSpec {
  std::string_view name;  // e.g. "double-vote"
  std::string_view description;
};

// How an option's default grows with the cluster size N (nodes, this one
// included). Up to kScaleFromNodes nodes every default is the table's
// default_value; beyond, a scaled default is default_value times
// sqrt(N / kScaleFromNodes) (kSqrt) or N / kScaleFromNodes (kLinear), rounded
// to the nearest whole number. Timeouts and re-send intervals grow because a
// cluster of N nodes sends up to N messages per broadcast (N^2 per round of an
// election where everyone broadcasts), shares the same CPUs, and must spread
// N randomized timeouts wide enough that they do not collide.
enum class Scale { kFixed, kSqrt, kLinear };
inline constexpr std::int64_t kScaleFromNodes = 9;

// One option of an elector's subcommand beyond the common ones.
struct OptionSpec {
  enum class Kind { kFlag, kInteger };
  std::string_view name;  // Without "--", e.g. "election-min-ms".
  std::string_view description;
  Kind kind = Kind::kInteger;
  std::int64_t default_value = 0;  // A flag defaults to 0 (absent). For up to kScaleFromNodes.
  std::int64_t min = 0;            // kInteger: the accepted range.
  std::int64_t max = 0;
  Scale scale = Scale::kFixed;  // kInteger: how the default grows with the cluster size.
};

// Returns the default of `option` in a cluster of `nodes` nodes: default_value
// for nodes <= kScaleFromNodes or Scale::kFixed, else scaled as Scale says and
// clamped to the option's range. An option given explicitly is not scaled.
std::int64_t ScaledDefault(const OptionSpec& option, std::size_t nodes);

// Returns how the default of `option` grows, for listings: "" for kFixed, else
// e.g. "x sqrt(N/9) above 9 nodes".
std::string ScaleRule(const OptionSpec& option);

struct ElectorSpec {
  std::string_view name;         // e.g. "raft"
  std::string_view description;  // One line, for --help.
  std::span<const BugSpec> bugs;
  std::span<const OptionSpec> options;
  // Returns "" or a one-line usage error about option values that contradict
  // each other (ranges are checked already); nullptr when there is nothing to check.
  std::string (*check)(const ElectorSetup& setup);
  // Builds the elector from `setup` (which passed check) and the state it last
  // asked to persist (nullopt for a fresh node). Returns nullptr and sets
  // *error to the reason when `restored` is not such a state.
  std::unique_ptr<Elector> (*make)(const ElectorSetup& setup, const std::optional<Json>& restored,
                                   std::string* error);
};

// Returns every built-in elector, in the order schism-node lists them.
std::span<const ElectorSpec> BuiltInElectors();

// Returns the built-in elector called `name`, or nullptr.
const ElectorSpec* FindElector(std::string_view name);

// Returns the names of the built-in electors, comma-separated ("raft, bully, ring"),
// for error messages.
std::string ElectorNames();

// The seed of node `id`'s elector in a run seeded `seed` (schism-node --seed):
// FNV-1a of the id mixed in, so that nodes given the same seed still draw
// different timeouts. The same on every restart of the node.
std::uint64_t MixSeed(std::uint64_t seed, std::string_view id);

// Returns a setup for `spec` with every option at its default and no bug;
// the caller fills in id, peers, seed and tick_ms. The defaults are those of a
// small cluster (up to kScaleFromNodes nodes).
ElectorSetup DefaultSetup(const ElectorSpec& spec);

// The same for a cluster of `nodes` nodes: every option at ScaledDefault().
ElectorSetup DefaultSetup(const ElectorSpec& spec, std::size_t nodes);

// The options of `spec` in a cluster of `nodes` nodes, by name: the value in
// `given` for each option it names (given explicitly, so never scaled), else
// ScaledDefault(). `given` holds only options of `spec` (asserted).
std::map<std::string, std::int64_t, std::less<>> OptionsFor(
    const ElectorSpec& spec, std::size_t nodes,
    const std::map<std::string, std::int64_t, std::less<>>& given);

}  // namespace schism::nodes
