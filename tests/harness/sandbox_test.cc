// The sandbox: real namespaces, a bridge and veths; traffic between nodes only;
// nothing left behind. Needs root.
#include "harness/sandbox.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "harness/spawn.h"
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

TEST(Sandbox, RejectsBadSizes) {
  EXPECT_THROW(Sandbox::Create(0), std::invalid_argument);
  EXPECT_THROW(Sandbox::Create(Sandbox::kMaxNodes + 1), std::invalid_argument);
}

}  // namespace
}  // namespace schism::harness
