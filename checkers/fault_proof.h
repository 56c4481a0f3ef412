#pragma once
// Reading a fault's "verified" event (nemesis/proof.h writes it):
//   {"type":"nemesis","f":"partition","phase":"verified","of":12,"proven":false,"why":"..."}
// "of" is the "i" of the fault's start event.

#include "histories/event.h"

namespace schism::checkers {

// True for a nemesis event with "phase":"verified".
inline bool IsProof(const histories::Event& event) {
  if (event.type != histories::EventType::kNemesis || !event.detail.is_object()) return false;
  const auto phase = event.detail.find("phase");
  return phase != event.detail.end() && *phase == "verified";
}

// True for a verified event whose "proven" is not true.
inline bool IsUnprovenProof(const histories::Event& event) {
  if (!IsProof(event)) return false;
  const auto proven = event.detail.find("proven");
  return proven == event.detail.end() || *proven != true;
}

}  // namespace schism::checkers
