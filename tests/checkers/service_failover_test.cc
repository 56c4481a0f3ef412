// The service-failover checker: how long the clients of a service named a
// primary that was gone.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "check_history.h"

namespace schism::checkers {
namespace {

using ::testing::HasSubstr;

// Three sentinels (the electors) over redis1..3. All name redis1 by 0.5 s.
// redis1 is killed at 5 and n1, n2 name redis2 at 8.2 (a majority: one
// failover of 3.2 s). At 10 a partition cuts redis2 from n1 and n2, and heals
// at 11 before anyone moved; at 20 redis2 is paused, resumed at 20.5, and a
// majority names redis3 at 23.5 (3.5 s from the pause, 3 s after the resume:
// the failover under way completes). At 30 redis3 is cut off and nobody moves before the stop.
const std::string kFailovers = R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"],"service":{"server":"redis","members":["redis1","redis2","redis3"]}}
{"i":1,"t":0.3,"type":"role","node":"n1","role":"follower","term":0,"primary":"redis1"}
{"i":2,"t":0.5,"type":"role","node":"n2","role":"follower","term":0,"primary":"redis1"}
{"i":3,"t":0.6,"type":"role","node":"n3","role":"follower","term":0,"primary":"redis1"}
{"i":4,"t":5.0,"type":"process","f":"kill","node":"redis1","signal":9}
{"i":5,"t":7.0,"type":"role","node":"n1","role":"leader","term":1,"leader":"n1","primary":"redis1"}
{"i":6,"t":8.0,"type":"role","node":"n1","role":"follower","term":1,"primary":"redis2"}
{"i":7,"t":8.2,"type":"role","node":"n2","role":"follower","term":1,"primary":"redis2"}
{"i":8,"t":8.3,"type":"role","node":"n3","role":"follower","term":1,"primary":"redis2"}
{"i":9,"t":10.0,"type":"nemesis","f":"partition","phase":"start","components":[["redis2","n3"],["n1","n2","redis1","redis3"]]}
{"i":10,"t":11.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":11,"t":20.0,"type":"process","f":"pause","node":"redis2"}
{"i":12,"t":20.5,"type":"process","f":"resume","node":"redis2"}
{"i":13,"t":23.0,"type":"role","node":"n2","role":"follower","term":2,"primary":"redis3"}
{"i":14,"t":23.5,"type":"role","node":"n3","role":"follower","term":2,"primary":"redis3"}
{"i":15,"t":30.0,"type":"nemesis","f":"partition","phase":"start","components":[["redis3"],["n1","n2","n3","redis1","redis2"]]}
{"i":16,"t":40.0,"type":"run","f":"stopping"}
{"i":17,"t":41.0,"type":"role","node":"n1","role":"follower","term":3,"primary":"redis1"}
{"i":18,"t":41.0,"type":"role","node":"n2","role":"follower","term":3,"primary":"redis1"}
{"i":19,"t":42.0,"type":"run","f":"end"}
)";

TEST(ServiceFailover, TimesEachFailoverFromThePrimarysLoss) {
  Verdict v = CheckHistory("service-failover", kFailovers);
  ASSERT_EQ(v.valid, Validity::kValid) << v.reason;
  const nlohmann::json& d = v.details;
  EXPECT_EQ(d["primaries"], nlohmann::json({"redis1", "redis2", "redis3"}));
  EXPECT_NEAR(d["first_primary_s"].get<double>(), 0.5, 1e-9);
  EXPECT_EQ(d["failover_s"]["count"], 2);
  EXPECT_NEAR(d["failover_s"]["max"].get<double>(), 3.5, 1e-9);
  EXPECT_NEAR(d["failover_s"]["p50"].get<double>(), 3.2, 1e-9);
  EXPECT_NEAR(d["failover_by_cause"]["killed"]["max"].get<double>(), 3.2, 1e-9);
  EXPECT_NEAR(d["failover_by_cause"]["paused"]["max"].get<double>(), 3.5, 1e-9);
  EXPECT_FALSE(d["failover_by_cause"].contains("isolated"));
  EXPECT_EQ(d["losses"], nlohmann::json({{"killed", 1}, {"paused", 1}, {"isolated", 2}}));
  EXPECT_EQ(d["unprompted"], 0);
  EXPECT_EQ(d["pending"], 1);
  EXPECT_THAT(v.reason, HasSubstr("2 failover(s), p50 3.200 s max 3.500 s"));
  EXPECT_THAT(v.reason, HasSubstr("primary lost 4 time(s); primaries redis1 redis2 redis3"));
  EXPECT_THAT(v.reason, HasSubstr("lost at the end with no failover yet"));
}

// redis1 is cut off from 5 to 6 with no failover; the move at 14 is 8 s
// after it came back: not that loss's.
TEST(ServiceFailover, AMoveLongAfterThePrimaryCameBackIsUnprompted) {
  Verdict v = CheckHistory("service-failover", R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.3,"type":"role","node":"n1","role":"follower","term":0,"primary":"redis1"}
{"i":2,"t":0.5,"type":"role","node":"n2","role":"follower","term":0,"primary":"redis1"}
{"i":3,"t":5.0,"type":"nemesis","f":"partition","phase":"start","components":[["redis1"],["n1","n2","n3","redis2"]]}
{"i":4,"t":6.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":5,"t":14.0,"type":"role","node":"n1","role":"follower","term":1,"primary":"redis2"}
{"i":6,"t":14.2,"type":"role","node":"n3","role":"follower","term":1,"primary":"redis2"}
{"i":7,"t":19.0,"type":"run","f":"end"}
)");
  ASSERT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.details["unprompted"], 1);
  EXPECT_EQ(v.details["losses"]["isolated"], 1);
  EXPECT_EQ(v.details["failover_s"]["count"], 0);
}

TEST(ServiceFailover, AMoveWithNoLossIsUnprompted) {
  Verdict v = CheckHistory("service-failover", R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.3,"type":"role","node":"n1","role":"follower","term":0,"primary":"redis1"}
{"i":2,"t":0.5,"type":"role","node":"n2","role":"follower","term":0,"primary":"redis1"}
{"i":3,"t":4.0,"type":"role","node":"n1","role":"follower","term":1,"primary":"redis2"}
{"i":4,"t":4.2,"type":"role","node":"n3","role":"follower","term":1,"primary":"redis2"}
{"i":5,"t":9.0,"type":"run","f":"end"}
)");
  ASSERT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.details["unprompted"], 1);
  EXPECT_EQ(v.details["failover_s"]["count"], 0);
  EXPECT_THAT(v.reason, HasSubstr("0 failover(s); primary lost 0 time(s); primaries redis1 redis2; 1 unprompted"));
}

TEST(ServiceFailover, NoPrimaryNamedIsValidAndSaysSo) {
  Verdict v = CheckHistory("service-failover", R"(
{"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3"]}
{"i":1,"t":0.3,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":9.0,"type":"run","f":"end"}
)");
  EXPECT_EQ(v.valid, Validity::kValid);
  EXPECT_THAT(v.reason, HasSubstr("no majority of the clients named a primary"));
}

TEST(ServiceFailover, EmptyHistoryIsUnknown) {
  EXPECT_EQ(CheckHistory("service-failover", "").valid, Validity::kUnknown);
}

}  // namespace
}  // namespace schism::checkers
