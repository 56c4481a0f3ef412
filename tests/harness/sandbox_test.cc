// The sandbox: real namespaces, a bridge and veths; traffic between nodes only;
// nothing left behind. Needs root.
#include "harness/sandbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>

#include "harness/spawn.h"
#include "nemesis/nft.h"
#include "nemesis/run_in_netns.h"
#include "nemesis/netns_guard.h"
#include "run_support.h"
#include "tests/requirements.h"

namespace schism::harness {
namespace {

// A UDP socket made inside `netns_fd`, bound to addr:port (the socket stays in
// that namespace after the thread returns).
int UdpSocketIn(int netns_fd, const std::string& addr, int port) {
  nemesis::ScopedNetns inside(netns_fd);
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, addr.c_str(), &sa.sin_addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

bool SendAndReceive(int from, int to, const std::string& to_addr, int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, to_addr.c_str(), &sa.sin_addr);
  for (int attempt = 0; attempt < 20; ++attempt) {  // the first may wait for ARP
    sendto(from, "ping", 4, 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
    pollfd p{to, POLLIN, 0};
    if (poll(&p, 1, 100) == 1) {
      char buf[16];
      return recv(to, buf, sizeof buf, 0) == 4;
    }
  }
  return false;
}

TEST(Sandbox, NodesTalkOverTheBridgeAndHaveNoRouteOut) {
  SCHISM_REQUIRE_ROOT();
  auto host_links = schism::testing::HostLinks();
  auto box = Sandbox::Create(3);
  ASSERT_EQ(box->nodes().size(), 3u);
  EXPECT_EQ(box->nodes()[2].address, "10.241.0.3");

  int a = UdpSocketIn(box->nodes()[0].netns.fd(), box->nodes()[0].address, 9000);
  int b = UdpSocketIn(box->nodes()[1].netns.fd(), box->nodes()[1].address, 9000);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  EXPECT_TRUE(SendAndReceive(a, b, box->nodes()[1].address, 9000));
  EXPECT_TRUE(SendAndReceive(b, a, box->nodes()[0].address, 9000));
  close(a);
  close(b);

  const nemesis::ToolResult routes =
      nemesis::RunInNetns(box->nodes()[0].netns.fd(), {"ip", "route", "show", "table", "all"});
  EXPECT_EQ(routes.output.find("default"), std::string::npos) << routes.output;
  EXPECT_EQ(schism::testing::HostLinks(), host_links) << "the host's namespace must not change";
}

// IPv6 is off in the hub and every node (its chatter would cross the bridge as
// traffic no elector sent), and the host's own setting is left as it was.
TEST(Sandbox, TurnsIpv6OffInItsNamespacesOnly) {
  SCHISM_REQUIRE_ROOT();
  const std::string all = "/proc/sys/net/ipv6/conf/all/disable_ipv6";
  const std::string host_before = schism::testing::ReadFile(all);
  auto box = Sandbox::Create(2);
  const auto disabled = [&](int netns_fd) {
    const nemesis::ToolResult r = nemesis::RunInNetns(
        netns_fd, {"cat", all, "/proc/sys/net/ipv6/conf/default/disable_ipv6"});
    return r.output;
  };
  EXPECT_EQ(disabled(box->hub().fd()), "1\n1\n");
  for (const SandboxNode& node : box->nodes()) EXPECT_EQ(disabled(node.netns.fd()), "1\n1\n");
  EXPECT_EQ(schism::testing::ReadFile(all), host_before) << "the host's namespace must not change";
}

TEST(Sandbox, IsGoneWhenDestroyed) {
  SCHISM_REQUIRE_ROOT();
  std::vector<ino_t> inodes;
  {
    auto box = Sandbox::Create(2);
    inodes.push_back(schism::testing::NetnsInode(box->hub().fd()));
    for (const auto& n : box->nodes()) inodes.push_back(schism::testing::NetnsInode(n.netns.fd()));
    auto live = schism::testing::LiveNetnsInodes();
    for (ino_t i : inodes) EXPECT_TRUE(live.count(i));
  }
  auto live = schism::testing::LiveNetnsInodes();
  for (ino_t i : inodes) EXPECT_FALSE(live.count(i)) << "namespace " << i << " outlived the sandbox";
}

// A one-way cut is one way: with n1 -> n2 dropped, n2 still reaches n1 after
// every node has forgotten what it learnt by ARP. (Without static neighbours
// n2 would ask for n1's MAC, and n1's reply, going n1 -> n2, would be dropped.)
TEST(Sandbox, OneWayCutIsOneWay) {
  SCHISM_REQUIRE_ROOT();
  auto box = Sandbox::Create(3);
  const auto& nodes = box->nodes();
  nemesis::PortMap ports;
  for (const SandboxNode& n : nodes) ports[n.name] = n.port;
  nemesis::NftPartitioner nft(box->hub().fd(), ports);
  nemesis::Grudge grudge;
  grudge.Drop("n1", "n2");
  nft.Apply(grudge);
  for (const SandboxNode& n : nodes) {
    const nemesis::ToolResult flush =
        nemesis::RunInNetns(n.netns.fd(), {"ip", "neigh", "flush", "all"});
    ASSERT_EQ(flush.exit_code, 0) << flush.output;
  }
  int n1 = UdpSocketIn(nodes[0].netns.fd(), nodes[0].address, 9000);
  int n2 = UdpSocketIn(nodes[1].netns.fd(), nodes[1].address, 9000);
  int n3 = UdpSocketIn(nodes[2].netns.fd(), nodes[2].address, 9000);
  ASSERT_GE(n1, 0);
  ASSERT_GE(n2, 0);
  ASSERT_GE(n3, 0);
  EXPECT_TRUE(SendAndReceive(n2, n1, nodes[0].address, 9000)) << "n2 -> n1 is not cut";
  EXPECT_FALSE(SendAndReceive(n1, n2, nodes[1].address, 9000)) << "n1 -> n2 is cut";
  EXPECT_TRUE(SendAndReceive(n1, n3, nodes[2].address, 9000)) << "n1 -> n3 is not cut";
  EXPECT_TRUE(SendAndReceive(n3, n2, nodes[1].address, 9000)) << "n3 -> n2 is not cut";
  close(n1);
  close(n2);
  close(n3);
}

// Times Create for 5 and 51 nodes (printed, for the record), and checks that
// the last node of 51 knows all 50 others permanently, with their MACs.
TEST(Sandbox, FiftyOneNodesHavePermanentNeighbours) {
  SCHISM_REQUIRE_ROOT();
  for (std::size_t n : {std::size_t{5}, std::size_t{51}}) {
    const auto start = std::chrono::steady_clock::now();
    auto box = Sandbox::Create(n);
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ timing   ] Sandbox::Create(%zu): %.1f ms\n", n, ms);
    if (n != 51) continue;
    const SandboxNode& last = box->nodes().back();
    const nemesis::ToolResult neigh =
        nemesis::RunInNetns(last.netns.fd(), {"ip", "neigh", "show", "nud", "permanent"});
    ASSERT_EQ(neigh.exit_code, 0) << neigh.output;
    std::size_t lines = 0;
    for (char c : neigh.output) lines += c == '\n' ? 1 : 0;
    EXPECT_EQ(lines, 50u) << neigh.output;
    EXPECT_NE(neigh.output.find("10.241.0.1 dev eth0 lladdr 02:5c:00:00:00:01 PERMANENT"),
              std::string::npos)
        << neigh.output;
    EXPECT_NE(neigh.output.find("10.241.0.50 dev eth0 lladdr 02:5c:00:00:00:32 PERMANENT"),
              std::string::npos)
        << neigh.output;
    const nemesis::ToolResult link =
        nemesis::RunInNetns(last.netns.fd(), {"ip", "link", "show", "eth0"});
    EXPECT_NE(link.output.find("link/ether 02:5c:00:00:00:33 "), std::string::npos) << link.output;
  }
}

TEST(Sandbox, RejectsBadSizes) {
  EXPECT_THROW(Sandbox::Create(0), std::invalid_argument);
  EXPECT_THROW(Sandbox::Create(Sandbox::kMaxNodes + 1), std::invalid_argument);
}

}  // namespace
}  // namespace schism::harness
