// Probe output readers: the JSON mapping of --probe and the etcd profile's
// reading of /debug/vars.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

#include "harness/probe_reader.h"
#include "harness/profiles/etcd.h"
#include "harness/profiles/http_answer.h"
#include "harness/profiles/profile.h"
#include "harness/profiles/zookeeper.h"

namespace schism::harness {
namespace {

using histories::Role;
using ::testing::HasSubstr;

const std::vector<std::string> kNames = {"n1", "n2", "n3"};

std::string ReadError(ProbeReader& reader, std::size_t k, const std::string& out) {
  try {
    reader.Read(k, out);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "no error";
}

TEST(JsonProbeReader, ReadsRoleTermAndLeader) {
  JsonProbeReader reader(kNames);
  Observation o = reader.Read(1, "  {\"role\":\"follower\",\"term\":7,\"leader\":\"n3\"}\n\n");
  EXPECT_EQ(o.role, Role::kFollower);
  EXPECT_EQ(o.term, 7u);
  EXPECT_EQ(o.leader, "n3");
  Observation lead = reader.Read(2, R"({"role":"leader","term":18446744073709551615})");
  EXPECT_EQ(lead.role, Role::kLeader);
  EXPECT_EQ(lead.term, 18446744073709551615u);
  EXPECT_EQ(lead.leader, "n3");  // a leader leads itself
  Observation termless = reader.Read(0, R"({"role":"candidate","leader":null,"extra":1})");
  EXPECT_EQ(termless.role, Role::kCandidate);
  EXPECT_FALSE(termless.term);
  EXPECT_EQ(termless.leader, "");
}

TEST(JsonProbeReader, SaysWhatIsWrong) {
  JsonProbeReader reader(kNames);
  EXPECT_EQ(ReadError(reader, 0, "garbage\n"), "not a JSON object: garbage");
  EXPECT_EQ(ReadError(reader, 0, "[1]"), "not a JSON object: [1]");
  EXPECT_EQ(ReadError(reader, 0, R"({"term":1})"), R"(no "role" string in {"term":1})");
  EXPECT_EQ(ReadError(reader, 0, R"({"role":"king"})"),
            R"("role" is "king", not leader, follower or candidate)");
  EXPECT_EQ(ReadError(reader, 0, R"({"role":"leader","term":-1})"),
            R"("term" is -1, not an unsigned integer)");
  EXPECT_EQ(ReadError(reader, 0, R"({"role":"follower","leader":"n9"})"),
            R"("leader" is "n9", no node of this cluster)");
  EXPECT_EQ(ReadError(reader, 0, R"({"role":"leader","leader":"n2"})"),
            R"("role" is leader but "leader" names n2)");
}

// What etcd 3.4 serves at /debug/vars, cut to what matters (ids in hex).
std::string DebugVars(const std::string& id, const std::string& lead, int term,
                      const std::string& state) {
  return "HTTP/1.0 200 OK\r\nContent-Type: application/json; charset=utf-8\r\n\r\n"
         "{\n\"cmdline\": [\"etcd\"],\n\"raft.status\": {\"id\":\"" + id + "\",\"term\":" +
         std::to_string(term) + ",\"vote\":\"" + lead + "\",\"commit\":8,\"lead\":\"" + lead +
         "\",\"raftState\":\"" + state + "\",\"applied\":8,\"progress\":{}}\n}\n";
}

// Above 2^63: a double would round them, and two members could look alike.
const std::string kBig1 = "d5742c9c853cffd5";
const std::string kBig2 = "d5742c9c853cffd4";
const std::string kSmall3 = "8e9e05c52164694d";

TEST(EtcdRaftStatus, ParsesHexIdsAboveTwoToThe63Exactly) {
  EtcdRaftStatus s = ParseEtcdRaftStatus(DebugVars(kBig1, kBig2, 5, "StateFollower"));
  EXPECT_EQ(s.id, 15380967678138974165u);
  EXPECT_EQ(s.lead, 15380967678138974164u);
  EXPECT_EQ(s.term, 5u);
  EXPECT_EQ(s.state, "StateFollower");
}

TEST(EtcdRaftStatus, MapsMembersToNodesByTheIdsTheyReport) {
  EtcdRaftStatusReader reader(kNames);
  // n1 follows n2 before n2 was ever probed: the leader is not known yet.
  Observation early = reader.Read(0, DebugVars(kBig1, kBig2, 5, "StateFollower"));
  EXPECT_EQ(early.role, Role::kFollower);
  EXPECT_EQ(early.leader, "");
  Observation leader = reader.Read(1, DebugVars(kBig2, kBig2, 5, "StateLeader"));
  EXPECT_EQ(leader.role, Role::kLeader);
  EXPECT_EQ(leader.leader, "n2");
  EXPECT_EQ(leader.term, 5u);
  Observation later = reader.Read(0, DebugVars(kBig1, kBig2, 5, "StateFollower"));
  EXPECT_EQ(later.leader, "n2");
  Observation none = reader.Read(2, DebugVars(kSmall3, "0", 6, "StateFollower"));
  EXPECT_EQ(none.role, Role::kFollower);
  EXPECT_EQ(none.leader, "");
  EXPECT_EQ(reader.Read(2, DebugVars(kSmall3, "0", 7, "StatePreCandidate")).role,
            Role::kCandidate);
  EXPECT_EQ(reader.Read(2, DebugVars(kSmall3, "0", 7, "StateCandidate")).role, Role::kCandidate);
  // Another node answering with n1's id is no observation.
  EXPECT_THAT(ReadError(reader, 2, DebugVars(kBig1, "0", 7, "StateFollower")),
              HasSubstr("is n1's"));
}

TEST(EtcdRaftStatus, SaysWhatIsWrong) {
  EtcdRaftStatusReader reader(kNames);
  EXPECT_EQ(ReadError(reader, 0, "HTTP/1.0 404 Not Found\r\n\r\nnope"),
            "the answer is not HTTP 200: HTTP/1.0 404 Not Found");
  EXPECT_EQ(ReadError(reader, 0, "HTTP/1.0 200 OK\r\n\r\n{\"cmdline\":[]}"),
            "no \"raft.status\" object in /debug/vars");
  EXPECT_EQ(ReadError(reader, 0, DebugVars("xyz", "0", 1, "StateLeader")),
            "raft.status.id is \"xyz\", not a hexadecimal member id");
  EXPECT_EQ(ReadError(reader, 0, DebugVars("1", "0", 1, "StateLearner")),
            "raft.status.raftState is \"StateLearner\"");
  EXPECT_EQ(ReadError(reader, 0, ""), "the body is not a JSON object");
}

TEST(EtcdProfile, StartsEachMemberOnItsOwnAddressInOneCluster) {
  std::unique_ptr<Profile> etcd = MakeProfile("etcd");
  ASSERT_TRUE(etcd);
  std::vector<NodeVars> all = ClusterVars({"10.241.0.1", "10.241.0.2"}, 7000, "/d", 9);
  std::vector<std::string> argv = etcd->ServerCommand(all[1], all);
  EXPECT_EQ(argv[0], "etcd");
  auto after = [&argv](const std::string& flag) {
    auto it = std::find(argv.begin(), argv.end(), flag);
    return it == argv.end() || it + 1 == argv.end() ? std::string("(missing)") : *(it + 1);
  };
  EXPECT_EQ(after("--name"), "n2");
  EXPECT_EQ(after("--data-dir"), all[1].data_dir);
  EXPECT_EQ(after("--listen-client-urls"), "http://10.241.0.2:2379");
  EXPECT_EQ(after("--listen-peer-urls"), "http://10.241.0.2:2380");
  EXPECT_EQ(after("--initial-cluster"), "n1=http://10.241.0.1:2380,n2=http://10.241.0.2:2380");
  EXPECT_EQ(after("--initial-cluster-token"), "schism-9");
  EXPECT_THAT(etcd->ProbeCommand(all[1]).back(), HasSubstr("/dev/tcp/10.241.0.2/2379"));
  EXPECT_EQ(MakeProfile("nope"), nullptr);
}

// What the zookeeper profile's probe prints: the epoch file, the admin
// server's answer to GET /commands/leader, the epoch file again.
std::string ZooKeeperAnswer(const std::string& before, const std::string& body,
                            const std::string& after) {
  return "currentEpoch=" + before +
         "\nHTTP/1.1 200 OK\r\nContent-Type: application/json\r\nServer: Jetty(9.4.57)\r\n\r\n" +
         body + "\n\ncurrentEpoch=" + after + "\n";
}

const std::string kFollowsThree =
    R"({ "is_leader" : false, "leader_id" : 3, "leader_ip" : "10.241.0.3", "command" : "leader", "error" : null })";
const std::string kLeadsThree =
    R"({ "is_leader" : true, "leader_id" : 3, "leader_ip" : "10.241.0.3", "command" : "leader", "error" : null })";
const std::string kNotServing =
    R"({ "command" : "leader", "error" : "This ZooKeeper instance is not currently serving requests" })";

TEST(ZooKeeperState, ReadsRoleLeaderAndTheEpochThatHeldThroughTheAnswer) {
  ZooKeeperStateReader reader(kNames);
  Observation follower = reader.Read(0, ZooKeeperAnswer("6", kFollowsThree, "6"));
  EXPECT_EQ(follower.role, Role::kFollower);
  EXPECT_EQ(follower.leader, "n3");
  EXPECT_EQ(follower.term, 6u);
  Observation leader = reader.Read(2, ZooKeeperAnswer("6", kLeadsThree, "6"));
  EXPECT_EQ(leader.role, Role::kLeader);
  EXPECT_EQ(leader.leader, "n3");
  Observation looking = reader.Read(1, ZooKeeperAnswer("5", kNotServing, "5"));
  EXPECT_EQ(looking.role, Role::kCandidate);
  EXPECT_EQ(looking.term, 5u);
  Observation first = reader.Read(1, ZooKeeperAnswer("", kNotServing, ""));
  EXPECT_EQ(first.role, Role::kCandidate);
  EXPECT_FALSE(first.term) << "no epoch before the first one is established";
}

TEST(ZooKeeperState, SaysWhatIsWrong) {
  ZooKeeperStateReader reader(kNames);
  EXPECT_EQ(ReadError(reader, 0, ZooKeeperAnswer("6", kFollowsThree, "7")),
            "currentEpoch changed while the server answered");
  EXPECT_EQ(ReadError(reader, 0, ZooKeeperAnswer("", kFollowsThree, "")),
            "it serves, but has no currentEpoch file");
  EXPECT_EQ(ReadError(reader, 0, ZooKeeperAnswer("6", kLeadsThree, "6")),
            "it leads, but names server 3");
  EXPECT_EQ(ReadError(reader, 0, ZooKeeperAnswer("x6", kFollowsThree, "x6")),
            "currentEpoch before the answer is \"x6\", not a number");
  EXPECT_EQ(ReadError(reader, 0, "currentEpoch=6\n"),
            "no answer between the two readings of currentEpoch");
  EXPECT_EQ(ReadError(reader, 0, "currentEpoch=6\nHTTP/1.1 404 Not Found\r\n\r\nx\ncurrentEpoch=6"),
            "the admin server's answer is not HTTP 200: HTTP/1.1 404 Not Found");
  EXPECT_THAT(ReadError(reader, 0, ZooKeeperAnswer("6", R"({"error":"boom"})", "6")),
              HasSubstr("the server answered \"boom\""));
  EXPECT_THAT(ReadError(reader, 0,
                        ZooKeeperAnswer("6", R"({"is_leader":false,"leader_id":9,"error":null})", "6")),
              HasSubstr("leader_id 9 is no server of this ensemble"));
}

TEST(ZooKeeperProfile, WritesItsConfigAndIdIntoTheDataDir) {
  std::unique_ptr<Profile> zk = MakeProfile("zookeeper");
  ASSERT_TRUE(zk);
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("schism-zk-test-" + std::to_string(getpid()));
  std::vector<NodeVars> all =
      ClusterVars({"10.241.0.1", "10.241.0.2", "10.241.0.3"}, 7000, dir.string(), 1);
  for (const NodeVars& v : all) std::filesystem::create_directories(v.data_dir);
  zk->PrepareDataDir(all[1], all);
  std::ifstream cfg(std::filesystem::path(all[1].data_dir) / "zoo.cfg");
  std::string text((std::istreambuf_iterator<char>(cfg)), std::istreambuf_iterator<char>());
  std::ifstream myid(std::filesystem::path(all[1].data_dir) / "myid");
  std::string id;
  myid >> id;
  std::filesystem::remove_all(dir);
  EXPECT_EQ(id, "2");
  EXPECT_THAT(text, HasSubstr("clientPortAddress=10.241.0.2\n"));
  EXPECT_THAT(text, HasSubstr("admin.serverAddress=10.241.0.2\n"));
  EXPECT_THAT(text, HasSubstr("server.3=10.241.0.3:2888:3888\n"));
  EXPECT_THAT(text, HasSubstr("dataDir=" + all[1].data_dir + "\n"));
  std::vector<std::string> argv = zk->ServerCommand(all[1], all);
  EXPECT_EQ(argv.front(), "java");
  EXPECT_EQ(argv.back(), all[1].data_dir + "/zoo.cfg");
  std::vector<std::string> probe = zk->ProbeCommand(all[1]);
  EXPECT_EQ(std::vector<std::string>(probe.end() - 3, probe.end()),
            (std::vector<std::string>{"10.241.0.2", "8080", all[1].data_dir}))
      << "address, port and data dir are the script's arguments, never spliced in";
}

TEST(HttpOkBody, GivesTheBodyOfA200AndNamesAnyOtherStatus) {
  EXPECT_EQ(HttpOkBody("HTTP/1.0 200 OK\r\nA: b\r\n\r\n{}", "the answer"), "{}");
  EXPECT_EQ(HttpOkBody("HTTP/1.1 200\r\n\r\nx", "the answer"), "x");
  try {
    HttpOkBody("HTTP/1.1 2000 Odd\r\n\r\n", "the admin server's answer");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "the admin server's answer is not HTTP 200: HTTP/1.1 2000 Odd");
  }
  EXPECT_THROW(HttpOkBody("HTTP/1.1 200 OK\r\n", "the answer"), std::invalid_argument);
  EXPECT_THROW(HttpOkBody("garbage 200 OK\r\n\r\n", "the answer"), std::invalid_argument);
}

}  // namespace
}  // namespace schism::harness
