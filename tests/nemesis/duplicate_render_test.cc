// The duplicator's nft table, rendered without nft (pure).
#include <gtest/gtest.h>

#include <stdexcept>
#include <string>

#include "nemesis/duplicate.h"

namespace schism::nemesis {
namespace {

const DuplicateNodes kNodes = {
    {"n1", {"vn1", "10.241.0.1"}}, {"n2", {"vn2", "10.241.0.2"}}, {"n3", {"vn3", "10.241.0.3"}}};

std::string ErrorOf(const DuplicateMap& pairs, const DuplicateNodes& nodes = kNodes) {
  try {
    RenderDuplicateRuleset(pairs, nodes);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(NemesisDuplicateRender, OneChainOnEveryPortsEgressAndOneRulePerPercent) {
  const DuplicateMap pairs = {{{"n3", "n2"}, 50}, {{"n1", "n2"}, 50}, {{"n2", "n1"}, 100}};
  EXPECT_EQ(
      RenderDuplicateRuleset(pairs, kNodes),
      "table netdev schism_dup {\n"
      "\tcounter dup_50_seen {\n\t}\n\n"
      "\tcounter dup_50_duplicated {\n\t}\n\n"
      "\tcounter dup_100_seen {\n\t}\n\n"
      "\tcounter dup_100_duplicated {\n\t}\n\n"
      "\tset dup_50 {\n\t\ttype ipv4_addr . ipv4_addr . ifname\n\t\tsize 2\n"
      "\t\telements = { 10.241.0.1 . 10.241.0.2 . \"vn2\", 10.241.0.3 . 10.241.0.2 . \"vn2\" }\n"
      "\t}\n\n"
      "\tset dup_100 {\n\t\ttype ipv4_addr . ipv4_addr . ifname\n\t\tsize 1\n"
      "\t\telements = { 10.241.0.2 . 10.241.0.1 . \"vn1\" }\n\t}\n\n"
      "\tchain copies {\n"
      "\t\ttype filter hook egress devices = { vn1, vn2, vn3 } priority filter; "
      "policy accept;\n"
      "\t\tmeta mark != 0x5c0d0000 ip saddr . ip daddr . oifname @dup_50 counter name "
      "\"dup_50_seen\" "
      "numgen random mod 100 < 50 counter name \"dup_50_duplicated\" "
      "meta mark set 0x5c0d0000 dup to oif\n"
      "\t\tmeta mark != 0x5c0d0000 ip saddr . ip daddr . oifname @dup_100 counter name "
      "\"dup_100_seen\" counter name \"dup_100_duplicated\" "
      "meta mark set 0x5c0d0000 dup to oif\n"
      "\t}\n"
      "}\n");
}

TEST(NemesisDuplicateRender, NothingToDuplicateIsAnEmptyTable) {
  EXPECT_EQ(RenderDuplicateRuleset({}, kNodes, "t"),
            "table netdev t {\n"
            "\tchain copies {\n"
            "\t\ttype filter hook egress devices = { vn1, vn2, vn3 } priority filter; "
            "policy accept;\n"
            "\t}\n"
            "}\n");
}

TEST(NemesisDuplicateRender, RejectsBadPairsNodesAndNames) {
  EXPECT_EQ(ErrorOf({{{"n1", "n2"}, 0}}), "duplicate n1->n2: 0% is outside 1..100");
  EXPECT_EQ(ErrorOf({{{"n1", "n2"}, 101}}), "duplicate n1->n2: 101% is outside 1..100");
  EXPECT_EQ(ErrorOf({{{"n1", "n9"}, 10}}),
            "duplicate n1->n9: unknown node \"n9\" (nodes: n1 n2 n3)");
  EXPECT_EQ(ErrorOf({{{"n2", "n2"}, 10}}), "duplicate n2->n2: a node cannot duplicate to itself");
  EXPECT_EQ(ErrorOf({}, {{"n1", {"vn1", "10.0.0"}}}),
            "duplicate: node n1's address \"10.0.0\" is not an IPv4 address");
  EXPECT_EQ(ErrorOf({}, {{"n1", {"vn\" drop", "10.0.0.1"}}}),
            "nft: bad bridge port name \"vn\" drop\"");
  EXPECT_THROW(RenderDuplicateRuleset({}, kNodes, "bad table"), std::invalid_argument);
}

}  // namespace
}  // namespace schism::nemesis
