// Resolve and Describe (resolve.h): the op's fault kind (fault_kind.h) does
// the work.
#include "nemesis/resolve.h"

#include <stdexcept>
#include <utility>

#include "nemesis/fault_kind.h"

namespace schism::nemesis {
namespace {

const FaultKind& Owner(OpKind kind) {
  const FaultKind* owner = OwnerOf(kind);
  if (owner == nullptr) {
    throw std::invalid_argument("nemesis: op kind " + std::to_string(static_cast<int>(kind)) +
                                " has no fault kind");
  }
  return *owner;
}

}  // namespace

ResolvedOp Resolve(const Op& op, const ClusterView& view, std::mt19937_64& rng) {
  ResolvedOp out;
  out.op = op;
  out.nodes = view.nodes;
  Owner(op.kind).Resolve(view, rng, out);
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
  Owner(op.kind).Describe(*this, out);
  if (!fallback.empty()) out["fallback"] = fallback;
  if (!skipped.empty()) out["skipped"] = skipped;
  return out;
}

}  // namespace schism::nemesis
