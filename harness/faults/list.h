#pragma once
// The mechanisms of the fault kinds (one file each in harness/faults/), and
// the one list that makes them (list.cc). Adding a kind's mechanism: its
// file, its Make function declared here, and its line in the list; the
// MechanismsTest fails while a vocabulary kind (nemesis::AllFaultKinds) has
// no mechanism, or two.

#include <memory>
#include <vector>

#include "harness/faults/mechanism.h"
#include "harness/faults/nodes.h"

namespace schism::harness {

std::unique_ptr<Mechanism> MakePartitionMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeKillMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeLossMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakePauseMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeDelayMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeClockMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeFlapMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeTermMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeBandwidthMechanism(FaultContext& context, NodeLives& lives);
std::unique_ptr<Mechanism> MakeDuplicateMechanism(FaultContext& context, NodeLives& lives);

// One mechanism per fault kind, for one run.
std::vector<std::unique_ptr<Mechanism>> MakeMechanisms(FaultContext& context, NodeLives& lives);

}  // namespace schism::harness
