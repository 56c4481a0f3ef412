#pragma once
// Internal to harness/profiles: the zookeeper profile's reading of a server's
// state, exposed for its tests.
//
// No single command of ZooKeeper 3.8 tells a server's role, its leader and its
// epoch: the AdminServer's /commands/leader gives the role and the leader's id
// (or "not currently serving requests" while it looks for a leader or syncs),
// and the epoch is in dataDir/version-2/currentEpoch (a follower's zxid can lag
// an epoch behind). The probe reads the file, asks the server, and reads the
// file again: when both readings agree, the epoch did not change while the
// server answered, and a server only answers as leader or follower once it has
// written the epoch of that leadership.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/probe_reader.h"

namespace schism::harness {

struct ZooKeeperState {
  // currentEpoch, the same before and after the answer; none before the
  // server first took part in an established epoch (then it never serves).
  std::optional<std::uint64_t> epoch;
  bool serving = false;         // false: "not currently serving requests"
  bool is_leader = false;
  std::uint64_t leader_id = 0;  // the leader's myid, when serving
};

// Parses the probe's output: "currentEpoch=E" on the first line, then the
// HTTP/1.0 answer to GET /commands/leader, then "currentEpoch=E" on the last
// line ("currentEpoch=" while there is no such file). Throws
// std::invalid_argument naming what is wrong (the epochs differ, a serving
// server has none, not HTTP 200, another error than not serving, ...).
ZooKeeperState ParseZooKeeperState(std::string_view out);

// A serving leader is a leader of its epoch; a serving follower follows the
// node whose index is leader_id (myid is the node's index); a server that is
// not serving (looking for a leader, or syncing with one) is a candidate.
class ZooKeeperStateReader final : public ProbeReader {
 public:
  explicit ZooKeeperStateReader(std::vector<std::string> names) : names_(std::move(names)) {}
  Observation Read(std::size_t k, std::string_view out) override;

 private:
  std::vector<std::string> names_;
};

}  // namespace schism::harness
