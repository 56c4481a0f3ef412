// Packet-level check (root): three node namespaces on a bridge in a hub
// namespace, UDP between every pair, and the grudge's pairs are exactly the
// ones that are lost.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <set>
#include <thread>

#include "nemesis/netns_guard.h"
#include "nemesis/nft.h"
#include "tests/nemesis/netns_fixture.h"

namespace schism::nemesis {
namespace {

using testing::NewNetnsFd;
using testing::ShellIn;
using Pairs = std::set<std::pair<std::string, std::string>>;

constexpr int kNodes = 3;
constexpr int kPort = 7000;

std::string Name(int i) { return "n" + std::to_string(i + 1); }
std::string Addr(int i) { return "10.9.0." + std::to_string(i + 1); }
std::string Mac(int i) { return "02:00:00:00:00:0" + std::to_string(i + 1); }

class NemesisNftPackets : public testing::PrivateNetnsTest {
 protected:
  void SetUp() override {
    testing::PrivateNetnsTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    hub_ = NewNetnsFd();
    ASSERT_EQ(ShellIn(hub_, "ip link add br0 type bridge && ip link set br0 up"), 0);
    const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    for (int i = 0; i < kNodes; ++i) {
      node_fd_[i] = NewNetnsFd();
      const std::string port = "v" + Name(i);
      ASSERT_EQ(ShellIn(hub_, "ip link add " + port + " type veth peer name eth0 address " +
                                  Mac(i) + " netns " + self + std::to_string(node_fd_[i]) +
                                  " && ip link set " + port + " master br0 up"),
                0);
      std::string setup =
          "ip link set lo up && ip addr add " + Addr(i) + "/24 dev eth0 && ip link set eth0 up";
      // Static neighbours, so a one-way cut does not also break ARP the other way.
      for (int j = 0; j < kNodes; ++j) {
        if (j != i) {
          setup +=
              " && ip neigh replace " + Addr(j) + " lladdr " + Mac(j) + " dev eth0 nud permanent";
        }
      }
      ASSERT_EQ(ShellIn(node_fd_[i], setup), 0);
      ScopedNetns in(node_fd_[i]);  // The socket belongs to the namespace it is made in.
      socket_[i] = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
      ASSERT_GE(socket_[i], 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(kPort);
      ::inet_pton(AF_INET, Addr(i).c_str(), &addr.sin_addr);
      ASSERT_EQ(::bind(socket_[i], reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    }
  }

  void TearDown() override {
    for (int i = 0; i < kNodes; ++i) {
      if (socket_[i] >= 0) ::close(socket_[i]);
      if (node_fd_[i] >= 0) ::close(node_fd_[i]);
    }
    if (hub_ >= 0) ::close(hub_);
    testing::PrivateNetnsTest::TearDown();
  }

  // Sends a few rounds of datagrams between every ordered pair and returns
  // the (src, dst) pairs over which nothing arrived. Bounded: 5 rounds, then
  // at most 300 ms of draining.
  Pairs LostPairs() {
    Pairs delivered;
    for (int round = 0; round < 5; ++round) {
      for (int src = 0; src < kNodes; ++src) {
        for (int dst = 0; dst < kNodes; ++dst) {
          if (src == dst) continue;
          sockaddr_in to{};
          to.sin_family = AF_INET;
          to.sin_port = htons(kPort);
          ::inet_pton(AF_INET, Addr(dst).c_str(), &to.sin_addr);
          const char payload = static_cast<char>('0' + src);
          ::sendto(socket_[src], &payload, 1, 0, reinterpret_cast<sockaddr*>(&to), sizeof to);
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
    while (std::chrono::steady_clock::now() < deadline) {
      pollfd fds[kNodes];
      for (int i = 0; i < kNodes; ++i) fds[i] = {socket_[i], POLLIN, 0};
      if (::poll(fds, kNodes, 50) <= 0) continue;
      for (int dst = 0; dst < kNodes; ++dst) {
        char payload = 0;
        while (::recv(socket_[dst], &payload, 1, 0) == 1) {
          delivered.emplace(Name(payload - '0'), Name(dst));
        }
      }
    }
    Pairs lost;
    for (int src = 0; src < kNodes; ++src) {
      for (int dst = 0; dst < kNodes; ++dst) {
        if (src != dst && !delivered.count({Name(src), Name(dst)})) {
          lost.emplace(Name(src), Name(dst));
        }
      }
    }
    return lost;
  }

  PortMap Ports() const {
    PortMap ports;
    for (int i = 0; i < kNodes; ++i) ports[Name(i)] = "v" + Name(i);
    return ports;
  }

  int hub_ = -1;
  int node_fd_[kNodes] = {-1, -1, -1};
  int socket_[kNodes] = {-1, -1, -1};
};

TEST_F(NemesisNftPackets, ExactlyTheGrudgesPairsAreLost) {
  const std::vector<std::string> nodes = {"n1", "n2", "n3"};
  NftPartitioner partitioner(hub_, Ports());
  EXPECT_EQ(LostPairs(), Pairs{}) << "the healed network loses packets";

  // A majorities ring of three is one-way: each node hears only its left neighbour.
  std::mt19937_64 rng(11);
  const Grudge ring = MajoritiesRing(nodes, rng);
  ASSERT_EQ(ring.drops.size(), 3u);
  partitioner.Apply(ring);
  EXPECT_EQ(LostPairs(), ring.drops);

  const Grudge isolated = IsolateOne(nodes, "n2");
  partitioner.Apply(isolated);
  EXPECT_EQ(LostPairs(), isolated.drops);

  partitioner.Heal();
  EXPECT_EQ(LostPairs(), Pairs{});
}

}  // namespace
}  // namespace schism::nemesis
