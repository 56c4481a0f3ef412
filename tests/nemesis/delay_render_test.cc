// The pure parts of the delay and bandwidth mechanisms: the iptables-restore
// scripts, the checks of what is asked, and the tc command.
#include <gtest/gtest.h>

#include <cmath>

#include "nemesis/bandwidth.h"
#include "nemesis/delay.h"

namespace schism::nemesis {
namespace {

TEST(NemesisDelayRules, FirstSetCreatesTheChainAndTheJump) {
  EXPECT_EQ(RenderDelayRules({"10.9.0.3", "10.9.0.1", "10.9.0.3"}, false),
            "*filter\n"
            ":SCHISM-DELAY - [0:0]\n"
            "-I INPUT 1 -j SCHISM-DELAY\n"
            "-A SCHISM-DELAY -s 10.9.0.1/32 -j NFQUEUE --queue-num 7301 --queue-bypass\n"
            "-A SCHISM-DELAY -s 10.9.0.3/32 -j NFQUEUE --queue-num 7301 --queue-bypass\n"
            "COMMIT\n");
}

TEST(NemesisDelayRules, LaterSetsOnlyRefillTheChain) {
  EXPECT_EQ(RenderDelayRules({"10.9.0.2"}, true, 12),
            "*filter\n"
            ":SCHISM-DELAY - [0:0]\n"
            "-A SCHISM-DELAY -s 10.9.0.2/32 -j NFQUEUE --queue-num 12 --queue-bypass\n"
            "COMMIT\n");
}

TEST(NemesisDelayRules, NoSendersRemovesWhatIsThere) {
  EXPECT_EQ(RenderDelayRules({}, true),
            "*filter\n-D INPUT -j SCHISM-DELAY\n-F SCHISM-DELAY\n-X SCHISM-DELAY\nCOMMIT\n");
  EXPECT_EQ(RenderDelayRules({}, false), "");
}

TEST(NemesisDelayRules, RefusesWhatIsNotAnAddress) {
  EXPECT_THROW(RenderDelayRules({"10.9.0.1 -j DROP"}, false), std::invalid_argument);
}

TEST(NemesisDelayRules, ChecksEveryPair) {
  const std::vector<DelayNode> nodes = {{"n1", 3, "10.0.0.1"}, {"n2", 4, "10.0.0.2"}};
  EXPECT_NO_THROW(CheckPairDelays({{"n1", "n2", 0, 0}, {"n2", "n1", 100, 100}}, nodes));
  EXPECT_NO_THROW(CheckPairDelays({}, nodes));
  auto message = [&](const PairDelay& pair) -> std::string {
    try {
      CheckPairDelays({pair}, nodes);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_EQ(message({"x", "n2", 1, 0}), "delay x->n2: unknown node \"x\" (nodes: n1 n2)");
  EXPECT_EQ(message({"n1", "n2", -0.5, 0}), "delay n1->n2: delay -0.5 ms is negative");
  EXPECT_EQ(message({"n1", "n2", 1, -2}), "delay n1->n2: jitter -2 ms is negative");
  EXPECT_EQ(message({"n1", "n2", INFINITY, 0}),
            "delay n1->n2: delay and jitter must be finite numbers of ms");
  EXPECT_EQ(message({"n1", "n1", 1, 0}), "delay n1->n1: a node cannot delay itself");
}

TEST(NemesisBandwidthCommand, BurstHoldsTwoFramesOrTenMilliseconds) {
  EXPECT_EQ(TbfCommand("vn2", 1000),
            (std::vector<std::string>{"tc", "qdisc", "replace", "dev", "vn2", "root", "tbf", "rate",
                                      "1000kbit", "burst", "4096", "latency", "50ms"}));
  EXPECT_EQ(TbfCommand("eth0", 100'000)[10], "125000");  // 10 ms at 100 Mbit/s
}

TEST(NemesisBandwidthCommand, RefusesRatesOutOfRange) {
  EXPECT_THROW(TbfCommand("eth0", 0), std::invalid_argument);
  EXPECT_THROW(TbfCommand("eth0", kMinKbit - 1), std::invalid_argument);
  EXPECT_THROW(TbfCommand("eth0", kMaxKbit + 1), std::invalid_argument);
  EXPECT_NO_THROW(TbfCommand("eth0", kMaxKbit));
}

}  // namespace
}  // namespace schism::nemesis
