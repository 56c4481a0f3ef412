// Per-node cgroups (nemesis/cgroup.h) with real processes started the way the
// harness starts nodes (Boost.Process v2 + harness::ChildSetup). Needs root
// and cgroup v2; skips, with the reason, without them.
//
// The test process makes itself a child subreaper, so that processes orphaned
// by a kill (a node's children, a janitor whose controller died) come back to
// it and are reaped here instead of lingering as zombies.
#include "nemesis/cgroup.h"

#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/process/v2.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness/spawn.h"
#include "run_support.h"
#include "tests/requirements.h"

namespace schism::testing {
namespace {
using namespace std::chrono_literals;
namespace bp = boost::process::v2;
namespace fs = std::filesystem;
using nemesis::CgroupOptions;
using nemesis::NodeCgroups;
using Clock = std::chrono::steady_clock;

// What the cgroup tests need, for the message when it is missing.
constexpr const char* kCgroupV2 = "a usable cgroup v2 hierarchy (";
constexpr const char* kCgroupV2How =
    "): the unified hierarchy mounted read-write at /sys/fs/cgroup (in a container: "
    "--privileged --cgroupns=private); see docs/mechanisms/cgroup.md";

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

// Polls `done` every 5 ms until it holds or `limit` passes; returns its last value.
template <class F>
bool Eventually(F done, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// Field `index` (1-based, as in proc(5)) of /proc/<pid>/stat, "" when gone.
std::string StatField(pid_t pid, int index) {
  std::string line = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  std::size_t close = line.rfind(')');
  if (close == std::string::npos) return "";
  if (index == 2) return line.substr(line.find('(') + 1, close - line.find('(') - 1);
  std::istringstream rest(line.substr(close + 2));
  std::string field;
  for (int i = 3; i <= index && rest >> field; ++i) {
  }
  return field;
}

// The path of the "0::" line of /proc/<pid>/cgroup.
std::string CgroupOf(const std::string& pid) {
  std::istringstream in(ReadFile("/proc/" + pid + "/cgroup"));
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  }
  return "";
}

// The "0::" path a process put into `node` of `cg` shows.
std::string ExpectedCgroupPath(const NodeCgroups& cg, const std::string& node) {
  std::string own = CgroupOf("self");
  if (own == "/") own.clear();
  return own + "/" + fs::path(cg.run_dir()).filename().string() + "/" + node;
}

bool EventsSay(const NodeCgroups& cg, const std::string& node, const std::string& line) {
  return ("\n" + ReadFile(cg.Dir(node) + "/cgroup.events")).find("\n" + line + "\n") !=
         std::string::npos;
}

// Reaps every exited child (the subreaper's orphans included); returns their pids.
std::set<pid_t> ReapExited() {
  std::set<pid_t> reaped;
  for (pid_t p; (p = waitpid(-1, nullptr, WNOHANG)) > 0;) reaped.insert(p);
  return reaped;
}

// `sh -c script` in `node`'s cgroup, stdout to `stdout_fd` (or /dev/null).
std::unique_ptr<bp::process> SpawnShell(boost::asio::io_context& ctx, const NodeCgroups& cg,
                                        const std::string& node, const std::string& script,
                                        int stdout_fd = -1) {
  std::vector<std::string> args{"-c", script};
  harness::ChildSetup setup{.cgroup_procs_fd = cg.ProcsFd(node)};
  if (stdout_fd >= 0) {
    return std::make_unique<bp::process>(ctx, "/bin/sh", args,
                                         bp::process_stdio{nullptr, stdout_fd, nullptr}, setup);
  }
  return std::make_unique<bp::process>(ctx, "/bin/sh", args,
                                       bp::process_stdio{nullptr, nullptr, nullptr}, setup);
}

class NemesisCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    SCHISM_REQUIRE_ROOT();
    ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    std::string why;
    cgroups_ = NodeCgroups::Create({"n1", "n2"}, &why);
    SCHISM_REQUIRE(cgroups_.has_value(), kCgroupV2 << why << kCgroupV2How);
  }
  void TearDown() override {
    cgroups_.reset();
    proc_.reset();
    Eventually(
        [] {
          ReapExited();
          return waitpid(-1, nullptr, WNOHANG) < 0;
        },
        2s);
  }

