// Packet-level check of duplication (root): numbered UDP datagrams across the
// hub's bridge, counted per number at the receiver and compared with the
// duplicator's nft counters.
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>

#include "nemesis/duplicate.h"
#include "nemesis/nft.h"
#include "tests/nemesis/bridge_fixture.h"

namespace schism::nemesis {
namespace {

// Sequence number -> how many times it arrived.
using Arrivals = std::map<std::uint32_t, int>;

class NemesisDuplicatePackets : public testing::BridgeTest {
 protected:
  static DuplicateNodes Nodes() {
    DuplicateNodes nodes;
    for (int i = 0; i < kNodes; ++i) nodes[Name(i)] = {"vn" + std::to_string(i + 1), Address(i)};
    return nodes;
  }

  // Receives what is queued at `dst` until `wait_ms` pass in silence, and
  // counts the datagrams from `src` per sequence number into `arrivals`.
  // Bounded: each poll waits at most `wait_ms`, and every round reads at least
  // one datagram, of which at most a few thousand are ever sent.
  void DrainCounting(int dst, int src, int wait_ms, Arrivals& arrivals) {
    for (int round = 0; round < 100000; ++round) {
      pollfd fd = {socket_[dst], POLLIN, 0};
      if (::poll(&fd, 1, wait_ms) <= 0) return;
      unsigned char payload[5];
      while (::recv(socket_[dst], payload, sizeof payload, 0) ==
             static_cast<ssize_t>(sizeof payload)) {
        if (payload[0] != src) continue;
        std::uint32_t seq = 0;
        std::memcpy(&seq, payload + 1, sizeof seq);
        ++arrivals[seq];
      }
    }
  }

  // Sends `count` datagrams numbered 1..count from `src` to `dst`, draining
  // the receiver every 100 so its buffer never overflows.
  Arrivals SendAndCount(int src, int dst, std::uint32_t count) {
    Arrivals arrivals;
    for (std::uint32_t seq = 1; seq <= count; ++seq) {
      Send(src, dst, seq);
      if (seq % 100 == 0) DrainCounting(dst, src, 5, arrivals);
    }
    DrainCounting(dst, src, 200, arrivals);
    return arrivals;
  }

  // Returns how many of 1..count arrived `times` times.
  static std::uint32_t Arrived(const Arrivals& arrivals, std::uint32_t count, int times) {
    std::uint32_t n = 0;
    for (std::uint32_t seq = 1; seq <= count; ++seq) {
      const auto it = arrivals.find(seq);
      n += (it == arrivals.end() ? 0 : it->second) == times ? 1 : 0;
    }
    return n;
  }
};

TEST_F(NemesisDuplicatePackets, EveryPacketOfThePairArrivesTwiceAndNoOtherPairs) {
  PacketDuplicator dup(hub_, Nodes());
  LearnMacs();
  dup.Set({{{"n1", "n2"}, 100}});

  constexpr std::uint32_t kSent = 200;
  const Arrivals to_n2 = SendAndCount(0, 1, kSent);
  EXPECT_EQ(Arrived(to_n2, kSent, 2), kSent) << "every datagram n1->n2 arrives exactly twice";
  EXPECT_EQ(to_n2.size(), kSent) << "and nothing else arrives";

  // The node outside the pair and the reverse direction get each datagram once.
  EXPECT_EQ(Arrived(SendAndCount(0, 2, kSent), kSent, 1), kSent);
  EXPECT_EQ(Arrived(SendAndCount(1, 0, kSent), kSent, 1), kSent);
  EXPECT_EQ(Arrived(SendAndCount(2, 1, kSent), kSent, 1), kSent);

  EXPECT_EQ(dup.ReadCounts(), (ShareCounts{{100, kSent, kSent, 1}}));
  // What the kernel lists is what was meant, written in nft's own syntax.
  EXPECT_EQ(testing::WithoutCounts(testing::NftIn(hub_, "list table netdev schism_dup")),
            dup.Ruleset());

  dup.Clear();
  EXPECT_TRUE(dup.ReadCounts().empty());
  EXPECT_EQ(Arrived(SendAndCount(0, 1, kSent), kSent, 1), kSent) << "Clear left duplication";
}

TEST_F(NemesisDuplicatePackets, HalfOfThePacketsWithinFourSigmaAndCountedExactly) {
  PacketDuplicator dup(hub_, Nodes());
  LearnMacs();
  dup.Set({{{"n1", "n2"}, 50}});

  constexpr std::uint32_t kSent = 2000;
  const Arrivals arrivals = SendAndCount(0, 1, kSent);
  const std::uint32_t once = Arrived(arrivals, kSent, 1);
  const std::uint32_t twice = Arrived(arrivals, kSent, 2);
  EXPECT_EQ(once + twice, kSent) << "a datagram was lost or arrived more than twice";

  ASSERT_EQ(dup.ReadCounts().size(), 1u);
  const ShareCount count = dup.ReadCounts()[0];
  std::printf("duplicate n1->n2 at 50%%: %u of %u sent twice; counters seen %llu duplicated %llu\n",
              twice, kSent, static_cast<unsigned long long>(count.seen),
              static_cast<unsigned long long>(count.hit));
  RecordProperty("duplicated", std::to_string(count.hit));
  EXPECT_EQ(count.seen, kSent);
  EXPECT_EQ(count.hit, twice) << "the counter and the receiver disagree";
  const double mean = kSent * 0.5;
  const double sigma = std::sqrt(kSent * 0.5 * 0.5);  // binomial(2000, 0.5): 22.4
  EXPECT_LE(std::abs(static_cast<double>(count.hit) - mean), 4 * sigma);
}

// A copy is made after the bridge forwarded the original, so partitions and
// loss (the bridge's forward hook) still decide what arrives at all.
TEST_F(NemesisDuplicatePackets, ACutPairDeliversNoCopies) {
  NftPartitioner nft(hub_, Ports());
  PacketDuplicator dup(hub_, Nodes());
  LearnMacs();
  dup.Set({{{"n1", "n2"}, 100}, {{"n3", "n2"}, 100}});
  Grudge grudge;
  grudge.Drop("n1", "n2");
  nft.Apply(grudge);
  nft.SetLoss({{{"n3", "n2"}, 100}});

  EXPECT_TRUE(SendAndCount(0, 1, 100).empty());
  EXPECT_TRUE(SendAndCount(2, 1, 100).empty());
  EXPECT_EQ(dup.ReadCounts(), (ShareCounts{{100, 0, 0, 2}}));
}

TEST_F(NemesisDuplicatePackets, TheTableIsGoneWithTheDuplicator) {
  {
    PacketDuplicator dup(hub_, Nodes());
    dup.Set({{{"n1", "n2"}, 30}});
    EXPECT_NE(testing::NftIn(hub_, "list tables").find("table netdev schism_dup"),
              std::string::npos);
  }
  EXPECT_EQ(testing::NftIn(hub_, "list tables"), "");
}

}  // namespace
}  // namespace schism::nemesis
