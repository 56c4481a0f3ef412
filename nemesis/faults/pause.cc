// pause: a node stops running (SIGSTOP, or a cgroup freeze when "how" is
// "freeze") until resume_after has passed, or a resume op.
#include <algorithm>

#include "nemesis/faults/faults.h"
#include "nemesis/suggest.h"

namespace schism::nemesis::faults {
namespace {

// After a pause of every node, the next fault starts at least this long after
// they resume.
constexpr double kAfterEveryNodeResumes = 0.3;

// Pauses pick among live nodes that are not paused already.
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
    case KillTarget::kCandidate:
      out.skipped = "a pause cannot wait for a vote";
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

// A resume op's nodes: the one it names, or every paused node.
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

class PauseKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "pause"; }
  double DefaultWeight() const override { return 0.15; }
  OpKind StartOp() const override { return OpKind::kPause; }
  OpKind EndOp() const override { return OpKind::kResume; }
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kPause, "pause", {"target", "node", "resume_after", "how"}},
            {OpKind::kResume, "resume", {"node"}}};
  }
  TailSlot Tail() const override { return {TailStage::kPaused, /*always=*/false}; }
  std::string_view Help() const override {
    return "stop nodes (SIGSTOP or a cgroup freeze) for a while, then let them run";
  }
  FaultDoc Doc() const override {
    return {
        "`pause`: `target` (+`node`, below); `resume_after` (s, 0 = stay paused); `how`: `stop` "
        "(default) or `freeze`. `resume`: `node` (optional)",
        "the victims stop running until `resume_after` has passed: `stop` is SIGSTOP and "
        "SIGCONT of the process group; `freeze` freezes the node's cgroup "
        "(`cgroup.freeze`), which the node cannot observe. `resume` continues that node, "
        "or every paused node, as it was paused",
        "freeze: cgroup.events says frozen 1; stop: every process of the group in state T",
        "freeze: cgroup.events does not say frozen within 2 s; stop: a process of the node "
        "not in state T within 200 ms (it left the process group: use `\"how\":\"freeze\"`)"};
  }

  double DrawCycle(CycleDraw& draw) const override {
    Op op;
    op.offset_s = Millis(draw.t);
    op.kind = OpKind::kPause;
    // Mostly the leader or one node; now and then a group, rarely every node.
    op.target = PickOf<KillTarget>(draw.rng, {{0.45, KillTarget::kLeader},
                                              {0.35, KillTarget::kRandom},
                                              {0.10, KillTarget::kMinority},
                                              {0.06, KillTarget::kMajority},
                                              {0.04, KillTarget::kAll}});
    // Around an election timeout or longer: a paused leader wakes up stale.
    op.resume_after_s =
        Millis(std::min(UniformReal(draw.rng, 0.2, 1.5 * draw.interval), draw.end - op.offset_s));
    if (op.resume_after_s >= 0.05) {
      // Half the pauses freeze the node's cgroup: no SIGSTOP for it (or a
      // parent) to notice, as in a VM or container that is suspended.
      op.freeze = Chance(draw.rng, 0.5);
      draw.ops.push_back(op);
    }
    const double next = draw.t + draw.interval * UniformReal(draw.rng, 0.7, 1.3);
    // With every node paused no packet crosses the network, so a partition
    // (or loss, delay...) started then could not be shown to take effect: the
    // next fault waits until they run again.
    if (op.target == KillTarget::kAll && op.resume_after_s >= 0.05) {
      return std::max(next, draw.t + op.resume_after_s + kAfterEveryNodeResumes);
    }
    return next;
  }

  void Read(const EntryReader& in, Op& op) const override {
    if (op.kind == OpKind::kResume) {
      ReadOptionalNode(in, op);
      return;
    }
    ReadTarget(in, op, /*voter_ok=*/false);
    op.resume_after_s = in.Number("resume_after", 0.0);
    const std::string how = in.Has("how") ? in.String("how") : "stop";
    if (how != "stop" && how != "freeze") {
      in.Fail("\"how\" must be \"stop\" or \"freeze\"" + DidYouMean(how, {"stop", "freeze"}));
    }
    op.freeze = how == "freeze";
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    if (op.kind == OpKind::kResume) {
      WriteOptionalNode(op, out);
      return;
    }
    WriteTarget(op, out);
    out["resume_after"] = op.resume_after_s;
    if (op.freeze) out["how"] = "freeze";
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind == OpKind::kResume) {
      ResolveResume(out, view);
    } else {
      ResolvePause(out, view, rng);
    }
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind == OpKind::kResume) {
      out["nodes"] = resolved.resume;
      return;
    }
    out["target"] = ToString(resolved.op.target);
    if (!resolved.node.empty()) out["node"] = resolved.node;
    if (!resolved.victims.empty()) out["victims"] = resolved.victims;
    out["resume_after"] = resolved.op.resume_after_s;
    out["how"] = resolved.op.freeze ? "freeze" : "stop";
  }
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind == OpKind::kResume) {
      RebuildPerNode(op, applied, where, out);
    } else {
      RebuildPerVictim(op, applied, where, out);
    }
  }
};

}  // namespace

const FaultKind& Pause() {
  static const PauseKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