  // Starts `sh -c 'sleep 100 & setsid sleep 100 & wait'` in n1 and returns the
  // three pids once both sleeps run; checks that one sleep left the session.
  std::vector<pid_t> StartTree(NodeCgroups& cg) {
    proc_ = SpawnShell(ctx_, cg, "n1", "sleep 100 & setsid sleep 100 & wait");
    std::vector<pid_t> pids;
    bool up = Eventually(
        [&] {
          pids = cg.Pids("n1");
          int sleeps = 0;
          for (pid_t p : pids) sleeps += StatField(p, 2) == "sleep";
          return pids.size() == 3 && sleeps == 2;
        },
        3s);
    EXPECT_TRUE(up) << "the tree did not come up";
    std::set<std::string> sessions;
    for (pid_t p : pids) sessions.insert(StatField(p, 6));
    EXPECT_EQ(sessions.size(), 2u) << "one sleep runs in a session of its own";
    return pids;
  }

  void ExpectKillEndsTheTree(NodeCgroups& cg, const char* how) {
    std::vector<pid_t> pids = StartTree(cg);
    auto start = Clock::now();
    EXPECT_TRUE(cg.Kill("n1"));
    double ms = MsSince(start);
    std::printf("[ measure  ] Kill (%s) of a 3-process tree: %.2f ms\n", how, ms);
    RecordProperty("kill_ms", std::to_string(ms));
    for (pid_t p : pids) EXPECT_FALSE(PidAlive(p)) << "pid " << p << " survived Kill";
    EXPECT_TRUE(EventsSay(cg, "n1", "populated 0"));
    EXPECT_TRUE(cg.Pids("n1").empty());
    EXPECT_FALSE(cg.Frozen("n1")) << "Kill leaves the cgroup thawed for a restart";
    boost::system::error_code ignored;
    proc_->wait(ignored);
  }

  boost::asio::io_context ctx_;
  std::optional<NodeCgroups> cgroups_;
  std::unique_ptr<bp::process> proc_;
};

TEST_F(NemesisCgroup, AProcessJoinsItsNodeCgroup) {
  proc_ = SpawnShell(ctx_, *cgroups_, "n1", "exec sleep 100");
  const pid_t pid = proc_->id();
  EXPECT_EQ(CgroupOf(std::to_string(pid)), ExpectedCgroupPath(*cgroups_, "n1"));
  EXPECT_EQ(cgroups_->Pids("n1"), std::vector<pid_t>{pid});
  EXPECT_TRUE(cgroups_->Pids("n2").empty());
  EXPECT_TRUE(cgroups_->Kill("n1"));
  boost::system::error_code ignored;
  proc_->wait(ignored);
}

TEST_F(NemesisCgroup, AFrozenNodeMakesNoProgressAndCannotTell) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0);
  proc_ = SpawnShell(ctx_, *cgroups_, "n1",
                     "i=0; while :; do i=$((i+1)); echo $i; sleep 0.01; done", fds[1]);
  close(fds[1]);
  ASSERT_EQ(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
  long last = 0;
  std::string partial;
  auto drain = [&] {  // reads what is there; returns whether anything was
    bool any = false;
    char buf[4096];
    for (ssize_t n; (n = read(fds[0], buf, sizeof buf)) > 0;) {
      any = true;
      partial.append(buf, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = partial.find('\n')) != std::string::npos;
           partial.erase(0, nl + 1)) {
        last = std::stol(partial.substr(0, nl));
      }
    }
    return any;
  };
  ASSERT_TRUE(Eventually(
      [&] {
        drain();
        return last >= 5;
      },
      3s))
      << "the counter never ran";

  auto start = Clock::now();
  ASSERT_TRUE(cgroups_->Freeze("n1"));
  double ms = MsSince(start);
  std::printf("[ measure  ] Freeze until \"frozen 1\": %.2f ms\n", ms);
  RecordProperty("freeze_ms", std::to_string(ms));
  EXPECT_TRUE(cgroups_->Frozen("n1"));
  EXPECT_TRUE(EventsSay(*cgroups_, "n1", "frozen 1"));
  drain();
  const long frozen_at = last;

  // Unlike SIGSTOP: no state T (a frozen task shows S, or briefly R when a
  // signal wakes it inside the freezer), and the parent is told of no stop.
  const pid_t sh = proc_->id();
  const std::string state = StatField(sh, 3);
  EXPECT_TRUE(state != "T" && state != "t" && !state.empty()) << "state " << state;
  siginfo_t info{};
  ASSERT_EQ(waitid(P_PID, static_cast<id_t>(sh), &info, WSTOPPED | WNOHANG | WNOWAIT), 0);
  EXPECT_EQ(info.si_pid, 0) << "the parent saw a stop";

  std::this_thread::sleep_for(300ms);
  EXPECT_FALSE(drain()) << "the counter moved while frozen";
  EXPECT_EQ(last, frozen_at);

  cgroups_->Thaw("n1");
  EXPECT_FALSE(cgroups_->Frozen("n1"));
  EXPECT_TRUE(Eventually(
      [&] {
        drain();
        return last > frozen_at;
      },
      2s))
      << "no progress after Thaw";
  EXPECT_TRUE(cgroups_->Kill("n1"));
  close(fds[0]);
  boost::system::error_code ignored;
  proc_->wait(ignored);
}

