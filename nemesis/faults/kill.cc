// kill: a node's whole process tree dies, and starts again after a while
// (restart_after) or at a restart op.
#include <cmath>

#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

// Shares of generated kills that wait for the next vote (never the first
// fault: nothing may be electing then) and kill its voter or its candidate.
// The candidate's share is carved from the end of the random node's, so the
// draws that picked any other target still pick it.
constexpr double kVoterShare = 0.35;
constexpr double kCandidateShare = 0.10;

// A restart op's nodes: the one it names, or every dead node.
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

class KillKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "kill"; }
  double DefaultWeight() const override { return 0.25; }
  OpKind StartOp() const override { return OpKind::kKill; }
  OpKind EndOp() const override { return OpKind::kRestart; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kKill, "kill", {"target", "node", "signal", "restart_after", "voter_wait", "rival"}},
            {OpKind::kRestart, "restart", {"node"}}};
  }
  TailSlot Tail() const override { return {TailStage::kDead, /*always=*/true}; }
  std::string_view Help() const override {
    return "kill nodes (the leader, the next voter, ...) and restart them soon after";
  }
  FaultDoc Doc() const override {
    return {
        "`kill`: `target` (+`node`, below, `voter`: the next node to grant a vote to another, "
        "or `candidate`: the node that vote is for); `signal` (9); `restart_after` (s, 0 = "
        "stay dead); `voter_wait` (s, for `voter` and `candidate`); `rival` "
        "(`voter` and `candidate` only: wait for a vote in a term another node stands in too). "
        "`restart`: `node` (optional)",
        "the victims die, their whole process tree: the node's cgroup (`cgroup.kill`), or "
        "its process group without cgroups; they start again `restart_after` later. "
        "`restart` starts that node, or every dead node",
        "every process of the node's cgroup (or process group) gone, with the time it took",
        "a process of the node is still there when the kill gives up waiting, or its "
        "processes cannot be listed"};
  }

  double DrawCycle(CycleDraw& draw) const override {
    // The first fault acts at once: a voter kill would wait, maybe in vain,
    // for an election in a cluster that has just settled.
    if (auto k = DrawKill(draw.rng, draw.t, draw.end, draw.interval,
                          /*voter_ok=*/!draw.ops.empty())) {
      draw.ops.push_back(*k);
    }
    return draw.t + draw.interval * UniformReal(draw.rng, 0.7, 1.3);
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind == OpKind::kRestart) {
      ReadOptionalNode(in, op);
      return;
    }
    ReadTarget(in, op, /*voter_ok=*/true);
    op.signal = static_cast<int>(in.Number("signal", 9.0));
    op.restart_after_s = in.Number("restart_after", 0.0);
    op.voter_wait_s = in.Number("voter_wait", 0.0);
    if (const nlohmann::json* rival = in.Find("rival")) {
      if (!rival->is_boolean()) in.Fail("rival must be true or false");
      if (op.target != KillTarget::kVoter && op.target != KillTarget::kCandidate) {
        in.Fail("only a voter or candidate kill can wait for a rival");
      }
      op.rival = rival->get<bool>();
    }
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind == OpKind::kRestart) {
      WriteOptionalNode(op, out);
      return;
    }
    WriteTarget(op, out);
    out["signal"] = op.signal;
    out["restart_after"] = op.restart_after_s;
    if (AwaitsVote(op.target)) out["voter_wait"] = op.voter_wait_s;
    if (op.rival) out["rival"] = true;
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind == OpKind::kRestart) {
      ResolveRestart(out, view);
    } else {
      ResolveLiveTarget(out, view, rng, /*may_await_voter=*/true);
    }
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind == OpKind::kRestart) {
      out["nodes"] = resolved.restart;
      return;
    }
    const Op& op = resolved.op;
    out["target"] = ToString(op.target);
    if (!resolved.node.empty()) out["node"] = resolved.node;
    if (!resolved.victims.empty()) out["victims"] = resolved.victims;
    out["signal"] = op.signal;
    out["restart_after"] = op.restart_after_s;
    if (resolved.awaits_voter) {
      out["awaiting"] = "vote";
      out["voter_wait"] = op.voter_wait_s;
      if (op.rival) out["rival"] = true;
    }
  }
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind == OpKind::kRestart) {
      RebuildPerNode(op, applied, where, out);
    } else {
      RebuildPerVictim(op, applied, where, out);
    }
  }
};

}  // namespace

std::optional<Op> DrawKill(std::mt19937_64& rng, double t, double end, double interval,
                           bool voter_ok) {
  Op op;
  op.offset_s = Millis(t);
  op.kind = OpKind::kKill;
  // Mostly one node; now and then a group: a minority, a majority (the
  // cluster loses its quorum until they restart) or, rarely, every node at
  // once (a whole-cluster crash and restart).
  op.target = PickOf<KillTarget>(rng, {{voter_ok ? kVoterShare : 0.0, KillTarget::kVoter},
                                       {0.30, KillTarget::kLeader},
                                       {voter_ok ? 0.20 - kCandidateShare : 0.20, KillTarget::kRandom},
                                       {voter_ok ? kCandidateShare : 0.0, KillTarget::kCandidate},
                                       {0.07, KillTarget::kMinority},
                                       {0.05, KillTarget::kMajority},
                                       {0.03, KillTarget::kAll}});
  // Mostly very short downtimes, so the node rejoins while an election runs.
  op.restart_after_s =
      Millis(Chance(rng, 0.55) ? UniformReal(rng, 0.05, 0.3) : UniformReal(rng, 0.3, 2.0));
  if (op.target == KillTarget::kVoter) {
    // A voter comes back within 20-120 ms (the same draw, folded), while a
    // rival candidate of the same term may still be asking: the window in
    // which an elector that forgot its vote votes again.
    op.restart_after_s = Millis(0.02 + std::fmod(op.restart_after_s, 0.1));
  } else if (op.target == KillTarget::kAll) {
    // A dead cluster is back within 50-500 ms (folded the same way), so it
    // elects a leader again long before the quiet period.
    op.restart_after_s = Millis(0.05 + std::fmod(op.restart_after_s, 0.45));
  }
  double room = end - t - op.restart_after_s;
  if (AwaitsVote(op.target)) {
    op.voter_wait_s = Millis(std::min({std::clamp(1.5 * interval, 1.0, 5.0), room - 0.1}));
    if (op.voter_wait_s < 0.2) {
      op.target = KillTarget::kLeader;
      op.voter_wait_s = 0;
    } else {
      room -= op.voter_wait_s;
    }
  }
  if (room < 0) return std::nullopt;
  return op;
}

const FaultKind& Kill() {
  static const KillKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
