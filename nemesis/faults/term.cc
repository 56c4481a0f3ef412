// term: SIGTERM to a node, SIGKILL of its tree when it outlives a grace; it
// starts again after restart_after, or at a restart op (kill's).
#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

class TermKind final : public FaultKind {
 public:
  std::string_view Name() const override { return "term"; }
  double DefaultWeight() const override { return 0.15; }
  OpKind StartOp() const override { return OpKind::kTerm; }
  OpKind EndOp() const override { return OpKind::kRestart; }  // kill's
  std::vector<OpSpec> Ops() const override {
    return {{OpKind::kTerm, "term", {"target", "node", "grace", "restart_after"}}};
  }
  TailSlot Tail() const override { return {TailStage::kDead, /*always=*/true}; }
  std::string_view Help() const override {
    return "SIGTERM nodes, SIGKILL after a grace, restart them soon after";
  }
  FaultDoc Doc() const override {
    return {
        "`term`: `target` (+`node`, below); `grace` (s, 2); `restart_after` (s, 0 = stay dead); "
        "ends "
        "with `restart` as for `kill`",
        "SIGTERM; SIGKILL of the whole tree (the cgroup kill) if it has not exited after "
        "`grace`; a stopped or frozen node is continued first so that it can act on it",
        "the node exited (or was killed at the end of its grace), and every process of its "
        "tree is gone",
        "a process of its tree is still there after the grace's kill, or its processes "
        "cannot be listed"};
  }

  // A SIGTERM to a node, the leader or a minority; SIGKILL after a grace.
  double DrawCycle(CycleDraw& draw) const override {
    Op op;
    op.offset_s = Millis(draw.t);
    op.kind = OpKind::kTerm;
    op.target = PickOf<KillTarget>(
        draw.rng,
        {{0.4, KillTarget::kLeader}, {0.4, KillTarget::kRandom}, {0.2, KillTarget::kMinority}});
    op.grace_s = Millis(UniformReal(draw.rng, 0.2, 2.0));
    op.restart_after_s = Millis(UniformReal(draw.rng, 0.1, 1.5));
    draw.ops.push_back(op);
    return draw.t + draw.interval * UniformReal(draw.rng, 0.7, 1.3);
  }

  void Read(const EntryReader& in, Op& op) const override {
    ReadTarget(in, op, /*voter_ok=*/false);
    op.grace_s = in.Number("grace", 2.0);
    op.restart_after_s = in.Number("restart_after", 0.0);
  }
  void Write(const Op& op, nlohmann::json& out) const override {
    WriteTarget(op, out);
    out["grace"] = op.grace_s;
    out["restart_after"] = op.restart_after_s;
  }

  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    ResolveLiveTarget(out, view, rng, /*may_await_voter=*/false);
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    DescribeSpecAndTargets(resolved, out);
  }
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    RebuildPerVictim(op, applied, where, out);
  }
};

}  // namespace

const FaultKind& Term() {
  static const TermKind kind;
  return kind;
}

}  // namespace schism::nemesis::faults
