// Drawing generated cycles: the helpers several fault kinds share.
#include <cmath>

#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {

double Millis(double seconds) { return std::round(seconds * 1000.0) / 1000.0; }

Op Simple(OpKind kind, double offset_s) {
  Op op;
  op.kind = kind;
  op.offset_s = offset_s;
  return op;
}

int Pick(std::mt19937_64& rng, const std::vector<Weighted>& choices) {
  double total = 0;
  for (const auto& c : choices) total += c.weight;
  double x = Uniform01(rng) * total;
  for (const auto& c : choices) {
    if (x < c.weight) return c.value;
    x -= c.weight;
  }
  return choices.back().value;
}

GrudgeKind PickGrudge(std::mt19937_64& rng, std::size_t node_count) {
  // Non-transitive shapes get most of the weight: they expose double voting.
  std::vector<Weighted> choices = {{0.15, static_cast<int>(GrudgeKind::kHalves)},
                                   {0.10, static_cast<int>(GrudgeKind::kOne)},
                                   {0.15, static_cast<int>(GrudgeKind::kIsolateLeader)}};
  if (node_count >= 3) {
    choices.push_back({0.30, static_cast<int>(GrudgeKind::kMajoritiesRing)});
    choices.push_back({0.30, static_cast<int>(GrudgeKind::kBridge)});
  }
  return static_cast<GrudgeKind>(Pick(rng, choices));
}

LossTarget PickPairTarget(std::mt19937_64& rng) {
  return PickOf<LossTarget>(
      rng, {{0.35, LossTarget::kPair}, {0.35, LossTarget::kInto}, {0.30, LossTarget::kAll}});
}

}  // namespace schism::nemesis::faults
