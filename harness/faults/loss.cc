// loss: a random share of each chosen pair's packets dropped on the hub's
// bridge (nft numgen on the loss chain, with named counters per pair). The
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
  rules.read = [&network] {
    std::vector<PairShare> shares;
    for (const auto& [pair, c] : network.ReadLoss()) {
      shares.push_back({pair, {c.percent, c.seen, c.dropped}});
    }
    return shares;
  };
  rules.clear = [&network] { network.ClearLoss(); };
  return std::make_unique<RandomShareMechanism>(context, std::move(rules));
}

}  // namespace schism::harness