TEST_F(NemesisCgroup, KillEndsTheWholeTreeEvenASetsidChild) {
  ExpectKillEndsTheTree(*cgroups_, "cgroup.kill");
}

TEST_F(NemesisCgroup, KillFallbackWithoutCgroupKillEndsTheWholeTree) {
  std::string why;
  std::optional<NodeCgroups> cg =
      NodeCgroups::Create({"n1"}, &why, CgroupOptions{.use_cgroup_kill = false});
  ASSERT_TRUE(cg) << why;
  ExpectKillEndsTheTree(*cg, "freeze + SIGKILL each pid");
}

TEST_F(NemesisCgroup, KillOfAFrozenNodeWorksAndThawsIt) {
  std::vector<pid_t> pids = StartTree(*cgroups_);
  ASSERT_TRUE(cgroups_->Freeze("n1"));
  EXPECT_TRUE(cgroups_->Kill("n1"));
  for (pid_t p : pids) EXPECT_FALSE(PidAlive(p)) << "pid " << p << " survived Kill";
  EXPECT_FALSE(cgroups_->Frozen("n1"));
  boost::system::error_code ignored;
  proc_->wait(ignored);
}

TEST_F(NemesisCgroup, DestructorKillsEverythingAndRemovesTheCgroups) {
  std::vector<pid_t> pids = StartTree(*cgroups_);
  auto other = SpawnShell(ctx_, *cgroups_, "n2", "exec sleep 100");
  pids.push_back(other->id());
  ASSERT_TRUE(cgroups_->Freeze("n2"));  // a frozen node is cleaned up too
  const std::string run = cgroups_->run_dir();
  const pid_t janitor = cgroups_->janitor_pid();
  ASSERT_TRUE(fs::is_directory(run + "/n1"));

  auto start = Clock::now();
  cgroups_.reset();
  double ms = MsSince(start);
  std::printf("[ measure  ] destructor (2 nodes, 4 processes, one frozen): %.2f ms\n", ms);
  RecordProperty("destructor_ms", std::to_string(ms));
  EXPECT_FALSE(fs::exists(run));
  for (pid_t p : pids) EXPECT_FALSE(PidAlive(p)) << "pid " << p << " survived";
  EXPECT_FALSE(fs::exists("/proc/" + std::to_string(janitor))) << "the janitor was not reaped";
  boost::system::error_code ignored;
  proc_->wait(ignored);
  other->wait(ignored);
}

TEST_F(NemesisCgroup, TheJanitorKeepsOnlyItsPipeAndOutlivesGroupSignals) {
  const pid_t janitor = cgroups_->janitor_pid();
  const std::string fd_dir = "/proc/" + std::to_string(janitor) + "/fd";
  std::set<std::string> fds;
  EXPECT_TRUE(Eventually(
      [&] {
        fds.clear();
        for (const auto& e : fs::directory_iterator(fd_dir)) fds.insert(e.path().filename());
        return fds == std::set<std::string>{"0", "1", "2"};
      },
      1s))
      << "the janitor holds " << fds.size() << " fds";
  EXPECT_EQ(fs::read_symlink(fd_dir + "/0").string().rfind("pipe:[", 0), 0u);
  EXPECT_EQ(fs::read_symlink(fd_dir + "/1"), "/dev/null");
  EXPECT_EQ(StatField(janitor, 6), std::to_string(janitor)) << "a session of its own";
  EXPECT_EQ(CgroupOf(std::to_string(janitor)), CgroupOf("self")) << "not in a node cgroup";
  for (int s : {SIGINT, SIGTERM, SIGHUP}) kill(janitor, s);
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(PidAlive(janitor));
}

