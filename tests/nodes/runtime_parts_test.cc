// Tests of the pieces around the electors that schism-node uses: the datagram
// codec, contract lines, address parsing, the state file, and Raft's
// translation to and from them.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <random>
#include <string>

#include "nodes/address.h"
#include "nodes/codec.h"
#include "nodes/raft_elector.h"
#include "nodes/state_file.h"
#include "nodes/udp_runtime.h"

namespace schism::nodes {
namespace {

// Raft's messages and reports as they travel: through its translation and the codec.
std::string EncodeMessage(const Message& m) { return EncodeEnvelope(ToEnvelope(m)); }
std::optional<Message> DecodeMessage(std::string_view datagram) {
  const std::optional<Envelope> envelope = DecodeEnvelope(datagram);
  return envelope ? FromEnvelope(*envelope) : std::nullopt;
}
std::string FormatReport(const Report& report) { return FormatEvent(ToContractEvent(report)); }

TEST(NodesCodec, AGenericMessageRoundTrips) {
  const Envelope m{"n3", "n1", "coordinator",
                   Json{{"ids", {"n3", "n2"}},
                        {"round", 18446744073709551615ull},
                        {"nested", {{"ok", true}, {"why", nullptr}}}}};
  EXPECT_EQ(EncodeEnvelope(m), R"({"type":"coordinator","from":"n3","to":"n1","ids":["n3","n2"],)"
                               R"("round":18446744073709551615,"nested":{"ok":true,"why":null}})");
  EXPECT_EQ(DecodeEnvelope(EncodeEnvelope(m)), m);
  const Envelope bare{"n1", "n2", "election", Json::object()};
  EXPECT_EQ(EncodeEnvelope(bare), R"({"type":"election","from":"n1","to":"n2"})");
  EXPECT_EQ(DecodeEnvelope(EncodeEnvelope(bare)), bare);
}

TEST(NodesCodec, AnEnvelopeNeedsStringTypeFromAndTo) {
  for (const char* text :
       {"", "[]", "7", R"({"from":"n1","to":"n2"})", R"({"type":"election","to":"n2"})",
        R"({"type":"election","from":"n1"})", R"({"type":3,"from":"n1","to":"n2"})",
        R"({"type":"election","from":"n1","to":["n2"]})"}) {
    EXPECT_EQ(DecodeEnvelope(text), std::nullopt) << text;
  }
}

TEST(NodesCodec, EventsWithoutTermsAndLeasesAreContractV1Lines) {
  using R = ContractEvent::Role;
  EXPECT_EQ(FormatEvent(ContractEvent::RoleChange(R::kLeader, std::nullopt, "n3")),
            R"({"event":"role","role":"leader"})");
  EXPECT_EQ(FormatEvent(ContractEvent::RoleChange(R::kFollower, std::nullopt, "n3")),
            R"({"event":"role","role":"follower","leader":"n3"})");
  EXPECT_EQ(FormatEvent(ContractEvent::RoleChange(R::kCandidate, std::nullopt, "")),
            R"({"event":"role","role":"candidate"})");
  EXPECT_EQ(FormatEvent(ContractEvent::Vote(std::nullopt, "n2")), R"({"event":"vote","for":"n2"})");
  EXPECT_EQ(FormatEvent(ContractEvent::Lease(8, 42, 2000)),
            R"({"event":"lease","term":8,"token":42,"lease_ms":2000})");
  EXPECT_EQ(FormatEvent(ContractEvent::Lease(std::nullopt, 1, 500)),
            R"({"event":"lease","token":1,"lease_ms":500})");
}

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
  std::optional<Json> state = Json{{"term", 9}};
  std::string error;
  ASSERT_TRUE(LoadState(dir_, "raft", &state, &error)) << error;
  EXPECT_EQ(state, std::nullopt);
}

TEST_F(NodesStateFile, RaftStateLoadsBackFromRaftStateJson) {
  std::string error;
  for (const HardState& saved : {HardState{3, "n2"}, HardState{4, ""}}) {
    ASSERT_TRUE(SaveState(dir_, "raft", ToJson(saved), &error)) << error;
    std::optional<Json> loaded;
    ASSERT_TRUE(LoadState(dir_, "raft", &loaded, &error)) << error;
    ASSERT_TRUE(loaded);
    HardState state;
    ASSERT_TRUE(FromJson(*loaded, &state, &error)) << error;
    EXPECT_EQ(state, saved);
  }
  // The file existing data dirs hold, byte for byte.
  std::ifstream in(dir_ + "/raft-state.json");
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
            "{\"term\":4,\"votedFor\":null}\n");
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/raft-state.json.tmp"));
}

TEST_F(NodesStateFile, AnotherElectorsStateLivesInItsOwnFile) {
  std::string error;
  const Json saved = {{"coordinator", "n3"}, {"epoch", 2}};
  ASSERT_TRUE(SaveState(dir_, "bully", saved, &error)) << error;
  EXPECT_EQ(StateFilePath(dir_, "bully"), dir_ + "/bully-state.json");
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/bully-state.json"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/raft-state.json"));
  std::optional<Json> loaded;
  ASSERT_TRUE(LoadState(dir_, "bully", &loaded, &error)) << error;
  EXPECT_EQ(loaded, saved);
  ASSERT_TRUE(LoadState(dir_, "raft", &loaded, &error)) << error;
  EXPECT_EQ(loaded, std::nullopt);
}

TEST_F(NodesStateFile, AFileWithoutAJsonObjectIsAnErrorNamingTheFile) {
  for (const char* text : {"{\"term\":", "[]", "", "null"}) {
    std::ofstream(dir_ + "/bully-state.json") << text;
    std::optional<Json> state;
    std::string error;
    EXPECT_FALSE(LoadState(dir_, "bully", &state, &error)) << text;
    EXPECT_NE(error.find(dir_ + "/bully-state.json"), std::string::npos) << error;
  }
}

TEST(NodesRaftState, MalformedHardStatesAreRejectedWithAReason) {
  for (const char* text :
       {"[]", "{\"votedFor\":\"n1\"}", "{\"term\":-3}", "{\"term\":1,\"votedFor\":7}"}) {
    HardState state;
    std::string why;
    EXPECT_FALSE(FromJson(Json::parse(text), &state, &why)) << text;
    EXPECT_FALSE(why.empty()) << text;
  }
}

TEST_F(NodesStateFile, ACorruptRaftStateStopsTheRuntimeNamingTheFile) {
  for (const char* text : {"{\"term\":", "{\"votedFor\":\"n1\"}", "{\"term\":1,\"votedFor\":7}"}) {
    std::ofstream(dir_ + "/raft-state.json") << text;
    RuntimeOptions options;
    options.elector = FindElector("raft");
    ASSERT_NE(options.elector, nullptr);
    options.setup = DefaultSetup(*options.elector);
    options.setup.id = "n1";
    options.data_dir = dir_;
    std::string error;
    EXPECT_EQ(UdpRuntime::Open(std::move(options), &error), nullptr) << text;
    EXPECT_NE(error.find(dir_ + "/raft-state.json: corrupt state file"), std::string::npos)
        << error;
  }
}

TEST_F(NodesStateFile, UnwritableDirectoryIsAnErrorWithErrnoText) {
  std::string error;
  EXPECT_FALSE(SaveState(dir_ + "/missing", "raft", ToJson(HardState{1, "n1"}), &error));
  EXPECT_NE(error.find("No such file or directory"), std::string::npos) << error;
}

}  // namespace
}  // namespace schism::nodes
