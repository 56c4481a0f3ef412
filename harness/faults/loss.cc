// loss: a random share of each chosen pair's packets dropped on the hub's
// bridge (nft numgen on the loss chain, with two named counters per percent). The
// steps are RandomShareMechanism's.
#include "harness/faults/list.h"
#include "harness/faults/random_share.h"

namespace schism::harness {

std::unique_ptr<Mechanism> MakeLossMechanism(FaultContext& context, NodeLives&) {
  NetworkRules& network = context.network();
  RandomShareRules rules;
  rules.kind = "loss";
  rules.hit = "dropped";
  rules.set = [&network](const nemesis::LossMap& loss) { network.SetLoss(loss); };
  rules.read = [&network] { return network.ReadLoss(); };
  rules.clear = [&network] { network.ClearLoss(); };
  return std::make_unique<RandomShareMechanism>(context, std::move(rules));
}

}  // namespace schism::harness
