// Packet-level checks of the tbf bandwidth limit (root): a TCP bulk transfer
// between two node namespaces, its goodput measured at the receiver.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>

#include "nemesis/bandwidth.h"
#include "nemesis/netns_guard.h"
#include "nemesis/run_in_netns.h"
#include "tests/nemesis/bridge_fixture.h"

namespace schism::nemesis {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::uint16_t kTcpPort = 7100;
// TCP payload per full 1514-byte frame (20 IP + 32 TCP with timestamps + 14 Ethernet).
constexpr double kGoodputShare = 1448.0 / 1514.0;

class NemesisBandwidth : public testing::BridgeTest {
 protected:
  std::vector<BandwidthNode> Nodes() const {
    std::vector<BandwidthNode> nodes;
    for (int i = 0; i < kNodes; ++i) nodes.push_back({Name(i), node_fd_[i], "v" + Name(i)});
    return nodes;
  }

  // Returns the goodput in kbit/s of a TCP transfer from node `src` to node
  // `dst`, counted at the receiver over `window` after `warmup` (so the
  // bucket's initial burst and slow start are left out).
  double Goodput(int src, int dst, Clock::duration warmup, Clock::duration window) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(kTcpPort);
    ::inet_pton(AF_INET, Address(dst).c_str(), &addr.sin_addr);
    const auto* sa = reinterpret_cast<const sockaddr*>(&addr);
    int listener = -1, client = -1;
    {
      ScopedNetns in(node_fd_[dst]);
      listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    {
      ScopedNetns in(node_fd_[src]);
      client = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    }
    const int one = 1;
    ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    EXPECT_EQ(::bind(listener, sa, sizeof addr), 0);
    EXPECT_EQ(::listen(listener, 1), 0);
    EXPECT_EQ(::connect(client, sa, sizeof addr), 0);
    const int server = ::accept(listener, nullptr, nullptr);
    EXPECT_GE(server, 0);
    ::close(listener);

    std::atomic<bool> stop{false};
    std::thread sender([&] {
      const timeval timeout = {0, 50'000};  // so the loop sees `stop` while the buffer is full
      ::setsockopt(client, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
      static char chunk[16384] = {};
      while (!stop.load()) {  // Ends when the receiver has measured long enough.
        if (::send(client, chunk, sizeof chunk, MSG_NOSIGNAL) < 0 && errno != EAGAIN &&
            errno != EINTR) {
          break;
        }
      }
    });
    static char buffer[65536];
    std::uint64_t counted = 0;
    const Clock::time_point started = Clock::now();
    const Clock::time_point from = started + warmup, until = from + window;
    while (Clock::now() < until) {  // bounded by `until`
      pollfd fd = {server, POLLIN, 0};
      if (::poll(&fd, 1, 20) <= 0) continue;
      const ssize_t n = ::recv(server, buffer, sizeof buffer, MSG_DONTWAIT);
      if (n <= 0) continue;
      const Clock::time_point now = Clock::now();
      if (now >= from && now < until) counted += static_cast<std::uint64_t>(n);
    }
    stop = true;
    sender.join();
    ::close(client);
    ::close(server);
    return static_cast<double>(counted) * 8.0 / 1000.0 /
           std::chrono::duration<double>(window).count();
  }

  std::string QdiscsOf(int netns_fd) {
    return RunInNetns(netns_fd, {"tc", "qdisc", "show"}).output;
  }
};

TEST_F(NemesisBandwidth, LimitsWhatANodeReceives) {
  BandwidthLimiter limiter(hub_, Nodes());
  for (std::uint64_t kbit : {1000, 4000}) {
    limiter.Set("n2", kbit);
    const double measured = Goodput(0, 1, std::chrono::milliseconds(400), std::chrono::seconds(2));
    const double expected = static_cast<double>(kbit) * kGoodputShare;
    std::printf(
        "n1->n2 with n2 at %llu kbit/s: goodput %.0f kbit/s (%.1f %% of the frame rate's %.0f)\n",
        static_cast<unsigned long long>(kbit), measured, 100.0 * measured / expected, expected);
    RecordProperty("goodput_kbit_at_" + std::to_string(kbit), std::to_string(measured));
    EXPECT_NEAR(measured, expected, 0.2 * expected);
  }
  EXPECT_EQ(limiter.Limits(), (std::map<std::string, std::uint64_t>{{"n2", 4000}}));
  EXPECT_NE(QdiscsOf(hub_).find("tbf"), std::string::npos);
  EXPECT_NE(QdiscsOf(node_fd_[1]).find("tbf"), std::string::npos);
}

TEST_F(NemesisBandwidth, LimitsWhatANodeSendsAndClearLiftsIt) {
  BandwidthLimiter limiter(hub_, Nodes());
  limiter.Set("n2", 1000);
  const double measured = Goodput(1, 0, std::chrono::milliseconds(400), std::chrono::seconds(2));
  std::printf("n2->n1 with n2 at 1000 kbit/s: goodput %.0f kbit/s\n", measured);
  EXPECT_NEAR(measured, 1000 * kGoodputShare, 200 * kGoodputShare);

  limiter.Clear("n2");
  EXPECT_TRUE(limiter.Limits().empty());
  EXPECT_EQ(QdiscsOf(hub_).find("tbf"), std::string::npos) << QdiscsOf(hub_);
  EXPECT_EQ(QdiscsOf(node_fd_[1]).find("tbf"), std::string::npos) << QdiscsOf(node_fd_[1]);
  const double free = Goodput(1, 0, std::chrono::milliseconds(100), std::chrono::milliseconds(300));
  std::printf("n2->n1 after Clear: goodput %.0f kbit/s\n", free);
  EXPECT_GT(free, 40'000.0);
  limiter.Clear("n2");  // nothing to do: no error

  // The destructor lifts what is left.
  {
    BandwidthLimiter other(hub_, Nodes());
    other.Set("n1", 2000);
    other.Set("n3", 2000);
  }
  EXPECT_EQ(QdiscsOf(hub_).find("tbf"), std::string::npos) << QdiscsOf(hub_);
  for (int i = 0; i < kNodes; ++i) EXPECT_EQ(QdiscsOf(node_fd_[i]).find("tbf"), std::string::npos);
}

TEST_F(NemesisBandwidth, RejectsBadInputWithAClearMessage) {
  BandwidthLimiter limiter(hub_, Nodes());
  auto message = [&](const std::string& node, std::uint64_t kbit) -> std::string {
    try {
      limiter.Set(node, kbit);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_EQ(message("n2", 0), "bandwidth n2: rate 0 kbit/s is outside 8..100000000");
  EXPECT_EQ(message("n9", 1000), "bandwidth: unknown node \"n9\" (nodes: n1 n2 n3)");
  EXPECT_THROW(limiter.Clear("n9"), std::invalid_argument);
  EXPECT_TRUE(limiter.Limits().empty());
  EXPECT_EQ(QdiscsOf(hub_).find("tbf"), std::string::npos);

  // A node whose device does not exist: tc's own message reaches the user.
  std::vector<BandwidthNode> nodes = Nodes();
  nodes[0].hub_port = "vn9";
  BandwidthLimiter broken(hub_, nodes);
  try {
    broken.Set("n1", 1000);
    ADD_FAILURE() << "tc accepted a missing device";
  } catch (const std::runtime_error& e) {
    std::printf("%s\n", e.what());
    EXPECT_NE(std::string(e.what()).find("tc qdisc replace dev vn9 root tbf"), std::string::npos);
  }
  EXPECT_TRUE(broken.Limits().empty());
  EXPECT_EQ(QdiscsOf(node_fd_[0]).find("tbf"), std::string::npos);
}

}  // namespace
}  // namespace schism::nemesis
