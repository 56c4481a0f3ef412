// Packet-level checks of the NFQUEUE delay (root): real UDP datagrams across
// the hub's bridge, each carrying its CLOCK_MONOTONIC send time, stamped again
// when the receiving namespace's socket hands it over. The clock is shared by
// every namespace, so the difference is the one-way delay.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <thread>

#include "nemesis/delay.h"
#include "nemesis/run_in_netns.h"
#include "tests/nemesis/bridge_fixture.h"

namespace schism::nemesis {
namespace {

std::int64_t NowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1'000'000'000LL + ts.tv_nsec;
}

// What one receiver saw, in arrival order.
struct OneWay {
  std::vector<std::uint32_t> seqs;
  std::vector<double> delays_ms;

  double Mean() const {
    double sum = 0;
    for (double d : delays_ms) sum += d;
    return delays_ms.empty() ? std::numeric_limits<double>::quiet_NaN()
                             : sum / static_cast<double>(delays_ms.size());
  }
  double Max() const {
    return delays_ms.empty() ? 0 : *std::max_element(delays_ms.begin(), delays_ms.end());
  }
  // Datagrams that arrived after one with a higher sequence number.
  int Inversions() const {
    int inversions = 0;
    std::int64_t highest = -1;
    for (std::uint32_t seq : seqs) {
      if (static_cast<std::int64_t>(seq) < highest) {
        ++inversions;
      } else {
        highest = seq;
      }
    }
    return inversions;
  }
};

class NemesisDelayPackets : public testing::BridgeTest {
 protected:
  static constexpr std::uint16_t kPort = 7000;  // where BridgeTest's sockets are bound

  std::vector<DelayNode> Nodes() const {
    std::vector<DelayNode> nodes;
    for (int i = 0; i < kNodes; ++i) nodes.push_back({Name(i), node_fd_[i], Address(i)});
    return nodes;
  }

  void SendStamped(int src, int dst, std::uint32_t seq) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(kPort);
    to.sin_addr.s_addr = htonl((10u << 24) | (9u << 16) | static_cast<std::uint32_t>(dst + 1));
    unsigned char payload[13];
    payload[0] = static_cast<unsigned char>(src);
    std::memcpy(payload + 1, &seq, sizeof seq);
    const std::int64_t now = NowNs();
    std::memcpy(payload + 5, &now, sizeof now);
    ::sendto(socket_[src], payload, sizeof payload, 0, reinterpret_cast<const sockaddr*>(&to),
             sizeof to);
  }

