#pragma once
// Grudges: which packets the network drops, as pure data (Jepsen's "grudge").
//
// A grudge is a set of directed pairs (src, dst): every packet sent by src to
// dst is dropped, while dst's packets to src may still arrive. Computing a
// grudge is pure and separate from applying it (see nft.h for the mechanism),
// so every shape below is tested without root and without a network.
//
// Nodes are named by strings ("n1" ... "nN"). Functions that take `nodes`
// treat it as the whole cluster; the order of `nodes` is the order used in
// JSON output. Random shapes draw from the caller's seeded generator only.

#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schism::nemesis {

// A list of groups of nodes, e.g. {{"n1","n2"},{"n3","n4","n5"}}.
using Components = std::vector<std::vector<std::string>>;

struct Grudge {
  // (src, dst): packets from src to dst are dropped.
  std::set<std::pair<std::string, std::string>> drops;

  // Drops packets from `src` to `dst` (one way only).
  void Drop(const std::string& src, const std::string& dst) { drops.emplace(src, dst); }

  // Drops packets between `a` and `b` in both directions.
  void DropBoth(const std::string& a, const std::string& b) {
    Drop(a, b);
    Drop(b, a);
  }

  // Returns true when packets from `src` to `dst` are dropped.
  bool Drops(const std::string& src, const std::string& dst) const {
    return drops.count({src, dst}) > 0;
  }

  // Returns true when nothing is dropped (a healed network).
  bool empty() const { return drops.empty(); }

  friend bool operator==(const Grudge&, const Grudge&) = default;
};

// Every pair of nodes that lie in different components is cut in both
// directions. Nodes within one component talk freely.
Grudge Complete(const Components& components);

// Splits `nodes` at random into two halves that cannot talk: the smaller half
// has floor(N/2) nodes. With one node, returns an empty grudge.
Grudge Halves(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// Splits `nodes` at random into a minority of k nodes, with k drawn uniformly
// from 1 .. floor(N/2), and the rest; the two sides cannot talk. Unlike
// Halves, the minority may be a single node or any size up to a half. With
// fewer than two nodes, returns an empty grudge.
Grudge RandomHalves(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// Cuts a random third of `nodes`, max(1, floor(N/3)) nodes, off from the rest,
// both ways. With fewer than two nodes, returns an empty grudge.
Grudge MinorityThird(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// A random one-way cut: a random non-empty minority A (1 .. floor(N/2)
// nodes) is not heard by the rest B. Packets from A to B are dropped, packets
// from B to A arrive. With fewer than two nodes, returns an empty grudge.
Grudge RandomOneWay(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// Cuts `node` off from every other node of `nodes`, both ways.
Grudge IsolateOne(const std::vector<std::string>& nodes, const std::string& node);

// Jepsen's majorities ring: the nodes are shuffled onto a ring and each node
// hears exactly a majority, floor(N/2)+1 nodes counting itself, namely itself
// and its nearest ring neighbours (for odd N the same number on each side; for
// even N one more on the left, which makes some cuts one-way). No two nodes
// hear the same majority when N >= 3, so the network is not transitive: any
// node can win a majority of votes, but no majority agrees on who it can see.
Grudge MajoritiesRing(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// Splits the nodes at random into two halves (floor(N/2) and the rest) that
// cannot talk to each other, except one node of the larger half, the bridge,
// which talks to everyone. Not transitive: the bridge can be elected by both
// sides. With fewer than three nodes, returns an empty grudge.
Grudge Bridge(const std::vector<std::string>& nodes, std::mt19937_64& rng);

// Drops every packet from each node of `from` to each node of `to` (and
// nothing in the other direction).
Grudge OneWay(const std::vector<std::string>& from, const std::vector<std::string>& to);

// Returns the components when `grudge` is a clean partition of `nodes`: every
// cut is two-way and "can talk" is transitive (if a hears b and b hears c,
// then a hears c). Each component lists its nodes in `nodes` order, and the
// components are ordered by their first node. An empty grudge gives one
// component with every node. Returns nullopt for non-transitive or one-way
// grudges such as Bridge and MajoritiesRing.
std::optional<Components> CleanComponents(const Grudge& grudge,
                                          const std::vector<std::string>& nodes);

// Describes `grudge` for the history and the timeline:
//   {"grudge":{"n1":["n3","n4"],"n2":[],...},"components":[["n1","n2"],["n3","n4"]]}
// "grudge" maps every node of `nodes` to the nodes it does NOT hear (packets
// from them to it are dropped), in `nodes` order. "components" is present only
// when the grudge is a clean partition (see CleanComponents).
nlohmann::json ToJson(const Grudge& grudge, const std::vector<std::string>& nodes);

// Reads the "grudge" map of ToJson back: node -> nodes it does not hear.
// Throws std::invalid_argument (one line) when `unheard` is not an object of
// arrays of strings.
Grudge GrudgeFromJson(const nlohmann::json& unheard);

// Splits a grouping such as "n1,n2|n3,n4,n5" into components without knowing
// the cluster: groups are separated by '|', nodes by ',', blanks around names
// are ignored. Throws std::invalid_argument naming an empty group, an empty
// name or a node listed twice.
Components SplitGrouping(std::string_view text);

// Parses a user's grouping such as "n1,n2|n3,n4,n5" into components: groups
// are separated by '|', nodes by ',', and blanks around names are ignored.
// Every node of `nodes` must appear exactly once. Throws std::invalid_argument
// with a one-line message naming the problem (empty group or name, unknown
// node, node listed twice, node missing).
Components ParseGrouping(std::string_view text, const std::vector<std::string>& nodes);

// Packet loss, as pure data: directed pair (src, dst) -> percent of the
// packets from src to dst that are dropped at random (0 .. 100).
using LossMap = std::map<std::pair<std::string, std::string>, int>;

// Every directed pair of distinct nodes of `nodes`, with `percent`.
LossMap LossAll(const std::vector<std::string>& nodes, int percent);

// Every pair (other, `node`) into `node`, with `percent`.
LossMap LossInto(const std::vector<std::string>& nodes, const std::string& node, int percent);

// The pairs of `loss` grouped by their percent, ascending, each group in
// (src, dst) order.
std::map<int, std::vector<std::pair<std::string, std::string>>> ByPercent(const LossMap& loss);

// Throws std::invalid_argument ("loss 150% is outside 0..100") unless
// 0 <= percent <= 100.
void CheckLossPercent(int percent);

}  // namespace schism::nemesis
