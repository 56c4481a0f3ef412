// NftPartitioner against a real kernel, inside private namespaces (root).
#include "nemesis/nft.h"
#include "nemesis/nft_netlink.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <set>
#include <utility>

#include "nemesis/netns_guard.h"
#include "tests/nemesis/netns_fixture.h"

namespace schism::nemesis {
namespace {

using testing::NewNetnsFd;
using testing::NftIn;
using testing::WithoutCounts;
using Pairs = std::set<std::pair<std::string, std::string>>;

const std::vector<std::string> kNodes = {"n1", "n2", "n3", "n4", "n5"};

PortMap Ports() {
  PortMap ports;
  for (const auto& node : kNodes) ports[node] = "v" + node;
  return ports;
}

// The (input port, output port) pairs in the hub's set, read back with `nft -j`.
Pairs SetElements(int hub_fd) {
  const auto json = nlohmann::json::parse(NftIn(hub_fd, "list set bridge schism drop_pairs", true));
  Pairs pairs;
  for (const auto& item : json["nftables"]) {
    if (!item.contains("set")) continue;
    for (const auto& entry : item["set"].value("elem", nlohmann::json::array())) {
      // {"concat":[a,b]}; an element with a counter would be {"elem":{"val":{"concat":...}}}.
      const auto& concat = entry.contains("elem") ? entry["elem"]["val"]["concat"] : entry["concat"];
      pairs.emplace(concat[0].get<std::string>(), concat[1].get<std::string>());
    }
  }
  return pairs;
}

Pairs PortPairs(const Grudge& grudge) {
  Pairs pairs;
  for (const auto& [src, dst] : grudge.drops) pairs.emplace("v" + src, "v" + dst);
  return pairs;
}

class NemesisNft : public testing::PrivateNetnsTest {};

// A read the kernel refuses throws, naming what it asked for, and the reads
// after it on the same socket still get their own answers.
TEST_F(NemesisNft, ARefusedNetlinkReadDoesNotSpoilTheNext) {
  const int hub = NewNetnsFd();
  {
    NftPartitioner partitioner(hub, Ports());
    std::mt19937_64 rng(5);
    const Grudge halves = Halves(kNodes, rng);
    partitioner.Apply(halves);
    NftNetlink netlink(hub, "schism");
    for (int round = 0; round < 3; ++round) {
      EXPECT_THROW(netlink.PortPairs("no_such_set"), NftError);
      EXPECT_THROW(netlink.CounterPackets("no_such_counter"), NftError);
      Pairs read;
      for (const CountedPortPair& p : netlink.PortPairs("drop_pairs")) {
        read.emplace(p.in_port, p.out_port);
      }
      EXPECT_EQ(read, PortPairs(halves)) << "round " << round;
      EXPECT_EQ(netlink.CounterPackets("cut"), 0u) << "round " << round;
    }
  }
  ::close(hub);
}

TEST_F(NemesisNft, ApplyAndHealReplaceTheSetInTheHubOnly) {
  const int hub = NewNetnsFd();
  {
    NftPartitioner partitioner(hub, Ports());
    EXPECT_TRUE(SetElements(hub).empty());
    const std::string healed_digest = partitioner.Digest();

    std::mt19937_64 rng(5);
    const Grudge halves = Halves(kNodes, rng);
    partitioner.Apply(halves);
    EXPECT_EQ(SetElements(hub), PortPairs(halves));
    EXPECT_EQ(partitioner.Ruleset(), RenderRuleset(halves, Ports()));
    EXPECT_NE(partitioner.Digest(), healed_digest);

    const Grudge ring = MajoritiesRing(kNodes, rng);
    partitioner.Apply(ring);
    EXPECT_EQ(SetElements(hub), PortPairs(ring));

    partitioner.Heal();
    EXPECT_TRUE(SetElements(hub).empty());
    EXPECT_EQ(partitioner.Digest(), healed_digest);

    // The calling thread's own namespace never gets a table.
    EXPECT_EQ(NftIn(private_fd(), "list tables"), "");
    EXPECT_NE(NftIn(hub, "list tables").find("table bridge schism"), std::string::npos);
  }
  EXPECT_EQ(NftIn(hub, "list tables"), "") << "the destructor leaves the table behind";
  ::close(hub);
}

TEST_F(NemesisNft, ChainDropsOnTheBridgeForwardHook) {
  const int hub = NewNetnsFd();
  NftPartitioner partitioner(hub, Ports());
  const auto json = nlohmann::json::parse(NftIn(hub, "list chain bridge schism forward", true));
  bool found = false;
  for (const auto& item : json["nftables"]) {
    if (!item.contains("chain")) continue;
    EXPECT_EQ(item["chain"]["hook"], "forward");
    EXPECT_EQ(item["chain"]["type"], "filter");
    found = true;
  }
  EXPECT_TRUE(found);
  ::close(hub);
}

TEST_F(NemesisNft, ReplacesAStaleTable) {
  const int hub = NewNetnsFd();
  NftIn(hub, "add table bridge schism\nadd chain bridge schism leftover");
  {
    NftPartitioner partitioner(hub, Ports());
    EXPECT_EQ(NftIn(hub, "list table bridge schism").find("leftover"), std::string::npos);
  }
  ::close(hub);
}

TEST_F(NemesisNft, ErrorsCarryNftsTextAndTheCommands) {
  const int hub = NewNetnsFd();
  NftPartitioner partitioner(hub, Ports());
  try {
    partitioner.Run("list table bridge nosuchtable");
    FAIL() << "expected NftError";
  } catch (const NftError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("No such file or directory"), std::string::npos) << what;
    EXPECT_NE(what.find("list table bridge nosuchtable"), std::string::npos) << what;
  }
  EXPECT_THROW(partitioner.Apply(IsolateOne({"n1", "n9"}, "n9")), std::invalid_argument);
  // A failed Apply leaves the previous grudge in force.
  EXPECT_TRUE(SetElements(hub).empty());
  ::close(hub);
}

TEST_F(NemesisNft, WorksFromAnotherThreadsNamespace) {
  // Constructed in one namespace, used while the thread sits in another: the
  // table still lands in the hub.
  const int hub = NewNetnsFd();
  const int elsewhere = NewNetnsFd();
  NftPartitioner partitioner(hub, Ports());
  {
    ScopedNetns away(elsewhere);
    partitioner.Apply(IsolateOne(kNodes, "n1"));
  }
  EXPECT_EQ(SetElements(hub).size(), 8u);
  EXPECT_EQ(NftIn(elsewhere, "list tables"), "");
  ::close(elsewhere);
  ::close(hub);
}

TEST_F(NemesisNft, SetLossReplacesRulesSetsAndCountersInOneBatch) {
  const int hub = NewNetnsFd();
  NftPartitioner nft(hub, Ports());
  const std::string healed = nft.Digest();
  const auto listed = [&] { return WithoutCounts(NftIn(hub, "list table bridge schism")); };
  nft.SetLoss({{{"n1", "n2"}, 30}, {{"n3", "n2"}, 100}});
  // What the kernel lists is what was meant, written in nft's own syntax.
  EXPECT_EQ(listed(), nft.Ruleset());
  EXPECT_NE(nft.Digest(), healed);
  EXPECT_EQ(nft.ReadLoss(), (ShareCounts{{30, 0, 0, 1}, {100, 0, 0, 1}}));

  // A bad percent or node is refused before nft runs; the old loss stays.
  EXPECT_THROW(nft.SetLoss({{{"n1", "n2"}, 150}}), std::invalid_argument);
  EXPECT_THROW(nft.SetLoss({{{"n1", "n9"}, 10}}), std::invalid_argument);
  EXPECT_EQ(nft.ReadLoss().size(), 2u);

  // Replacing leaves only the new percents' sets, counters and rules behind;
  // a percent that stays holds the new pairs only.
  nft.SetLoss({{{"n4", "n5"}, 30}, {{"n1", "n3"}, 0}});
  EXPECT_EQ(nft.ReadLoss(), (ShareCounts{{0, 0, 0, 1}, {30, 0, 0, 1}}));
  const std::string table = listed();
  EXPECT_EQ(table.find("loss_100"), std::string::npos) << table;
  EXPECT_EQ(table.find("\"vn1\" . \"vn2\""), std::string::npos) << table;
  EXPECT_EQ(table, nft.Ruleset());

  nft.ClearLoss();
  EXPECT_TRUE(nft.ReadLoss().empty());
  const std::string cleared = listed();
  EXPECT_EQ(cleared.find("loss_"), std::string::npos) << cleared;
  EXPECT_EQ(nft.Digest(), healed);
  EXPECT_EQ(cleared, nft.Ruleset());
  ::close(hub);
}

}  // namespace
}  // namespace schism::nemesis