  // Sends `count` stamped datagrams from `src` to `dst`, one every
  // `interval_us`, while a second thread receives them; waits for all of them
  // at most `wait_ms` after the last send.
  OneWay Measure(int src, int dst, std::uint32_t count, int interval_us, int wait_ms = 500) {
    OneWay seen;
    std::atomic<std::int64_t> give_up_ns{std::numeric_limits<std::int64_t>::max()};
    std::thread receiver([&] {
      // Ends when every datagram is in or `wait_ms` after the last send.
      while (seen.seqs.size() < count && NowNs() < give_up_ns.load()) {
        pollfd fd = {socket_[dst], POLLIN, 0};
        if (::poll(&fd, 1, 5) <= 0) continue;
        unsigned char payload[13];
        while (::recv(socket_[dst], payload, sizeof payload, 0) ==
               static_cast<ssize_t>(sizeof payload)) {
          const std::int64_t now = NowNs();
          if (payload[0] != src) continue;
          std::uint32_t seq = 0;
          std::int64_t sent = 0;
          std::memcpy(&seq, payload + 1, sizeof seq);
          std::memcpy(&sent, payload + 5, sizeof sent);
          seen.seqs.push_back(seq);
          seen.delays_ms.push_back(static_cast<double>(now - sent) / 1e6);
        }
      }
    });
    timespec next{};
    ::clock_gettime(CLOCK_MONOTONIC, &next);
    for (std::uint32_t seq = 0; seq < count; ++seq) {
      SendStamped(src, dst, seq);
      next.tv_nsec += interval_us * 1000L;
      if (next.tv_nsec >= 1'000'000'000L) {
        next.tv_nsec -= 1'000'000'000L;
        ++next.tv_sec;
      }
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
    give_up_ns = NowNs() + wait_ms * 1'000'000LL;
    receiver.join();
    return seen;
  }

  static bool HasSchismRules(const std::string& saved) {
    return saved.find("SCHISM") != std::string::npos || saved.find("NFQUEUE") != std::string::npos;
  }

  void ExpectNothingLeft() {
    for (int i = 0; i < kNodes; ++i) {
      const std::string saved = testing::IptablesSaveIn(node_fd_[i]);
      EXPECT_FALSE(HasSchismRules(saved)) << Name(i) << ":\n" << saved;
      // Per-namespace list of bound queues: empty once the delayer is gone.
      const ToolResult queues =
          RunInNetns(node_fd_[i], {"cat", "/proc/net/netfilter/nfnetlink_queue"});
      EXPECT_EQ(queues.output, "") << Name(i);
    }
  }
};

TEST_F(NemesisDelayPackets, DelaysOnlyTheNamedPair) {
  PacketDelayer delayer(Nodes(), 42);
  LearnMacs();
  delayer.Set({{"n1", "n2", 40, 0}});

  const OneWay delayed = Measure(0, 1, 250, 2000);
  std::printf("n1->n2 asked 40 ms: %zu arrived, mean %.2f ms, max %.2f ms\n", delayed.seqs.size(),
              delayed.Mean(), delayed.Max());
  RecordProperty("measured_delay_ms", std::to_string(delayed.Mean()));
  ASSERT_EQ(delayed.seqs.size(), 250u);
  EXPECT_NEAR(delayed.Mean(), 40.0, 8.0);
  EXPECT_EQ(delayed.Inversions(), 0) << "no jitter, so no reordering";

  for (auto [src, dst] : {std::pair{0, 2}, std::pair{1, 0}, std::pair{2, 1}}) {
    const OneWay plain = Measure(src, dst, 100, 1000);
    std::printf("%s->%s not delayed: mean %.3f ms, max %.3f ms\n", Name(src).c_str(),
                Name(dst).c_str(), plain.Mean(), plain.Max());
    EXPECT_EQ(plain.seqs.size(), 100u);
    EXPECT_LT(plain.Mean(), 5.0) << Name(src) << "->" << Name(dst);
  }

  // What the delayer says it did agrees with what the receiver measured.
  const auto stats = delayer.Stats();
  ASSERT_EQ(stats.size(), 1u);
  const PacketDelayer::PairStats& s = stats[0];
  std::printf(
      "stats n1->n2: %llu packets, mean %.3f p50 %.3f p95 %.3f max %.3f ms, %llu reordered\n",
      static_cast<unsigned long long>(s.packets), s.mean_ms, s.p50_ms, s.p95_ms, s.max_ms,
      static_cast<unsigned long long>(s.reordered));
  EXPECT_EQ(s.from, "n1");
  EXPECT_EQ(s.to, "n2");
  EXPECT_EQ(s.packets, 250u);
  EXPECT_NEAR(s.mean_ms, delayed.Mean(), 2.0);
  EXPECT_GE(s.p50_ms, 40.0);
  EXPECT_LT(s.p95_ms, 48.0);
  EXPECT_EQ(s.reordered, 0u);
}

TEST_F(NemesisDelayPackets, JitterReordersAroundTheMean) {
  PacketDelayer delayer(Nodes(), 7);
  LearnMacs();
  delayer.Set({{"n1", "n2", 30, 20}});

  const OneWay seen = Measure(0, 1, 400, 1000);
  std::printf("n1->n2 asked 30 +- 20 ms: %zu arrived, mean %.2f ms, max %.2f ms, %d inversions\n",
              seen.seqs.size(), seen.Mean(), seen.Max(), seen.Inversions());
  ASSERT_EQ(seen.seqs.size(), 400u);
  EXPECT_NEAR(seen.Mean(), 30.0, 6.0);
  EXPECT_GT(seen.Inversions(), 0);

  const auto stats = delayer.Stats();
  ASSERT_EQ(stats.size(), 1u);
  std::printf("stats: mean %.3f p50 %.3f p95 %.3f max %.3f ms, %llu reordered\n", stats[0].mean_ms,
              stats[0].p50_ms, stats[0].p95_ms, stats[0].max_ms,
              static_cast<unsigned long long>(stats[0].reordered));
  EXPECT_EQ(stats[0].packets, 400u);
  EXPECT_GT(stats[0].reordered, 0u);
  EXPECT_NEAR(stats[0].mean_ms, 30.0, 3.0);
  EXPECT_NEAR(stats[0].p50_ms, 30.0, 6.0);
  EXPECT_GT(stats[0].p95_ms, 40.0);  // uniform on [10, 50): p95 near 48
  // No bound on max: on a loaded machine the thread itself may wait for a CPU.
}

TEST_F(NemesisDelayPackets, SetReplacesAndClearRemovesEverything) {
  PacketDelayer delayer(Nodes(), 1);
  LearnMacs();
  delayer.Set({{"n1", "n2", 40, 0}, {"n2", "n1", 40, 0}});
  EXPECT_NEAR(Measure(1, 0, 50, 2000).Mean(), 40.0, 8.0);

  // A new Set replaces the pairs: n1->n2 and n2->n1 are free again.
  delayer.Set({{"n3", "n2", 40, 0}});
  EXPECT_NEAR(Measure(2, 1, 50, 2000).Mean(), 40.0, 8.0);
  EXPECT_LT(Measure(0, 1, 50, 1000).Mean(), 5.0);
  EXPECT_LT(Measure(1, 0, 50, 1000).Mean(), 5.0);
  EXPECT_FALSE(HasSchismRules(testing::IptablesSaveIn(node_fd_[0])));
  EXPECT_TRUE(HasSchismRules(testing::IptablesSaveIn(node_fd_[1])));

  // Packets held when Clear is called are released at once, not at 800 ms.
  delayer.Set({{"n1", "n2", 800, 0}});
  for (std::uint32_t seq = 0; seq < 20; ++seq) SendStamped(0, 1, seq);
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  delayer.Clear();
  const std::int64_t cleared = NowNs();
  int arrived = 0;
  for (int round = 0; round < 40 && arrived < 20; ++round) {  // at most 400 ms
    pollfd fd = {socket_[1], POLLIN, 0};
    if (::poll(&fd, 1, 10) <= 0) continue;
    unsigned char payload[13];
    while (::recv(socket_[1], payload, sizeof payload, 0) > 0) ++arrived;
  }
  EXPECT_EQ(arrived, 20);
  EXPECT_LT((NowNs() - cleared) / 1'000'000, 300) << "held packets waited for their due time";

  EXPECT_LT(Measure(0, 1, 100, 1000).Mean(), 5.0);
  for (int i = 0; i < kNodes; ++i) {
    EXPECT_FALSE(HasSchismRules(testing::IptablesSaveIn(node_fd_[i]))) << Name(i);
  }
  EXPECT_TRUE(delayer.Pairs().empty());
  ASSERT_EQ(delayer.Stats().size(), 1u) << "Clear keeps the stats of the last Set";
}

TEST_F(NemesisDelayPackets, DestructorReleasesHeldPacketsAndLeavesNothing) {
  LearnMacs();
  std::int64_t destroyed = 0;
  {
    PacketDelayer delayer(Nodes(), 3);
    delayer.Set({{"n1", "n2", 2000, 0}, {"n3", "n2", 2000, 0}});
    for (std::uint32_t seq = 0; seq < 50; ++seq) {
      SendStamped(0, 1, seq);
      SendStamped(2, 1, seq);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    pollfd fd = {socket_[1], POLLIN, 0};
    EXPECT_EQ(::poll(&fd, 1, 0), 0) << "the packets should be held";
    destroyed = NowNs();
  }
  int arrived = 0;
  for (int round = 0; round < 50 && arrived < 100; ++round) {  // at most 500 ms
    pollfd fd = {socket_[1], POLLIN, 0};
    if (::poll(&fd, 1, 10) <= 0) continue;
    unsigned char payload[13];
    while (::recv(socket_[1], payload, sizeof payload, 0) > 0) ++arrived;
  }
  EXPECT_EQ(arrived, 100) << "the destructor must accept what it held, not drop it";
  EXPECT_LT((NowNs() - destroyed) / 1'000'000, 1000);
  ExpectNothingLeft();
  EXPECT_LT(Measure(0, 1, 50, 1000).Mean(), 5.0);
}

TEST_F(NemesisDelayPackets, RejectsBadInputWithAClearMessage) {
  PacketDelayer delayer(Nodes(), 1);
  auto message = [&](const std::vector<PairDelay>& pairs) -> std::string {
    try {
      delayer.Set(pairs);
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "no exception";
  };
  EXPECT_EQ(message({{"n1", "n9", 10, 0}}), "delay n1->n9: unknown node \"n9\" (nodes: n1 n2 n3)");
  EXPECT_EQ(message({{"n1", "n2", -5, 0}}), "delay n1->n2: delay -5 ms is negative");
  EXPECT_EQ(message({{"n1", "n2", 5, -1}}), "delay n1->n2: jitter -1 ms is negative");
  EXPECT_EQ(message({{"n2", "n2", 5, 0}}), "delay n2->n2: a node cannot delay itself");
  EXPECT_EQ(message({{"n1", "n2", std::nan(""), 0}}),
            "delay n1->n2: delay and jitter must be finite numbers of ms");
  EXPECT_EQ(message({{"n1", "n2", 59000, 2000}}),
            "delay n1->n2: delay + jitter = 61000 ms exceeds the limit of 60000 ms");
  EXPECT_EQ(message({{"n1", "n2", 5, 0}, {"n1", "n2", 6, 0}}),
            "delay n1->n2: the pair is given twice");
  // Nothing was installed by any of them.
  for (int i = 0; i < kNodes; ++i)
    EXPECT_FALSE(HasSchismRules(testing::IptablesSaveIn(node_fd_[i])));

  // A bad node list, and a second delayer on queues that are taken.
  std::vector<DelayNode> bad = Nodes();
  bad[1].addr = "10.9.0";
  EXPECT_THROW(PacketDelayer(bad, 1), std::invalid_argument);
  try {
    PacketDelayer second(Nodes(), 1);
    ADD_FAILURE() << "a second delayer bound the same queues";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot bind NFQUEUE 7301"), std::string::npos)
        << e.what();
  }
}

// CPU seconds (user + system) the thread named `name` of this process has used.
double ThreadCpuSeconds(const std::string& name) {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string line;
    if (!std::getline(comm, line) || line != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    std::istringstream fields(text.substr(text.rfind(')') + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14 || i == 15) ticks += std::stod(field);  // utime, stime
    }
    return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  return 0;
}

// Not a check: measures how many packets per second the delay thread can
// hold (docs/_drafts/delay.md). Run with --gtest_also_run_disabled_tests.
TEST_F(NemesisDelayPackets, DISABLED_Throughput) {
  LearnMacs();
  for (int rate : {5'000, 10'000, 20'000, 40'000, 80'000}) {
    PacketDelayer delayer(Nodes(), 5);
    delayer.Set({{"n1", "n2", 10, 0}});
    std::atomic<std::uint64_t> received{0};
    std::atomic<bool> stop{false};
    std::thread receiver([&] {
      while (!stop.load()) {  // Ends after the sender and a grace period.
        pollfd fd = {socket_[1], POLLIN, 0};
        if (::poll(&fd, 1, 5) <= 0) continue;
        unsigned char payload[13];
        while (::recv(socket_[1], payload, sizeof payload, 0) > 0) ++received;
      }
    });
    const double cpu_before = ThreadCpuSeconds("schism-delay");
    const std::int64_t start = NowNs();
    std::uint64_t sent = 0;
    for (int ms = 1; ms <= 1000; ++ms) {  // one second, paced per millisecond
      const std::uint64_t due =
          static_cast<std::uint64_t>(rate) * static_cast<std::uint64_t>(ms) / 1000;
      while (sent < due) SendStamped(0, 1, static_cast<std::uint32_t>(sent++));
      const timespec next = {static_cast<time_t>((start + ms * 1'000'000LL) / 1'000'000'000),
                             static_cast<long>((start + ms * 1'000'000LL) % 1'000'000'000)};
      ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
    const double elapsed = static_cast<double>(NowNs() - start) / 1e9;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    const double cpu = ThreadCpuSeconds("schism-delay") - cpu_before;
    stop = true;
    receiver.join();
    const auto s = delayer.Stats().at(0);
    std::printf(
        "offered %6d pkt/s: sent %6llu received %6llu held %6llu (%.0f held/s), hold mean %.2f "
        "p95 %.2f max %.2f ms, delay thread CPU %.0f %%\n",
        rate, static_cast<unsigned long long>(sent),
        static_cast<unsigned long long>(received.load()),
        static_cast<unsigned long long>(s.packets), static_cast<double>(s.packets) / elapsed,
        s.mean_ms, s.p95_ms, s.max_ms, 100.0 * cpu / elapsed);
  }
}

}  // namespace
}  // namespace schism::nemesis
