// Tests of the pieces around the state machine that schism-node uses: the
// datagram codec, report lines, address parsing and the state file.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "nodes/address.h"
#include "nodes/codec.h"
#include "nodes/state_file.h"

namespace schism::nodes {
namespace {

TEST(NodesCodec, EveryMessageTypeRoundTrips) {
  for (MessageType type : {MessageType::kPreVote, MessageType::kPreVoteResponse,
                           MessageType::kRequestVote, MessageType::kRequestVoteResponse,
                           MessageType::kHeartbeat, MessageType::kHeartbeatResponse}) {
    const bool response =
        type == MessageType::kPreVoteResponse || type == MessageType::kRequestVoteResponse;
    const Message m{type, "n1", "n2", 18446744073709551615ull, response};
    EXPECT_EQ(DecodeMessage(EncodeMessage(m)), m) << EncodeMessage(m);
  }
}

TEST(NodesCodec, EncodingIsCompactJson) {
  EXPECT_EQ(EncodeMessage({MessageType::kRequestVoteResponse, "n2", "n1", 5, true}),
            R"({"type":"request-vote-response","from":"n2","to":"n1","term":5,"granted":true})");
}

TEST(NodesCodec, MalformedDatagramsAreRejected) {
  for (const char* text :
       {"", "garbage", "[]", "{}", "null", R"({"type":"heartbeat","from":"n1","to":"n2"})",
        R"({"type":"heartbeat","from":"n1","to":"n2","term":-1})",
        R"({"type":"heartbeat","from":"n1","to":"n2","term":1.5})",
        R"({"type":"heartbeat","from":"n1","to":"n2","term":"1"})",
        R"({"type":"coup","from":"n1","to":"n2","term":1})",
        R"({"type":"heartbeat","from":1,"to":"n2","term":1})",
        R"({"type":"request-vote-response","from":"n1","to":"n2","term":1})",
        R"({"type":"heartbeat","from":"n1","to":"n2","term":1)"}) {
    EXPECT_EQ(DecodeMessage(text), std::nullopt) << text;
  }
}

TEST(NodesCodec, RandomBytesNeverCrashTheDecoder) {
  std::mt19937_64 rng(7);
  const std::string valid = EncodeMessage({MessageType::kRequestVote, "n1", "n2", 3, false});
  for (int i = 0; i < 2000; ++i) {
    std::string datagram = valid;
    for (int flips = 1 + static_cast<int>(rng() % 4); flips > 0; --flips) {
      datagram[rng() % datagram.size()] = static_cast<char>(rng());
    }
    (void)DecodeMessage(datagram);
    std::string noise(rng() % 64, '\0');
    for (char& c : noise) c = static_cast<char>(rng());
    (void)DecodeMessage(noise);
  }
}

TEST(NodesCodec, ReportsAreContractV1Lines) {
  EXPECT_EQ(FormatReport({Report::Kind::kRole, Role::kLeader, 7, "n1"}),
            R"({"event":"role","role":"leader","term":7})");
  EXPECT_EQ(FormatReport({Report::Kind::kRole, Role::kFollower, 7, "n3"}),
            R"({"event":"role","role":"follower","term":7,"leader":"n3"})");
  EXPECT_EQ(FormatReport({Report::Kind::kRole, Role::kFollower, 7, ""}),
            R"({"event":"role","role":"follower","term":7})");
  EXPECT_EQ(FormatReport({Report::Kind::kRole, Role::kCandidate, 8, ""}),
            R"({"event":"role","role":"candidate","term":8})");
  EXPECT_EQ(FormatReport({Report::Kind::kVote, Role::kFollower, 8, "n2"}),
            R"({"event":"vote","term":8,"for":"n2"})");
}

TEST(NodesAddress, ParsesEndpointsAndPeers) {
  std::string error;
  const auto endpoint = ParseEndpoint("10.1.0.2:7000", &error);
  ASSERT_TRUE(endpoint) << error;
  EXPECT_EQ(endpoint->ToString(), "10.1.0.2:7000");
  const auto peers = ParsePeers("n2=10.1.0.3:7000,n3=10.1.0.4:7001", &error);
  ASSERT_TRUE(peers) << error;
  ASSERT_EQ(peers->size(), 2u);
  EXPECT_EQ((*peers)[1].id, "n3");
  EXPECT_EQ((*peers)[1].endpoint.ToString(), "10.1.0.4:7001");
  EXPECT_TRUE(ParsePeers("", &error)->empty());
}

TEST(NodesAddress, RejectsMalformedInput) {
  std::string error;
  for (const char* text : {"10.1.0.2", "10.1.0.2:0", "10.1.0.2:65536", "10.1.0.2:70x", "host:7000",
                           ":7000", "10.1.0.2:"}) {
    EXPECT_FALSE(ParseEndpoint(text, &error)) << text;
    EXPECT_FALSE(error.empty());
  }
  for (const char* text :
       {"n2", "=1.2.3.4:5", "n2=1.2.3.4", "n2=1.2.3.4:5,n2=1.2.3.5:5", "n2=1.2.3.4:5,"}) {
    EXPECT_FALSE(ParsePeers(text, &error)) << text;
  }
}

class NodesStateFile : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "schism-state-XXXXXX").string();
    ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string dir_;
};

TEST_F(NodesStateFile, MissingFileIsAFreshNode) {
  HardState state{9, "n9"};
  std::string error;
  ASSERT_TRUE(LoadHardState(dir_, &state, &error)) << error;
  EXPECT_EQ(state, HardState{});
}

TEST_F(NodesStateFile, SavedStateLoadsBack) {
  std::string error;
  for (const HardState& saved : {HardState{3, "n2"}, HardState{4, ""}}) {
    ASSERT_TRUE(SaveHardState(dir_, saved, &error)) << error;
    HardState loaded;
    ASSERT_TRUE(LoadHardState(dir_, &loaded, &error)) << error;
    EXPECT_EQ(loaded, saved);
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/raft-state.json.tmp"));
}

TEST_F(NodesStateFile, CorruptFileIsAnErrorNamingTheFile) {
  for (const char* text : {"{\"term\":", "[]", "{\"votedFor\":\"n1\"}", "{\"term\":-3}",
                           "{\"term\":1,\"votedFor\":7}"}) {
    std::ofstream(dir_ + "/raft-state.json") << text;
    HardState state;
    std::string error;
    EXPECT_FALSE(LoadHardState(dir_, &state, &error)) << text;
    EXPECT_NE(error.find(dir_ + "/raft-state.json"), std::string::npos) << error;
  }
}

TEST_F(NodesStateFile, UnwritableDirectoryIsAnErrorWithErrnoText) {
  std::string error;
  EXPECT_FALSE(SaveHardState(dir_ + "/missing", HardState{1, "n1"}, &error));
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace schism::nodes
