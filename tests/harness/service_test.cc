// Services (--service): parsing, and what the members and their clients get.
#include "harness/profiles/service.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace schism::harness {
namespace {

TEST(Service, ParsesANameAndAMemberCount) {
  const ServiceSpec redis = ParseService("redis");
  EXPECT_EQ(redis.name, "redis");
  EXPECT_EQ(redis.members, 1u);
  const ServiceSpec etcd = ParseService("etcd:3");
  EXPECT_EQ(etcd.name, "etcd");
  EXPECT_EQ(etcd.members, 3u);
  EXPECT_EQ(ServiceMemberNames("zookeeper:3"),
            (std::vector<std::string>{"zookeeper1", "zookeeper2", "zookeeper3"}));
  EXPECT_EQ(ServiceMemberNames(""), std::vector<std::string>{});
}

TEST(Service, RefusesWhatItCannotRun) {
  for (const char* bad : {"memcached", "etcd:0", "etcd:10", "etcd:", "etcd:x", "redis:"}) {
    EXPECT_THROW(ParseService(bad), std::invalid_argument) << bad;
  }
}

TEST(Service, MembersFollowTheElectorsAndClientsLearnWhereTheyAre) {
  const auto server = MakeServiceServer("etcd");
  const std::vector<NodeVars> members = ServiceVars(ParseService("etcd:3"), *server, 6, "/data", 7);
  ASSERT_EQ(members.size(), 3u);
  EXPECT_EQ(members[0].node, "etcd1");
  EXPECT_EQ(members[0].index, 1u);
  EXPECT_EQ(members[0].addr, "10.241.0.6");
  EXPECT_EQ(members[2].addr, "10.241.0.8");
  EXPECT_EQ(members[1].data_dir, "/data/etcd2");
  EXPECT_EQ(members[1].peers, "etcd1=10.241.0.6:2379,etcd3=10.241.0.8:2379");
  EXPECT_EQ(ServiceAddresses(members),
            "etcd1=10.241.0.6:2379,etcd2=10.241.0.7:2379,etcd3=10.241.0.8:2379");
  EXPECT_EQ(ServiceAddresses({}), "");
}

}  // namespace
}  // namespace schism::harness