// Without the right to write the hierarchy (here: as nobody), Create returns
// nothing and says why, so the harness can fall back to process groups.
TEST(NemesisCgroupCreate, SaysWhyWhenTheHierarchyIsNotWritable) {
  SCHISM_REQUIRE_ROOT();  // to become nobody
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    alarm(10);
    if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(2);
    std::string why;
    const bool made = NodeCgroups::Create({"n1"}, &why).has_value();
    if (write(report[1], why.data(), why.size()) < 0) _exit(3);
    _exit(made ? 1 : 0);
  }
  close(report[1]);
  char buf[512] = {};
  const ssize_t n = read(report[0], buf, sizeof buf - 1);
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  ASSERT_NE(WEXITSTATUS(status), 2) << "cannot become nobody";
  EXPECT_EQ(WEXITSTATUS(status), 0) << "Create succeeded as nobody";
  const std::string why(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
  std::printf("[ reason   ] %s\n", why.c_str());
  EXPECT_FALSE(why.empty());
}

// The controller (here a forked child) dies by SIGKILL with a node's process
// still running, one that has neither PDEATHSIG nor the controller's process
// group: the janitor alone must end it and remove the run's cgroups.
TEST(NemesisCgroupJanitor, CleansUpAfterTheControllerIsKilled) {
  SCHISM_REQUIRE_ROOT();
  {
    std::string why;
    SCHISM_REQUIRE(NodeCgroups::Create({"n1"}, &why).has_value(), kCgroupV2 << why << kCgroupV2How);
  }
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe2(report, O_CLOEXEC), 0);
  const pid_t controller = fork();
  ASSERT_GE(controller, 0);
  if (controller == 0) {
    alarm(20);  // never outlive the test by much, whatever happens
    std::optional<NodeCgroups> cg = NodeCgroups::Create({"n1"}, nullptr);
    if (!cg) _exit(1);
    const pid_t sleeper = fork();
    if (sleeper == 0) {
      if (write(cg->ProcsFd("n1"), "0", 1) != 1) _exit(126);
      setsid();
      execl("/bin/sleep", "sleep", "100", static_cast<char*>(nullptr));
      _exit(127);
    }
    std::string line = cg->run_dir() + " " + std::to_string(sleeper) + " " +
                       std::to_string(cg->janitor_pid()) + "\n";
    if (write(report[1], line.data(), line.size()) != static_cast<ssize_t>(line.size())) _exit(1);
    for (;;) pause();
  }
  close(report[1]);
  std::string run;
  pid_t sleeper = -1, janitor = -1;
  {
    char buf[512] = {};
    const ssize_t n = read(report[0], buf, sizeof buf - 1);  // the child writes within ms
    close(report[0]);
    ASSERT_GT(n, 0) << "the child could not set up its cgroups";
    std::istringstream in(buf);
    in >> run >> sleeper >> janitor;
  }
  ASSERT_TRUE(fs::is_directory(run + "/n1"));
  ASSERT_TRUE(Eventually([&] { return StatField(sleeper, 2) == "sleep"; }, 2s));
  kill(controller, SIGKILL);
  ASSERT_EQ(waitpid(controller, nullptr, 0), controller);

  auto start = Clock::now();
  int status = -1;  // the janitor's exit status
  bool janitor_done = false;
  bool clean = Eventually(
      [&] {
        // The sleeper and the janitor are orphans now, and come back to us.
        int st = 0;
        for (pid_t p; (p = waitpid(-1, &st, WNOHANG)) > 0;) {
          if (p == janitor) {
            janitor_done = true;
            status = st;
          }
        }
        return !fs::exists(run) && !PidAlive(sleeper) && janitor_done;
      },
      3s);
  double ms = MsSince(start);
  std::printf("[ measure  ] janitor clean-up after SIGKILL of the controller: %.2f ms\n", ms);
  RecordProperty("janitor_ms", std::to_string(ms));
  EXPECT_TRUE(clean);
  EXPECT_FALSE(fs::exists(run)) << run << " is left behind";
  EXPECT_FALSE(PidAlive(sleeper)) << "the sleeper survived";
  ASSERT_TRUE(janitor_done) << "the janitor did not exit";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  if (PidAlive(sleeper)) kill(sleeper, SIGKILL);
  ReapExited();
}

}  // namespace
}  // namespace schism::testing
