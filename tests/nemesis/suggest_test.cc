// Closest / DidYouMean: which typos get a suggestion, and which words do not.
#include "nemesis/suggest.h"

#include <gtest/gtest.h>

namespace schism::nemesis {
namespace {

const std::vector<std::string> kKillFields = {"target",     "node", "signal", "restart_after",
                                              "voter_wait", "t",    "f"};

TEST(NemesisSuggest, OneEditAwayIsSuggested) {
  EXPECT_EQ(Closest("restart_afer", kKillFields), "restart_after");    // a deletion
  EXPECT_EQ(Closest("targett", kKillFields), "target");                // an insertion
  EXPECT_EQ(Closest("signel", kKillFields), "signal");                 // a substitution
  EXPECT_EQ(Closest("groupign", {"grudge", "grouping"}), "grouping");  // a swap is one edit
  EXPECT_EQ(Closest("partiton", {"partition", "heal"}), "partition");
}

TEST(NemesisSuggest, CaseIsIgnored) {
  EXPECT_EQ(Closest("Kill", {"kill", "heal"}), "kill");
  EXPECT_EQ(Closest("FREEZ", {"stop", "freeze"}), "freeze");
}

TEST(NemesisSuggest, LongerWordsMayHaveMoreTypos) {
  // max(1, 13 / 3) = 4 edits for a 13-letter word; 1 for a short one.
  EXPECT_EQ(Closest("restrt_aftre", kKillFields), "restart_after");
  EXPECT_EQ(Closest("nde", kKillFields), "node");
  EXPECT_EQ(Closest("nd", kKillFields), std::nullopt);
}

TEST(NemesisSuggest, NothingCloseGivesNothing) {
  EXPECT_EQ(Closest("explode", {"partition", "heal", "kill"}), std::nullopt);
  EXPECT_EQ(Closest("x", {"t", "f"}), std::nullopt);  // every letter changed
  EXPECT_EQ(Closest("", {"t", "f"}), std::nullopt);
  EXPECT_EQ(Closest("kill", {}), std::nullopt);
  EXPECT_EQ(DidYouMean("explode", {"partition", "heal"}), "");
}

TEST(NemesisSuggest, TheClosestWinsAndTiesGoToTheFirst) {
  EXPECT_EQ(Closest("majorty", {"minority", "majority"}), "majority");
  EXPECT_EQ(Closest("pais", {"pair", "pairs"}), "pair");
  EXPECT_EQ(Closest("pais", {"pairs", "pair"}), "pairs");
}

TEST(NemesisSuggest, DidYouMeanIsAnErrorMessageTail) {
  EXPECT_EQ(DidYouMean("groupign", {"grudge", "grouping"}), "; did you mean \"grouping\"?");
}

}  // namespace
}  // namespace schism::nemesis
