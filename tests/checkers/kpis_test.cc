// The kpis checker: election times, leaderless time, leader changes, split brain.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "check_history.h"
#include "checkers/samples.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

// n1 leads from 1.2 s, is killed at 5; n2 is followed by a majority at 5.8 and
// is cut off by a partition at 10; n3 is followed by a majority at 10.7, and
// the cut-off n2 steps down at 11 (a 0.5 s split-brain window).
const std::string kTwoElections = R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"]}
{"i":1,"t":1.0,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":1.2,"type":"role","node":"n3","role":"follower","term":1,"leader":"n1"}
{"i":4,"t":5.0,"type":"process","f":"kill","node":"n1","signal":9}
{"i":5,"t":5.5,"type":"role","node":"n2","role":"leader","term":2}
{"i":6,"t":5.6,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
{"i":7,"t":5.8,"type":"role","node":"n4","role":"follower","term":2,"leader":"n2"}
{"i":8,"t":10.0,"type":"nemesis","f":"partition","phase":"start","components":[["n2"],["n1","n3","n4","n5"]]}
{"i":9,"t":10.5,"type":"role","node":"n3","role":"leader","term":3}
{"i":10,"t":10.6,"type":"role","node":"n4","role":"follower","term":3,"leader":"n3"}
{"i":11,"t":10.7,"type":"role","node":"n5","role":"follower","term":3,"leader":"n3"}
{"i":12,"t":11.0,"type":"role","node":"n2","role":"follower","term":3}
{"i":13,"t":12.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":14,"t":20.0,"type":"run","f":"end"}
)";

TEST(Kpis, Figures) {
  Verdict v = CheckHistory("kpis", kTwoElections);
  ASSERT_EQ(v.valid, Validity::kValid) << v.reason;
  const nlohmann::json& d = v.details;
  EXPECT_NEAR(d["first_leader_s"].get<double>(), 1.2, 1e-9);
  EXPECT_EQ(d["elections"], 2);
  EXPECT_NEAR(d["election_s"]["p50"].get<double>(), 0.7, 1e-9);
  EXPECT_NEAR(d["election_s"]["p95"].get<double>(), 0.8, 1e-9);
  EXPECT_NEAR(d["election_s"]["max"].get<double>(), 0.8, 1e-9);
  EXPECT_NEAR(d["leaderless_s"].get<double>(), 2.7, 1e-9);
  EXPECT_NEAR(d["leaderless_pct"].get<double>(), 13.5, 1e-9);
  EXPECT_EQ(d["leader_changes"], 2);
  EXPECT_NEAR(d["leader_changes_per_min"].get<double>(), 6.0, 1e-9);
  EXPECT_EQ(d["losses"]["killed"], 1);
  EXPECT_EQ(d["losses"]["isolated"], 1);
  EXPECT_EQ(d["failover_s"]["killed"]["count"], 1);
  EXPECT_NEAR(d["failover_s"]["killed"]["max"].get<double>(), 0.8, 1e-9);
  EXPECT_NEAR(d["failover_s"]["isolated"]["max"].get<double>(), 0.7, 1e-9);
  EXPECT_FALSE(d["failover_s"].contains("paused"));
  EXPECT_EQ(d["split_brain"]["count"], 1);
  EXPECT_NEAR(d["split_brain"]["total_s"].get<double>(), 0.5, 1e-9);
  EXPECT_THAT(v.reason, HasSubstr("2 election(s), p50 0.700 s p95 0.800 s max 0.800 s"));
  EXPECT_THAT(v.reason, HasSubstr("leaderless 2.700 s (13.5%)"));
  EXPECT_THAT(v.reason, HasSubstr("1 split-brain window(s) (0.500 s)"));
}

// A double vote: n1 and n2 both lead term 2, and n3 wavers between them.
// Each waver moves the majority, but no new term is elected: one election
// (term 1 -> term 2), one leader change, and the gaps count as leaderless.
TEST(Kpis, FollowersWaveringBetweenTwoLeadersOfOneTermAreNoElections) {
  const std::string history = R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"]}
{"i":1,"t":1.0,"type":"role","node":"n5","role":"leader","term":1}
{"i":2,"t":1.1,"type":"role","node":"n4","role":"follower","term":1,"leader":"n5"}
{"i":3,"t":1.2,"type":"role","node":"n3","role":"follower","term":1,"leader":"n5"}
{"i":4,"t":2.0,"type":"process","f":"kill","node":"n5","signal":9}
{"i":5,"t":2.3,"type":"role","node":"n1","role":"leader","term":2}
{"i":6,"t":2.3,"type":"role","node":"n2","role":"leader","term":2}
{"i":7,"t":2.4,"type":"role","node":"n4","role":"follower","term":2,"leader":"n1"}
{"i":8,"t":2.5,"type":"role","node":"n3","role":"follower","term":2,"leader":"n1"}
{"i":9,"t":2.6,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
{"i":10,"t":2.7,"type":"role","node":"n3","role":"follower","term":2,"leader":"n1"}
{"i":11,"t":2.8,"type":"role","node":"n4","role":"follower","term":2,"leader":"n2"}
{"i":12,"t":2.8,"type":"role","node":"n3","role":"follower","term":2,"leader":"n2"}
{"i":13,"t":10.0,"type":"run","f":"end"}
)";
  Verdict v = CheckHistory("kpis", history);
  ASSERT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.details["elections"], 1) << v.details.dump();
  EXPECT_EQ(v.details["leader_changes"], 1) << v.details.dump();
  EXPECT_EQ(v.details["losses"]["lost_followers"], 2) << v.details.dump();
}

TEST(Kpis, LeaderlessUntilTheEnd) {
  const std::string history = R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":1.0,"type":"role","node":"n1","role":"candidate","term":1}
{"i":2,"t":4.0,"type":"run","f":"end"}
)";
  Verdict v = CheckHistory("kpis", history);
  EXPECT_EQ(v.valid, Validity::kValid);
  EXPECT_TRUE(v.details["first_leader_s"].is_null());
  EXPECT_NEAR(v.details["leaderless_pct"].get<double>(), 100.0, 1e-9);
  EXPECT_EQ(v.details["elections"], 0);
}

TEST(Kpis, EmptyHistoryIsUnknown) { EXPECT_EQ(CheckHistory("kpis", "").valid, Validity::kUnknown); }

TEST(Samples, PercentilesAndBoundedMemory) {
  Samples s;
  for (int k = 1; k <= 100; ++k) s.Add(k);
  EXPECT_EQ(s.Percentile(0.5), 50);
  EXPECT_EQ(s.Percentile(0.95), 95);
  EXPECT_EQ(s.max(), 100);
  EXPECT_TRUE(s.exact());
  for (int k = 0; k < 100000; ++k) s.Add(1.0);
  EXPECT_FALSE(s.exact());
  EXPECT_EQ(s.count(), 100100u);
  EXPECT_EQ(s.max(), 100);
  EXPECT_EQ(s.Percentile(0.5), 1.0);  // Nearly every sample is 1.
}

}  // namespace
}  // namespace schism::checkers
