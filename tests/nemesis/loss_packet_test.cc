// Packet-level check of random loss (root): real UDP datagrams across the
// hub's bridge, measured at the receiver and compared with nft's counters.
#include <gtest/gtest.h>

#include <cstdio>

#include "nemesis/nft.h"
#include "nemesis/run_in_netns.h"
#include "tests/nemesis/bridge_fixture.h"

namespace schism::nemesis {
namespace {

class NemesisLossPackets : public testing::BridgeTest {
 protected:
  // Sends `count` datagrams from `src` to `dst` in batches, draining the
  // receiver as it goes so its buffer never overflows; returns how many arrived.
  std::size_t SendAndCount(int src, int dst, std::uint32_t count) {
    std::set<std::uint32_t> got;
    for (std::uint32_t seq = 0; seq < count; ++seq) {
      Send(src, dst, seq);
      if (seq % 100 == 99) got.merge(Drain(dst, src, 5));
    }
    got.merge(Drain(dst, src, 200));
    return got.size();
  }
};

TEST_F(NemesisLossPackets, ThirtyPercentOfOnePairIsDroppedAndCounted) {
  NftPartitioner nft(hub_, Ports());
  LearnMacs();  // Else n1's datagrams to a not-yet-learnt n3 are flooded to n2's port too.
  nft.SetLoss({{{"n1", "n2"}, 30}});

  constexpr std::uint32_t kSent = 2000;
  const std::size_t received = SendAndCount(0, 1, kSent);
  const double measured = 100.0 * static_cast<double>(kSent - received) / kSent;
  std::printf("loss n1->n2: asked 30%%, measured %.2f%% (%zu of %u arrived)\n", measured, received,
              kSent);
  RecordProperty("measured_loss_percent", std::to_string(measured));
  EXPECT_NEAR(measured, 30.0, 5.0);

  // Other pairs, including the reverse direction, lose nothing.
  EXPECT_EQ(SendAndCount(1, 0, 300), 300u);
  EXPECT_EQ(SendAndCount(0, 2, 300), 300u);
  EXPECT_EQ(SendAndCount(2, 1, 300), 300u);

  // The counters agree with the receiver: every datagram was seen once, and
  // exactly those that did not arrive were dropped.
  const ShareCounts counts = nft.ReadLoss();
  ASSERT_EQ(counts.size(), 1u);
  const ShareCount& c = counts[0];
  EXPECT_EQ(c.percent, 30);
  EXPECT_EQ(c.pairs, 1u);
  EXPECT_EQ(c.seen, kSent);
  EXPECT_EQ(c.seen - c.hit, received);

  nft.ClearLoss();
  EXPECT_TRUE(nft.ReadLoss().empty());
  EXPECT_EQ(SendAndCount(0, 1, 500), 500u) << "ClearLoss left loss behind";
}

// The counters are read over netlink; one the kernel no longer has is named.
TEST_F(NemesisLossPackets, ReadingBackACounterTheKernelLostFailsNamingIt) {
  NftPartitioner nft(hub_, Ports());
  nft.SetLoss({{{"n1", "n2"}, 30}, {{"n2", "n3"}, 30}});
  const ToolResult r = RunInNetns(hub_, {"nft",
                                         "flush chain bridge schism loss\n"
                                         "delete counter bridge schism loss_30_dropped"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  try {
    nft.ReadLoss();
    FAIL() << "ReadLoss did not see the missing counter";
  } catch (const NftError& e) {
    EXPECT_STREQ(
        e.what(),
        "nft: cannot read counter bridge schism loss_30_dropped: No such file or directory");
  }
}

// A batch the kernel refuses changes nothing: here the chain its rules go in
// is gone, so the first message fails and the old loss's set and counters stay.
TEST_F(NemesisLossPackets, ARefusedChangeLeavesTheOldLossInPlace) {
  NftPartitioner nft(hub_, Ports());
  nft.SetLoss({{{"n1", "n2"}, 30}});
  const ToolResult r = RunInNetns(hub_, {"nft", "delete chain bridge schism loss"});
  ASSERT_EQ(r.exit_code, 0) << r.output;
  try {
    nft.SetLoss({{{"n2", "n3"}, 50}});
    FAIL() << "SetLoss did not see the kernel refuse it";
  } catch (const NftError& e) {
    EXPECT_STREQ(e.what(), "nft: cannot replace the loss rules of bridge schism: No such file or "
                           "directory");
  }
  const std::string table = testing::NftIn(hub_, "list table bridge schism");
  EXPECT_NE(table.find("set loss_30"), std::string::npos) << table;
  EXPECT_NE(table.find("counter loss_30_dropped"), std::string::npos) << table;
  EXPECT_EQ(table.find("loss_50"), std::string::npos) << table;
  EXPECT_EQ(nft.Loss(), (LossMap{{{"n1", "n2"}, 30}}));
}

TEST_F(NemesisLossPackets, PartitionDropsBeforeLossCounts) {
  NftPartitioner nft(hub_, Ports());
  LearnMacs();
  nft.SetLoss({{{"n1", "n2"}, 100}, {{"n3", "n2"}, 50}});
  nft.Apply(IsolateOne({"n1", "n2", "n3"}, "n3"));
  EXPECT_EQ(SendAndCount(0, 1, 100), 0u);
  EXPECT_EQ(SendAndCount(2, 1, 100), 0u);
  // n3's packets died in the partition chain and never reached the loss chain.
  EXPECT_EQ(nft.ReadLoss(), (ShareCounts{{50, 0, 0, 1}, {100, 100, 100, 1}}));

  // Healing the partition keeps the loss; replacing the loss resets counters.
  nft.Heal();
  nft.SetLoss({{{"n3", "n2"}, 0}});
  EXPECT_EQ(SendAndCount(0, 1, 100), 100u);
  EXPECT_EQ(SendAndCount(2, 1, 100), 100u);
  EXPECT_EQ(nft.ReadLoss(), (ShareCounts{{0, 100, 0, 1}}));
}

}  // namespace
}  // namespace schism::nemesis
