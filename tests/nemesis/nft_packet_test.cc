// Packet-level check (root): three node namespaces on a bridge in a hub
// namespace, UDP between every pair, and the grudge's pairs are exactly the
// ones that are lost.
#include <gtest/gtest.h>

#include <chrono>
#include <set>
#include <thread>

#include "nemesis/nft.h"
#include "tests/nemesis/bridge_fixture.h"

namespace schism::nemesis {
namespace {

using Pairs = std::set<std::pair<std::string, std::string>>;

class NemesisNftPackets : public testing::BridgeTest {
 protected:
  // Sends a few rounds of datagrams between every ordered pair and returns
  // the (src, dst) pairs over which nothing arrived. Bounded: 5 rounds, then
  // at most 300 ms of draining per node.
  Pairs LostPairs() {
    for (std::uint32_t round = 0; round < 5; ++round) {
      for (int src = 0; src < kNodes; ++src) {
        for (int dst = 0; dst < kNodes; ++dst) {
          if (src != dst) Send(src, dst, round);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    Pairs lost;
    for (int dst = 0; dst < kNodes; ++dst) {
      int from[kNodes] = {0, 0, 0};
      Drain(dst, -1, 100, &from);
      for (int src = 0; src < kNodes; ++src) {
        if (src != dst && from[src] == 0) lost.emplace(Name(src), Name(dst));
      }
    }
    return lost;
  }
};

TEST_F(NemesisNftPackets, ExactlyTheGrudgesPairsAreLost) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  NftPartitioner partitioner(hub_, Ports());
  EXPECT_EQ(LostPairs(), Pairs{}) << "the healed network loses packets";

  // A majorities ring of three is one-way: each node hears only its left neighbour.
  std::mt19937_64 rng(11);
  const Grudge ring = MajoritiesRing(nodes, rng);
  ASSERT_EQ(ring.drops.size(), 3u);
  partitioner.Apply(ring);
  EXPECT_EQ(LostPairs(), ring.drops);

  const Grudge isolated = IsolateOne(nodes, "n2");
  partitioner.Apply(isolated);
  EXPECT_EQ(LostPairs(), isolated.drops);

  partitioner.Heal();
  EXPECT_EQ(LostPairs(), Pairs{});
}

TEST_F(NemesisNftPackets, OneWayCutStaysOneWayWithStaticNeighbours) {
  NftPartitioner partitioner(hub_, Ports());
  std::mt19937_64 rng(3);
  const Grudge one_way = RandomOneWay({"n1", "n2", "n3"}, rng);  // One node is not heard.
  ASSERT_EQ(one_way.drops.size(), 2u);
  partitioner.Apply(one_way);
  EXPECT_EQ(LostPairs(), one_way.drops);
}

TEST_F(NemesisNftPackets, TheKernelCountsTheDropsBetweenCutPairs) {
  NftPartitioner partitioner(hub_, Ports());
  LearnMacs();  // unicast only from here: one frame per datagram crosses the bridge
  const Grudge isolated = IsolateOne({"n1", "n2", "n3"}, "n2");
  partitioner.Apply(isolated);
  const PartitionCount installed = partitioner.ReadPartition();
  EXPECT_EQ(installed.pairs, isolated.drops);
  EXPECT_EQ(installed.dropped, 0u);

  EXPECT_EQ(LostPairs(), isolated.drops);  // 5 datagrams over each of the 6 ordered pairs
  const PartitionCount after = partitioner.ReadPartition();
  EXPECT_EQ(after.dropped, 4u * 5u);  // the 4 cut pairs' datagrams
  EXPECT_EQ(after.forwarded - installed.forwarded, 30u);

  // The counters run on under a new grudge (readers take differences); the
  // kernel's digest follows the set.
  const std::string digest = partitioner.KernelDigest();
  partitioner.Apply(IsolateOne({"n1", "n2", "n3"}, "n3"));
  EXPECT_EQ(partitioner.ReadPartition().dropped, after.dropped);
  EXPECT_NE(partitioner.KernelDigest(), digest);
  partitioner.Heal();
  EXPECT_TRUE(partitioner.ReadPartition().pairs.empty());
}

}  // namespace
}  // namespace schism::nemesis
