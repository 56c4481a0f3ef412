// Resolving the targets that several fault kinds share: pairs of nodes, a
// node or a group of them, live or not.
#include <algorithm>
#include <stdexcept>

#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

// `count` random nodes of `pool`, in cluster order.
std::vector<std::string> Sample(const ClusterView& view, std::vector<std::string> pool,
                                std::size_t count, std::mt19937_64& rng) {
  for (std::size_t i = 0; i < pool.size() && i < count; ++i) {
    std::swap(pool[i], pool[i + UniformIndex(rng, pool.size() - i)]);
  }
  pool.resize(std::min(count, pool.size()));
  std::vector<std::string> ordered;
  for (const auto& node : view.nodes) {
    if (Contains(pool, node)) ordered.push_back(node);
  }
  return ordered;
}

}  // namespace

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void CheckKnown(const ClusterView& view, const std::string& node) {
  if (!Contains(view.nodes, node)) throw std::invalid_argument("nemesis: unknown node " + node);
}

std::optional<std::string> LeaderOrRandom(const ClusterView& view,
                                          const std::vector<std::string>& pool,
                                          std::mt19937_64& rng, std::string& fallback) {
  if (view.leader && Contains(pool, *view.leader)) return *view.leader;
  if (pool.empty()) return std::nullopt;
  fallback = "no leader";
  return pool[UniformIndex(rng, pool.size())];
}

std::vector<std::pair<std::string, std::string>> ResolvePairs(ResolvedOp& out,
                                                              const ClusterView& view,
                                                              std::mt19937_64& rng) {
  const auto& nodes = view.nodes;
  LossMap marked;  // the pairs, as the map that orders them
  switch (out.op.loss_target) {
    case LossTarget::kPair: {
      if (nodes.size() < 2) break;
      const std::size_t src = UniformIndex(rng, nodes.size());
      std::size_t dst = UniformIndex(rng, nodes.size() - 1);
      if (dst >= src) ++dst;  // Any node but src.
      marked[{nodes[src], nodes[dst]}] = 0;
      break;
    }
    case LossTarget::kInto: {
      if (nodes.empty()) break;
      std::string into = out.op.node;
      if (into.empty()) {
        into = nodes[UniformIndex(rng, nodes.size())];
      } else {
        CheckKnown(view, into);
      }
      out.node = into;
      marked = LossInto(nodes, into, 0);
      break;
    }
    case LossTarget::kAll:
      marked = LossAll(nodes, 0);
      break;
    case LossTarget::kPairs:
      for (const auto& [src, dst] : out.op.loss_pairs) {
        CheckKnown(view, src);
        CheckKnown(view, dst);
        if (src != dst) marked[{src, dst}] = 0;
      }
      break;
  }
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& [pair, unused] : marked) pairs.push_back(pair);
  if (pairs.empty()) out.skipped = "no pair of nodes";
  return pairs;
}

void ResolveGroup(ResolvedOp& out, const ClusterView& view, const std::vector<std::string>& pool,
                  std::mt19937_64& rng) {
  const std::size_t n = view.nodes.size();
  switch (out.op.target) {
    case KillTarget::kMinority:
      out.victims = Sample(view, pool, std::max<std::size_t>(1, (n - 1) / 2), rng);
      break;
    case KillTarget::kMajority:
      out.victims = Sample(view, pool, n / 2 + 1, rng);
      break;
    case KillTarget::kAll:
      out.victims = Sample(view, pool, pool.size(), rng);
      break;
    default:
      break;
  }
}

bool IsGroup(KillTarget target) {
  return target == KillTarget::kMinority || target == KillTarget::kMajority ||
         target == KillTarget::kAll;
}

void ResolveAnyNode(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
  const auto& target = out.op.target;
  if (IsGroup(target)) {
    ResolveGroup(out, view, view.nodes, rng);
  } else if (target == KillTarget::kNode) {
    CheckKnown(view, out.op.node);
    out.node = out.op.node;
  } else if (target == KillTarget::kLeader) {
    if (auto node = LeaderOrRandom(view, view.nodes, rng, out.fallback)) out.node = *node;
  } else if (!view.nodes.empty()) {
    out.node = view.nodes[UniformIndex(rng, view.nodes.size())];
  }
  if (out.node.empty() && out.victims.empty()) out.skipped = "no node";
}

void ResolveLiveTarget(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng,
                       bool may_await_voter) {
  if (view.alive.empty()) {
    out.skipped = "no live node";
    return;
  }
  switch (out.op.target) {
    case KillTarget::kRandom:
      out.node = view.alive[UniformIndex(rng, view.alive.size())];
      break;
    case KillTarget::kLeader:
      out.node = *LeaderOrRandom(view, view.alive, rng, out.fallback);
      break;
    case KillTarget::kVoter:
    case KillTarget::kCandidate:
      if (may_await_voter) {
        out.awaits_voter = true;
      } else {
        out.skipped = "only a kill can wait for a vote";
      }
      break;
    case KillTarget::kMinority:
    case KillTarget::kMajority:
    case KillTarget::kAll:
      ResolveGroup(out, view, view.alive, rng);
      break;
    case KillTarget::kNode:
      CheckKnown(view, out.op.node);
      if (Contains(view.alive, out.op.node)) {
        out.node = out.op.node;
      } else {
        out.skipped = out.op.node + " is not running";
      }
      break;
  }
}

void ResolveOptionalNode(ResolvedOp& out, const ClusterView& view) {
  if (!out.op.node.empty()) CheckKnown(view, out.op.node);
  out.node = out.op.node;
}

void DescribeSpecAndTargets(const ResolvedOp& resolved, nlohmann::json& out) {
  nlohmann::json spec = ToJson(resolved.op);  // target and parameters
  spec.erase("t");
  spec.erase("node");
  out.update(spec);
  if (!resolved.node.empty()) out["node"] = resolved.node;
  if (!resolved.victims.empty()) out["victims"] = resolved.victims;
}

void DescribePairShare(const ResolvedOp& resolved, nlohmann::json& out) {
  out["target"] = ToString(resolved.op.loss_target);
  if (!resolved.node.empty()) out["node"] = resolved.node;
  out["percent"] = resolved.op.loss_percent;
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [pair, percent] : resolved.loss) list.push_back({pair.first, pair.second});
  out["pairs"] = std::move(list);
}

}  // namespace schism::nemesis::faults
