#pragma once
// `schism doctor`: whether this machine can run schism, and what to do where
// it cannot.

#include <ostream>

namespace schism::harness {

// Checks, with the real parts, what runs need: root or user namespaces, a
// sandbox of two namespaces joined by a bridge with an nft partition
// installed and healed, the NFQUEUE delay, cgroup v2, time namespaces,
// libfaketime, and each profile's and service's Debian programs. Then lists
// what crashed runs left (by the harness's own markers only: a pid in the
// name that no longer runs) and, with `fix`, removes it. One line per check,
// "ok" or "MISSING" with a fix. Returns 0 when runs can go (each missing
// piece then only limits some faults or profiles), 70 when they cannot.
int Doctor(std::ostream& out, bool fix);

}  // namespace schism::harness
