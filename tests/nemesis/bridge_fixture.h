#pragma once
// Test support (label `root`): a hub namespace with a bridge and kNodes node
// namespaces on it, each with a veth "eth0" (10.9.0.K, static neighbours) and
// a bound UDP socket on port 7000. The hub's bridge ports are "vn1" ... "vnK".
// IPv6 is off everywhere, so the only frames the bridge forwards are the
// datagrams a test sends, and nft counters can be compared exactly.

#include <cstddef>
#include <set>
#include <string>
#include <utility>

#include "nemesis/nft.h"
#include "tests/nemesis/netns_fixture.h"

namespace schism::nemesis::testing {

class BridgeTest : public PrivateNetnsTest {
 public:
  // Node `i`'s IPv4 address on eth0 (10.9.0.<i+1>).
  static std::string Address(int i) { return "10.9.0." + std::to_string(i + 1); }

 protected:
  static constexpr int kNodes = 3;

  void SetUp() override;
  void TearDown() override;

  static std::string Name(int i) { return "n" + std::to_string(i + 1); }
  static PortMap Ports();

  // Has every node send one datagram to every other node and drains them, so
  // the bridge has learnt every MAC address: after this a unicast frame
  // leaves on its destination's port only instead of being flooded.
  void LearnMacs();

  // Sends one datagram from node `src` to node `dst` (indices) carrying `seq`.
  void Send(int src, int dst, std::uint32_t seq);

  // Receives everything queued at node `dst` within `wait_ms` of silence and
  // returns the sequence numbers from node `src` (others are counted per
  // sender in `from`, when given).
  std::set<std::uint32_t> Drain(int dst, int src, int wait_ms, int (*from)[kNodes] = nullptr);

  int hub_ = -1;
  int node_fd_[kNodes] = {-1, -1, -1};
  int socket_[kNodes] = {-1, -1, -1};
};

}  // namespace schism::nemesis::testing
