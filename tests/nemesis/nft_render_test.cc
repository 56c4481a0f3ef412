#include <gtest/gtest.h>

#include <stdexcept>

#include "nemesis/nft.h"

namespace schism::nemesis {
namespace {

const PortMap kPorts = {{"n1", "vn1"}, {"n2", "vn2"}, {"n3", "vn3"}};

TEST(NemesisNftRender, RulesetHoldsTheGrudgesPortPairs) {
  Grudge g = Complete({{"n1", "n2"}, {"n3"}});
  g.Drop("n1", "n2");  // One way only.
  EXPECT_EQ(RenderRuleset(g, kPorts),
            "table bridge schism {\n"
            "\tcounter cut {\n"
            "\t}\n"
            "\n"
            "\tcounter forwarded {\n"
            "\t}\n"
            "\n"
            "\tset drop_pairs {\n"
            "\t\ttype ifname . ifname\n"
            "\t\tsize 6\n"  // every directed pair of 3 nodes
            "\t\telements = { \"vn1\" . \"vn2\", \"vn1\" . \"vn3\", \"vn2\" . \"vn3\", "
            "\"vn3\" . \"vn1\", \"vn3\" . \"vn2\" }\n"
            "\t}\n"
            "\n"
            "\tchain forward {\n"
            "\t\ttype filter hook forward priority 0; policy accept;\n"
            "\t\tcounter name \"forwarded\"\n"
            "\t\tiifname . oifname @drop_pairs counter name \"cut\" drop\n"
            "\t}\n"
            "\n"
            "\tchain loss {\n"
            "\t\ttype filter hook forward priority 10; policy accept;\n"
            "\t}\n"
            "}\n");
}

TEST(NemesisNftRender, LossIsOneRulePerPercentOverSetsOfPairs) {
  const LossMap loss = {{{"n2", "n1"}, 100}, {{"n1", "n2"}, 30}, {{"n3", "n2"}, 30}, {{"n1", "n3"}, 0}};
  EXPECT_EQ(RenderRuleset(Grudge{}, loss, kPorts),
            "table bridge schism {\n"
            "\tcounter cut {\n\t}\n\n"
            "\tcounter forwarded {\n\t}\n\n"
            "\tcounter loss_0_seen {\n\t}\n\n"  // nothing dropped at 0 %: nothing to count
            "\tcounter loss_30_seen {\n\t}\n\n"
            "\tcounter loss_30_dropped {\n\t}\n\n"
            "\tcounter loss_100_seen {\n\t}\n\n"
            "\tcounter loss_100_dropped {\n\t}\n\n"
            "\tset drop_pairs {\n\t\ttype ifname . ifname\n\t\tsize 6\n\t}\n\n"
            "\tset loss_0 {\n\t\ttype ifname . ifname\n\t\tsize 1\n"
            "\t\telements = { \"vn1\" . \"vn3\" }\n\t}\n\n"
            "\tset loss_30 {\n\t\ttype ifname . ifname\n\t\tsize 2\n"
            "\t\telements = { \"vn1\" . \"vn2\", \"vn3\" . \"vn2\" }\n\t}\n\n"
            "\tset loss_100 {\n\t\ttype ifname . ifname\n\t\tsize 1\n"
            "\t\telements = { \"vn2\" . \"vn1\" }\n\t}\n\n"
            "\tchain forward {\n"
            "\t\ttype filter hook forward priority 0; policy accept;\n"
            "\t\tcounter name \"forwarded\"\n"
            "\t\tiifname . oifname @drop_pairs counter name \"cut\" drop\n"
            "\t}\n\n"
            "\tchain loss {\n"
            "\t\ttype filter hook forward priority 10; policy accept;\n"
            "\t\tiifname . oifname @loss_0 counter name \"loss_0_seen\"\n"
            "\t\tiifname . oifname @loss_30 counter name \"loss_30_seen\" "
            "numgen random mod 100 < 30 counter name \"loss_30_dropped\" drop\n"
            "\t\tiifname . oifname @loss_100 counter name \"loss_100_seen\" "
            "counter name \"loss_100_dropped\" drop\n"  // every packet: no numgen
            "\t}\n"
            "}\n");
  try {
    RenderRuleset(Grudge{}, {{{"n1", "n2"}, 150}}, kPorts);
    FAIL() << "expected invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "loss 150% is outside 0..100");
  }
  EXPECT_THROW(RenderRuleset(Grudge{}, {{{"n1", "n9"}, 10}}, kPorts), std::invalid_argument);
}

TEST(NemesisNftRender, HealedRulesetHasAnEmptySet) {
  const std::string text = RenderRuleset(Grudge{}, kPorts);
  EXPECT_EQ(text.find("elements"), std::string::npos);
  EXPECT_NE(text.find("iifname . oifname @drop_pairs"), std::string::npos);
}

TEST(NemesisNftRender, ApplyIsOneFlushAndOneAdd) {
  EXPECT_EQ(RenderApplyCommands(IsolateOne({"n1", "n2"}, "n1"), kPorts, "t"),
            "flush set bridge t drop_pairs\n"
            "add element bridge t drop_pairs { \"vn1\" . \"vn2\", \"vn2\" . \"vn1\" }\n");
  EXPECT_EQ(RenderApplyCommands(Grudge{}, kPorts), "flush set bridge schism drop_pairs\n");
}

TEST(NemesisNftRender, RejectsUnknownNodesAndUnsafePortNames) {
  EXPECT_THROW(RenderRuleset(IsolateOne({"n1", "n9"}, "n9"), kPorts), std::invalid_argument);
  EXPECT_THROW(RenderRuleset(Grudge{}, {{"n1", "vn\" drop"}}), std::invalid_argument);
  EXPECT_THROW(RenderRuleset(Grudge{}, {{"n1", "a-name-longer-than-15"}}), std::invalid_argument);
}

TEST(NemesisNftRender, DigestIsFnv1a64) {
  EXPECT_EQ(Fnv1aHex(""), "cbf29ce484222325");
  EXPECT_EQ(Fnv1aHex("a"), "af63dc4c8601ec8c");
  EXPECT_NE(Fnv1aHex(RenderRuleset(Grudge{}, kPorts)),
            Fnv1aHex(RenderRuleset(IsolateOne({"n1", "n2"}, "n1"), kPorts)));
}

}  // namespace
}  // namespace schism::nemesis
