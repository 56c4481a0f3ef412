// duplicate: a random share of each chosen pair's packets delivered twice
// (an nft dup rule per percent on the receivers' bridge ports, netdev egress).
// The steps are RandomShareMechanism's.
#include "harness/faults/list.h"
#include "harness/faults/random_share.h"

namespace schism::harness {

std::unique_ptr<Mechanism> MakeDuplicateMechanism(FaultContext& context, NodeLives&) {
  NetworkRules& network = context.network();
  RandomShareRules rules;
  rules.kind = "duplicate";
  rules.hit = "duplicated";
  rules.set = [&network](const nemesis::LossMap& pairs) { network.SetDuplicate(pairs); };
  rules.read = [&network] { return network.ReadDuplicate(); };
  rules.clear = [&network] { network.ClearDuplicate(); };
  return std::make_unique<RandomShareMechanism>(context, std::move(rules));
}

}  // namespace schism::harness
