// The one list of fault kinds (fault_kind.h). Generated schedules pick among
// the enabled kinds in this order, so a new kind goes at the end: existing
// seeds then keep their schedules.
#include "nemesis/faults/faults.h"

namespace schism::nemesis {

const std::vector<const FaultKind*>& AllFaultKinds() {
  // One kind a line.
  // clang-format off
  static const std::vector<const FaultKind*> kinds = {
      &faults::Partition(),
      &faults::Kill(),
      &faults::Loss(),
      &faults::Pause(),
      &faults::Delay(),
      &faults::Clock(),
      &faults::Flap(),
      &faults::Term(),
      &faults::Bandwidth(),
      &faults::Duplicate(),
  };
  // clang-format on
  return kinds;
}

}  // namespace schism::nemesis
