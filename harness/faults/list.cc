// The one list of mechanisms: one per fault kind of nemesis/faults/list.cc.
// Their order does not matter; the final heal undoes them in the order of
// the kinds' tails (nemesis::TailSlot), then of the vocabulary's list.
#include "harness/faults/list.h"

namespace schism::harness {

std::vector<std::unique_ptr<Mechanism>> MakeMechanisms(FaultContext& context, NodeLives& lives) {
  using Make = std::unique_ptr<Mechanism> (*)(FaultContext&, NodeLives&);
  // One kind a line.
  // clang-format off
  static constexpr Make kMakers[] = {
      MakePartitionMechanism,
      MakeKillMechanism,
      MakeLossMechanism,
      MakePauseMechanism,
      MakeDelayMechanism,
      MakeClockMechanism,
      MakeFlapMechanism,
      MakeTermMechanism,
      MakeBandwidthMechanism,
      MakeDuplicateMechanism,
  };
  // clang-format on
  std::vector<std::unique_ptr<Mechanism>> mechanisms;
  for (Make make : kMakers) mechanisms.push_back(make(context, lives));
  return mechanisms;
}

}  // namespace schism::harness
