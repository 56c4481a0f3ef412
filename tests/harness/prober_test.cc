// The Prober on real processes outside any namespace (no root): what it
// observes, how probes fail, and that nothing it started outlives a timeout
// or Stop().
#include "harness/prober.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>
#include <string>
#include <vector>

#include <boost/asio.hpp>

#include "harness/probe_reader.h"
#include "harness/real_seams.h"
#include "run_support.h"

namespace schism::harness {
namespace {
using namespace std::chrono_literals;
using ::testing::HasSubstr;
using schism::testing::ReadFile;
using schism::testing::TempDir;

struct Seen {
  std::size_t k;
  Observation o;
  double sent, at;
};
struct Failed {
  std::size_t k;
  std::string why;
  bool timed_out;
  double sent, at;
};

class ProberTest : public ::testing::Test {
 protected:
  ProbeTarget Target(const std::string& script) {
    ProbeTarget t;
    t.argv = {"/bin/sh", "-c", script};
    t.log = tmp_.path() / ("probe" + std::to_string(logs_++) + ".log");
    return t;
  }
  // Runs `targets` every `every` with `timeout` until `run_for` has passed.
  void Run(std::vector<ProbeTarget> targets, std::chrono::milliseconds every,
           std::chrono::milliseconds timeout, std::chrono::milliseconds run_for) {
    prober_ = std::make_unique<Prober>(
        io_, timers_, std::move(targets), every, timeout, reader_,
        [this](std::size_t k, const Observation& o, double sent) {
          seen_.push_back({k, o, sent, timers_.Now()});
        },
        [this](std::size_t k, const std::string& why, bool timed_out, double sent) {
          failed_.push_back({k, why, timed_out, sent, timers_.Now()});
        });
    prober_->Start();
    boost::asio::steady_timer stop(io_, run_for);
    stop.async_wait([this](boost::system::error_code) {
      prober_->Stop();
      io_.stop();
    });
    io_.run();
  }

  TempDir tmp_;
  int logs_ = 0;
  boost::asio::io_context io_;
  AsioTimers timers_{io_, AsioTimers::Clock::now()};
  JsonProbeReader reader_{{"n1", "n2", "n3"}};
  std::unique_ptr<Prober> prober_;
  std::vector<Seen> seen_;
  std::vector<Failed> failed_;
};

TEST_F(ProberTest, ObservesEveryNodeAndSaysWhyAProbeFailed) {
  Run({Target(R"(echo '{"role":"leader","term":4}')"), Target("echo garbage"),
       Target("echo oops >&2; exit 3")},
      50ms, 1000ms, 400ms);
  ASSERT_FALSE(seen_.empty());
  for (const Seen& s : seen_) {
    EXPECT_EQ(s.k, 0u);
    EXPECT_EQ(s.o.role, histories::Role::kLeader);
    EXPECT_EQ(s.o.term, 4u);
    EXPECT_LE(s.sent, s.at);
  }
  std::size_t garbage = 0, exits = 0;
  for (const Failed& f : failed_) {
    EXPECT_FALSE(f.timed_out);
    if (f.k == 1) {
      ++garbage;
      EXPECT_EQ(f.why, "printed no observation: not a JSON object: garbage");
    } else {
      ASSERT_EQ(f.k, 2u);
      ++exits;
      EXPECT_EQ(f.why, "exit status 3");
    }
  }
  EXPECT_GE(garbage, 1u);
  EXPECT_GE(exits, 1u);
  EXPECT_EQ(prober_->counts(0).observed, seen_.size());
  EXPECT_EQ(prober_->counts(1).failed, garbage);
  EXPECT_GE(prober_->counts(2).sent, exits);
  EXPECT_THAT(ReadFile(tmp_.path() / "probe2.log"), HasSubstr("oops\n")) << "stderr is kept";
}

// The pids a probe script wrote, one per line: itself and its child.
std::vector<pid_t> Pids(const std::filesystem::path& file) {
  std::vector<pid_t> pids;
  std::istringstream in(ReadFile(file));
  for (pid_t pid; in >> pid;) pids.push_back(pid);
  return pids;
}

// Whether any of `pids` still runs (a zombie does not) after up to a second.
bool AnyAlive(const std::vector<pid_t>& pids) {
  for (int i = 0; i < 100; ++i) {
    bool any = false;
    for (pid_t pid : pids) any = any || schism::testing::PidAlive(pid);
    if (!any) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

TEST_F(ProberTest, AProbePastItsTimeoutIsKilledWithEverythingItStarted) {
  const std::string pid_file = (tmp_.path() / "pids").string();
  // The probe and a child of its own, both sleeping far past the timeout.
  Run({Target("echo $$ > " + pid_file + "; sleep 30 & echo $! >> " + pid_file + "; wait")},
      5000ms, 400ms, 900ms);
  ASSERT_EQ(failed_.size(), 1u);
  EXPECT_TRUE(failed_[0].timed_out);
  EXPECT_EQ(failed_[0].why, "no answer within 400 ms");
  EXPECT_GE(failed_[0].at - failed_[0].sent, 0.4);
  EXPECT_EQ(prober_->counts(0).timed_out, 1u);
  const std::vector<pid_t> pids = Pids(pid_file);
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_FALSE(AnyAlive(pids)) << "the probe and its child are gone";
}

TEST_F(ProberTest, StopKillsAProbeInFlightAndDropsItsAnswer) {
  const std::string pid_file = (tmp_.path() / "pids").string();
  Run({Target("echo $$ > " + pid_file + "; sleep 30 & echo $! >> " + pid_file +
              R"(; wait; echo '{"role":"leader"}')")},
      5000ms, 5000ms, 600ms);
  EXPECT_TRUE(seen_.empty());
  EXPECT_TRUE(failed_.empty()) << "stopped, not failed";
  const std::vector<pid_t> pids = Pids(pid_file);
  ASSERT_EQ(pids.size(), 2u);
  EXPECT_FALSE(AnyAlive(pids));
}

}  // namespace
}  // namespace schism::harness
