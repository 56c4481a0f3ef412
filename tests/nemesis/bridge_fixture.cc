#include "tests/nemesis/bridge_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

#include "nemesis/netns_guard.h"

namespace schism::nemesis::testing {
namespace {

constexpr int kPort = 7000;
constexpr const char* kNoIpv6 =
    "sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1";

std::string Addr(int i) { return BridgeTest::Address(i); }
std::string Mac(int i) { return "02:00:00:00:00:0" + std::to_string(i + 1); }

sockaddr_in SockAddr(int i) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(kPort);
  ::inet_pton(AF_INET, Addr(i).c_str(), &addr.sin_addr);
  return addr;
}

}  // namespace

PortMap BridgeTest::Ports() {
  PortMap ports;
  for (int i = 0; i < kNodes; ++i) ports[Name(i)] = "v" + Name(i);
  return ports;
}

void BridgeTest::SetUp() {
  PrivateNetnsTest::SetUp();
  if (IsSkipped() || HasFatalFailure()) return;
  hub_ = NewNetnsFd();
  ASSERT_EQ(
      ShellIn(hub_, std::string(kNoIpv6) + " && ip link add br0 type bridge && ip link set br0 up"),
      0);
  const std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
  for (int i = 0; i < kNodes; ++i) {
    node_fd_[i] = NewNetnsFd();
    ASSERT_EQ(ShellIn(node_fd_[i], kNoIpv6), 0);
    const std::string port = "v" + Name(i);
    ASSERT_EQ(ShellIn(hub_, "ip link add " + port + " type veth peer name eth0 address " + Mac(i) +
                                " netns " + self + std::to_string(node_fd_[i]) +
                                " && ip link set " + port + " master br0 up"),
              0);
    std::string setup =
        "ip link set lo up && ip addr add " + Addr(i) + "/24 dev eth0 && ip link set eth0 up";
    // Static neighbours: no ARP, so a one-way cut stays one-way and the
    // bridge forwards nothing but the test's datagrams.
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
    const int buffer = 4 << 20;
    ::setsockopt(socket_[i], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof buffer);
    const sockaddr_in addr = SockAddr(i);
    ASSERT_EQ(::bind(socket_[i], reinterpret_cast<const sockaddr*>(&addr), sizeof addr), 0);
  }
}

void BridgeTest::TearDown() {
  for (int i = 0; i < kNodes; ++i) {
    if (socket_[i] >= 0) ::close(socket_[i]);
    if (node_fd_[i] >= 0) ::close(node_fd_[i]);
  }
  if (hub_ >= 0) ::close(hub_);
  PrivateNetnsTest::TearDown();
}

void BridgeTest::LearnMacs() {
  for (int src = 0; src < kNodes; ++src) {
    for (int dst = 0; dst < kNodes; ++dst) {
      if (src != dst) Send(src, dst, 0);
    }
  }
  for (int dst = 0; dst < kNodes; ++dst) Drain(dst, -1, 50);
}

void BridgeTest::Send(int src, int dst, std::uint32_t seq) {
  const sockaddr_in to = SockAddr(dst);
  unsigned char payload[5];
  payload[0] = static_cast<unsigned char>(src);
  std::memcpy(payload + 1, &seq, sizeof seq);
  ::sendto(socket_[src], payload, sizeof payload, 0, reinterpret_cast<const sockaddr*>(&to),
           sizeof to);
}

std::set<std::uint32_t> BridgeTest::Drain(int dst, int src, int wait_ms, int (*from)[kNodes]) {
  std::set<std::uint32_t> seqs;
  while (true) {
    pollfd fd = {socket_[dst], POLLIN, 0};
    if (::poll(&fd, 1, wait_ms) <= 0) return seqs;
    unsigned char payload[5];
    while (::recv(socket_[dst], payload, sizeof payload, 0) ==
           static_cast<ssize_t>(sizeof payload)) {
      const int sender = payload[0];
      if (from != nullptr && sender >= 0 && sender < kNodes) ++(*from)[sender];
      if (sender != src) continue;
      std::uint32_t seq = 0;
      std::memcpy(&seq, payload + 1, sizeof seq);
      seqs.insert(seq);
    }
  }
}

}  // namespace schism::nemesis::testing
