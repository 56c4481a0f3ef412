#pragma once
// Internal to harness/profiles: the etcd profile's reading of a member's raft
// state, exposed for its tests.
//
// Why not `etcdctl endpoint status`: its raftTerm (and header.raft_term) is
// the term of the last entry the member applied, while its leader is the
// current one. A new leader reports itself with the previous term until its
// first entry is applied, and a member that has just heard of a new leader
// names it with the old term (seen in a run: a thawed member named the leader
// of term 4 as its leader "in term 3"). Two leaders would seem to share a
// term. The member's /debug/vars "raft.status" is one snapshot of the raft
// state machine (term, lead and state read together), so the profile reads
// that instead.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "harness/probe_reader.h"

namespace schism::harness {

// One member's "raft.status". Member ids are unsigned 64-bit (printed in
// hex); they often exceed 2^63 and never pass through a double.
struct EtcdRaftStatus {
  std::uint64_t id = 0;
  std::uint64_t term = 0;
  std::uint64_t lead = 0;  // 0 when it knows no leader
  std::string state;       // StateLeader, StateFollower, StateCandidate, StatePreCandidate
};

// Parses an HTTP/1.0 answer to GET /debug/vars (status line, headers, then
// the JSON body) or the bare body. Throws std::invalid_argument naming what
// is missing or mistyped.
EtcdRaftStatus ParseEtcdRaftStatus(std::string_view out);

// Maps raft states to observations: StateLeader is a leader, StateFollower a
// follower of the member whose id is its lead (by the ids the members reported
// of themselves; "" while that member has not been probed yet, or when it
// knows no leader), StateCandidate and StatePreCandidate a candidate; the term
// is the raft term.
class EtcdRaftStatusReader final : public ProbeReader {
 public:
  explicit EtcdRaftStatusReader(std::vector<std::string> names) : names_(std::move(names)) {}
  Observation Read(std::size_t k, std::string_view out) override;

 private:
  std::vector<std::string> names_;
  std::map<std::uint64_t, std::size_t> members_;  // member id -> node index
};

}  // namespace schism::harness
