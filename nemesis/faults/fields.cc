// Timeline fields that several fault kinds share: a grudge, a process target,
// a pair target, an optional node.
#include "nemesis/faults/faults.h"
#include "nemesis/names.h"
#include "nemesis/suggest.h"

namespace schism::nemesis::faults {

void ReadGrudge(const EntryReader& in, Op& op) {
  if (in.Has("grouping")) {
    if (in.Has("grudge") && in.String("grudge") != "components") {
      in.Fail("\"grouping\" goes with grudge \"components\" only");
    }
    if (in.Has("components")) in.Fail("give \"grouping\" or \"components\", not both");
    op.grudge = GrudgeKind::kComponents;
    op.components = in.Grouping();
    return;
  }
  const std::string name = in.String("grudge");
  const auto grudge = ValueOf(kGrudgeNames, name);
  if (!grudge) in.Fail("unknown grudge \"" + name + "\"" + DidYouMean(name, NamesOf(kGrudgeNames)));
  op.grudge = *grudge;
  if (op.grudge == GrudgeKind::kComponents) op.components = in.ComponentList();
  if (op.grudge == GrudgeKind::kExplicit) {
    for (const auto& [src, dst] : in.PairList("drops")) op.drops.Drop(src, dst);
  }
}

void WriteGrudge(const Op& op, nlohmann::json& out) {
  out["grudge"] = ToString(op.grudge);
  if (op.grudge == GrudgeKind::kComponents) out["components"] = op.components;
  if (op.grudge == GrudgeKind::kExplicit) {
    out["drops"] = PairsJson({op.drops.drops.begin(), op.drops.drops.end()});
  }
}

void ReadTarget(const EntryReader& in, Op& op, bool voter_ok) {
  const std::string name = in.String("target");
  const auto target = ValueOf(kTargetNames, name);
  if (!target) {
    std::vector<std::string> choices = NamesOf(kTargetNames);
    if (!voter_ok) {
      std::erase(choices, std::string(ToString(KillTarget::kVoter)));
      std::erase(choices, std::string(ToString(KillTarget::kCandidate)));
    }
    in.Fail("unknown " + std::string(ToString(op.kind)) + " target \"" + name + "\"" +
            DidYouMean(name, choices));
  }
  if (AwaitsVote(*target) && !voter_ok) {
    in.Fail("only a kill can target \"" + name + "\" (it waits for a vote)");
  }
  if (*target == KillTarget::kNode) op.node = in.Node("node");
  op.target = *target;
}

void WriteTarget(const Op& op, nlohmann::json& out) {
  out["target"] = ToString(op.target);
  if (op.target == KillTarget::kNode) out["node"] = op.node;
}

void ReadPairTarget(const EntryReader& in, Op& op) {
  const std::string name = in.Has("target") ? in.String("target") : "all";
  const auto target = ValueOf(kLossTargetNames, name);
  if (!target) {
    in.Fail("unknown " + std::string(ToString(op.kind)) + " target \"" + name + "\"" +
            DidYouMean(name, NamesOf(kLossTargetNames)));
  }
  op.loss_target = *target;
  if (op.loss_target == LossTarget::kInto && in.Has("node")) op.node = in.Node("node");
  if (op.loss_target == LossTarget::kPairs) op.loss_pairs = in.PairList("pairs");
}

void WritePairTarget(const Op& op, nlohmann::json& out) {
  out["target"] = ToString(op.loss_target);
  if (op.loss_target == LossTarget::kInto && !op.node.empty()) out["node"] = op.node;
  if (op.loss_target == LossTarget::kPairs) out["pairs"] = PairsJson(op.loss_pairs);
}

void ReadOptionalNode(const EntryReader& in, Op& op) {
  if (in.Has("node")) op.node = in.Node("node");
}

void WriteOptionalNode(const Op& op, nlohmann::json& out) {
  if (!op.node.empty()) out["node"] = op.node;
}

nlohmann::json PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& [src, dst] : pairs) out.push_back({src, dst});
  return out;
}

}  // namespace schism::nemesis::faults
