#include "nemesis/resolve.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "nemesis/random.h"

namespace schism::nemesis {
namespace {

bool Contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

void CheckKnown(const ClusterView& view, const std::string& node) {
  if (!Contains(view.nodes, node)) throw std::invalid_argument("nemesis: unknown node " + node);
}

// The leader when it is known and alive in `pool`, else a random node of
// `pool` with `fallback` noted; nullopt when `pool` is empty.
std::optional<std::string> LeaderOrRandom(const ClusterView& view,
                                          const std::vector<std::string>& pool,
                                          std::mt19937_64& rng, std::string& fallback) {
  if (view.leader && Contains(pool, *view.leader)) return *view.leader;
  if (pool.empty()) return std::nullopt;
  fallback = "no leader";
  return pool[UniformIndex(rng, pool.size())];
}

void ResolvePartition(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
  const auto& nodes = view.nodes;
  switch (out.op.grudge) {
    case GrudgeKind::kHalves:
      out.grudge = Halves(nodes, rng);
      break;
    case GrudgeKind::kOne:
      if (nodes.empty()) break;
      out.isolated = nodes[UniformIndex(rng, nodes.size())];
      out.grudge = IsolateOne(nodes, out.isolated);
      break;
    case GrudgeKind::kIsolateLeader:
      if (auto node = LeaderOrRandom(view, nodes, rng, out.fallback)) {
        out.isolated = *node;
        out.grudge = IsolateOne(nodes, out.isolated);
      }
      break;
    case GrudgeKind::kMajoritiesRing:
      out.grudge = MajoritiesRing(nodes, rng);
      break;
    case GrudgeKind::kBridge:
      out.grudge = Bridge(nodes, rng);
      break;
    case GrudgeKind::kComponents:
      for (const auto& group : out.op.components) {
        for (const auto& node : group) CheckKnown(view, node);
      }
      out.grudge = Complete(out.op.components);
      break;
    case GrudgeKind::kRandomHalves:
      out.grudge = RandomHalves(nodes, rng);
      break;
    case GrudgeKind::kMinorityThird:
      out.grudge = MinorityThird(nodes, rng);
      break;
    case GrudgeKind::kOneWay:
      out.grudge = RandomOneWay(nodes, rng);
      break;
    case GrudgeKind::kExplicit:
      for (const auto& [src, dst] : out.op.drops.drops) {
        CheckKnown(view, src);
        CheckKnown(view, dst);
      }
      out.grudge = out.op.drops;
      break;
  }
}

// The directed pairs a loss or delay op hits (LossTarget), in a stable order.
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

void ResolveLoss(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
  CheckLossPercent(out.op.loss_percent);
  for (const auto& pair : ResolvePairs(out, view, rng)) out.loss[pair] = out.op.loss_percent;
}

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

// Picks the victims of a minority, majority or all target among `pool`
// (sized against the whole cluster, so "majority" means a majority of N).
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

// Targets for ops that need no running process (bandwidth, clock): any node.
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

void ResolvePause(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
  std::vector<std::string> pool;
  for (const auto& node : view.alive) {
    if (!Contains(view.paused, node)) pool.push_back(node);
  }
  switch (out.op.target) {
    case KillTarget::kRandom:
      if (!pool.empty()) out.node = pool[UniformIndex(rng, pool.size())];
      break;
    case KillTarget::kLeader:
      if (auto node = LeaderOrRandom(view, pool, rng, out.fallback)) out.node = *node;
      break;
    case KillTarget::kMinority:
    case KillTarget::kMajority:
    case KillTarget::kAll:
      ResolveGroup(out, view, pool, rng);
      if (out.victims.empty()) out.skipped = "no running node to pause";
      return;
    case KillTarget::kVoter:
      out.skipped = "a pause cannot wait for a voter";
      return;
    case KillTarget::kNode:
      CheckKnown(view, out.op.node);
      if (!Contains(view.alive, out.op.node)) {
        out.skipped = out.op.node + " is not running";
      } else if (Contains(view.paused, out.op.node)) {
        out.skipped = out.op.node + " is already paused";
      } else {
        out.node = out.op.node;
      }
      return;
  }
  if (out.node.empty()) out.skipped = "no running node to pause";
}

void ResolveResume(ResolvedOp& out, const ClusterView& view) {
  if (!out.op.node.empty()) {
    CheckKnown(view, out.op.node);
    if (Contains(view.paused, out.op.node)) {
      out.resume.push_back(out.op.node);
    } else {
      out.skipped = out.op.node + " is not paused";
    }
    return;
  }
  for (const auto& node : view.nodes) {
    if (Contains(view.paused, node)) out.resume.push_back(node);
  }
}

void ResolveKill(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng) {
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
      if (out.op.kind == OpKind::kKill) {
        out.awaits_voter = true;
      } else {
        out.skipped = "only a kill can wait for a voter";
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

void ResolveRestart(ResolvedOp& out, const ClusterView& view) {
  if (!out.op.node.empty()) {
    CheckKnown(view, out.op.node);
    if (Contains(view.alive, out.op.node)) {
      out.skipped = out.op.node + " is already running";
    } else {
      out.restart.push_back(out.op.node);
    }
    return;
  }
  for (const auto& node : view.nodes) {
    if (!Contains(view.alive, node)) out.restart.push_back(node);
  }
}

}  // namespace

ResolvedOp Resolve(const Op& op, const ClusterView& view, std::mt19937_64& rng) {
  ResolvedOp out;
  out.op = op;
  out.nodes = view.nodes;
  switch (op.kind) {
    case OpKind::kPartition:
      ResolvePartition(out, view, rng);
      break;
    case OpKind::kHeal:
      break;
    case OpKind::kKill:
      ResolveKill(out, view, rng);
      break;
    case OpKind::kRestart:
      ResolveRestart(out, view);
      break;
    case OpKind::kLoss:
      ResolveLoss(out, view, rng);
      break;
    case OpKind::kLossEnd:
      break;
    case OpKind::kPause:
      ResolvePause(out, view, rng);
      break;
    case OpKind::kResume:
      ResolveResume(out, view);
      break;
    case OpKind::kTerm:
      ResolveKill(out, view, rng);
      break;
    case OpKind::kDelay:
      if (out.op.jitter_ms > out.op.delay_ms || out.op.delay_ms < 0) {
        throw std::invalid_argument("nemesis: delay needs 0 <= jitter_ms <= delay_ms");
      }
      out.pairs = ResolvePairs(out, view, rng);
      break;
    case OpKind::kBandwidth:
    case OpKind::kClock:
      ResolveAnyNode(out, view, rng);
      break;
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      if (!op.node.empty()) CheckKnown(view, op.node);
      out.node = op.node;
      break;
    case OpKind::kFlap:
    case OpKind::kDelayEnd:
      break;
  }
  return out;
}

std::vector<std::string> ResolvedOp::Targets() const {
  if (!victims.empty()) return victims;
  if (!node.empty()) return {node};
  return {};
}

ResolvedOp WithVoter(ResolvedOp resolved, const std::string& voter) {
  resolved.awaits_voter = false;
  resolved.node = voter;
  return resolved;
}

ResolvedOp VoterTimedOut(ResolvedOp resolved) {
  resolved.awaits_voter = false;
  resolved.skipped = "no vote within voter_wait";
  return resolved;
}

nlohmann::json ResolvedOp::Describe() const {
  nlohmann::json out = {{"f", ToString(op.kind)}};
  switch (op.kind) {
    case OpKind::kPartition: {
      out["kind"] = ToString(op.grudge);
      nlohmann::json shape = ToJson(grudge, nodes);
      out["grudge"] = std::move(shape["grudge"]);
      if (shape.contains("components")) out["components"] = std::move(shape["components"]);
      if (!isolated.empty()) out["isolated"] = isolated;
      break;
    }
    case OpKind::kHeal:
      break;
    case OpKind::kKill:
      out["target"] = ToString(op.target);
      if (!node.empty()) out["node"] = node;
      if (!victims.empty()) out["victims"] = victims;
      out["signal"] = op.signal;
      out["restart_after"] = op.restart_after_s;
      if (awaits_voter) {
        out["awaiting"] = "vote";
        out["voter_wait"] = op.voter_wait_s;
      }
      break;
    case OpKind::kRestart:
      out["nodes"] = restart;
      break;
    case OpKind::kLoss: {
      out["target"] = ToString(op.loss_target);
      if (!node.empty()) out["node"] = node;
      out["percent"] = op.loss_percent;
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [pair, percent] : loss) list.push_back({pair.first, pair.second});
      out["pairs"] = std::move(list);
      break;
    }
    case OpKind::kLossEnd:
      break;
    case OpKind::kPause:
      out["target"] = ToString(op.target);
      if (!node.empty()) out["node"] = node;
      if (!victims.empty()) out["victims"] = victims;
      out["resume_after"] = op.resume_after_s;
      out["how"] = op.freeze ? "freeze" : "stop";
      break;
    case OpKind::kResume:
      out["nodes"] = resume;
      break;
    case OpKind::kFlap: {
      nlohmann::json spec = ToJson(op);
      spec.erase("t");
      spec["kind"] = spec["grudge"];
      spec.erase("grudge");
      out.update(spec);
      break;
    }
    case OpKind::kTerm:
    case OpKind::kBandwidth:
    case OpKind::kClock: {
      nlohmann::json spec = ToJson(op);  // target and parameters
      spec.erase("t");
      spec.erase("node");
      out.update(spec);
      if (!node.empty()) out["node"] = node;
      if (!victims.empty()) out["victims"] = victims;
      break;
    }
    case OpKind::kDelay: {
      out["target"] = ToString(op.loss_target);
      if (!node.empty()) out["node"] = node;
      out["delay_ms"] = op.delay_ms;
      out["jitter_ms"] = op.jitter_ms;
      nlohmann::json list = nlohmann::json::array();
      for (const auto& [src, dst] : pairs) list.push_back({src, dst});
      out["pairs"] = std::move(list);
      break;
    }
    case OpKind::kBandwidthEnd:
    case OpKind::kClockEnd:
      if (!node.empty()) out["node"] = node;
      break;
    case OpKind::kDelayEnd:
      break;
  }
  if (!fallback.empty()) out["fallback"] = fallback;
  if (!skipped.empty()) out["skipped"] = skipped;
  return out;
}

}  // namespace schism::nemesis
