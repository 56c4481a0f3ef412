#include "nemesis/cgroup_raw.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

// Only async-signal-safe calls below this line (signal-safety(7), including
// the string functions POSIX.1-2008 TC2 added), except in StartJanitor's
// parent half.

namespace schism::nemesis::cgroup_raw {
namespace {

constexpr std::int64_t kNsPerMs = 1'000'000;
// The longest sleep in poll() (in case kernfs misses a wake-up), and the time
// between two rounds of SIGKILL in the fallback.
constexpr std::int64_t kRoundNs = 20 * kNsPerMs;
// How long to sleep between two rmdir attempts that failed with EBUSY.
constexpr long kRetryNs = 5 * kNsPerMs;

void SleepNs(long ns) {
  timespec ts{0, ns};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

// True when `line` is one whole line of `text` (NUL-terminated).
bool HasLine(const char* text, const char* line) {
  const std::size_t n = std::strlen(line);
  for (const char* p = text; (p = std::strstr(p, line)) != nullptr; ++p) {
    const bool starts = p == text || p[-1] == '\n';
    const bool ends = p[n] == '\n' || p[n] == '\0';
    if (starts && ends) return true;
  }
  return false;
}

// SIGKILLs every pid listed in the cgroup.procs file at `procs`. Skips 0 (a
// process outside our pid namespace: kill(0) would hit our own group), 1 and
// the caller.
void KillListed(const char* procs) {
  const int fd = open(procs, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return;
  const pid_t self = getpid();
  auto kill_one = [self](long pid) {
    if (pid > 1 && pid != self) kill(static_cast<pid_t>(pid), SIGKILL);
  };
  char buf[4096];
  long pid = 0;
  bool in_number = false;
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) {
      const char c = buf[i];
      if (c >= '0' && c <= '9') {
        if (pid < 100'000'000) pid = pid * 10 + (c - '0');  // pid_max is at most 2^22
        in_number = true;
      } else {
        if (in_number) kill_one(pid);
        pid = 0;
        in_number = false;
      }
    }
  }
  if (in_number) kill_one(pid);
  close(fd);
}

// rmdir, retried while the kernel still says EBUSY. True when `dir` is gone.
bool RemoveDir(const char* dir, std::int64_t deadline_ns) {
  for (;;) {
    if (rmdir(dir) == 0 || errno == ENOENT) return true;
    if (errno != EBUSY || NowNs() >= deadline_ns) return false;
    SleepNs(kRetryNs);
  }
}

// Turns a child just forked from the controller into a janitor named `name`:
// default signal handlers but SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGPIPE
// ignored, a session of its own, no fd but `read_fd` (as stdin) and
// /dev/null; then blocks until every write end of that pipe is closed.
void BecomeJanitorAndWait(int read_fd, int max_fd, const char* name) {
  // The controller's handlers (e.g. Asio's) must not run here; then outlive
  // whatever kills the controller's process group or session.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int s = 1; s < NSIG; ++s) {
    if (s != SIGKILL && s != SIGSTOP) sigaction(s, &dfl, nullptr);
  }
  struct sigaction ign {};
  ign.sa_handler = SIG_IGN;
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGPIPE}) sigaction(s, &ign, nullptr);
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setsid();
  if (chdir("/") != 0) {
    // Harmless: the cwd only pins a mount.
  }
  prctl(PR_SET_NAME, name, 0, 0, 0);

  // Keep nothing of the controller open but the pipe: another fd (its stdout
  // pipe, a node's pipe, another run's janitor pipe) would keep a reader from
  // seeing EOF for as long as the janitor lives.
  if (read_fd != 0) dup2(read_fd, 0);
  const int null = open("/dev/null", O_RDWR);
  if (null >= 0) {
    if (null != 1) dup2(null, 1);
    if (null != 2) dup2(null, 2);
  } else {
    close(1);
    close(2);
  }
  if (close_range(3, ~0U, 0) != 0) {
    for (int fd = 3; fd <= max_fd; ++fd) close(fd);
  }

  char byte;
  for (;;) {
    const ssize_t n = read(0, &byte, 1);
    if (n > 0 || (n < 0 && errno == EINTR)) continue;
    break;  // EOF: every write end is closed, the controller is done or dead
  }
}

[[noreturn]] void JanitorMain(int read_fd, const Files* nodes, std::size_t count,
                              const char* run_dir, bool use_kill, std::int64_t timeout_ns,
                              int max_fd) {
  BecomeJanitorAndWait(read_fd, max_fd, "schism-janitor");
  _exit(TearDown(nodes, count, run_dir, use_kill, timeout_ns) ? 0 : 1);
}

[[noreturn]] void RemoverMain(int read_fd, const char* const* rm_argv, int max_fd) {
  BecomeJanitorAndWait(read_fd, max_fd, "schism-remover");
  execv(rm_argv[0], const_cast<char* const*>(rm_argv));
  _exit(127);
}

// Forks `child_main(read end, max_fd)` with every signal blocked across the
// fork; returns its pid and stores the write end in `*pipe_fd`, or -1.
template <typename ChildMain>
pid_t ForkWithPipe(ChildMain child_main, int* pipe_fd) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) return -1;
  const int max_fd = static_cast<int>(std::clamp(sysconf(_SC_OPEN_MAX), 1024L, 65536L));
  // No signal may run a controller handler in the child before it resets them.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  const pid_t pid = fork();
  if (pid == 0) {
    child_main(fds[0], max_fd);
    _exit(127);  // not reached: each child main ends in _exit or exec
  }
  const int saved = errno;
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  close(fds[0]);
  if (pid < 0) {
    close(fds[1]);
    errno = saved;
    return -1;
  }
  *pipe_fd = fds[1];
  return pid;
}

}  // namespace

Files::Files(const std::string& directory)
    : dir(directory),
      procs(directory + "/cgroup.procs"),
      events(directory + "/cgroup.events"),
      freeze(directory + "/cgroup.freeze"),
      kill(directory + "/cgroup.kill") {}

std::int64_t NowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

int WriteFile(const char* path, const char* text) {
  const int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const auto len = static_cast<ssize_t>(std::strlen(text));
  const int err = write(fd, text, static_cast<std::size_t>(len)) == len ? 0 : errno;
  close(fd);
  return err;
}

bool WaitForEvent(const char* events, const char* line, std::int64_t deadline_ns) {
  const int fd = open(events, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool found = false;
  char buf[512];
  for (;;) {
    // pread at 0 makes kernfs render the file anew and re-arms poll().
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      break;
    }
    buf[n] = '\0';
    if (HasLine(buf, line)) {
      found = true;
      break;
    }
    const std::int64_t left = deadline_ns - NowNs();
    if (left <= 0) break;
    pollfd p{fd, POLLPRI, 0};
    poll(&p, 1, static_cast<int>(std::min(left, kRoundNs) / kNsPerMs + 1));
  }
  close(fd);
  return found;
}

bool KillAndWait(const Files& node, bool use_kill, std::int64_t deadline_ns) {
  if (access(node.dir.c_str(), F_OK) != 0) return true;
  const bool fallback = !use_kill || WriteFile(node.kill.c_str(), "1") != 0;
  // Frozen processes cannot fork, so the pid list cannot grow behind our back;
  // SIGKILL still ends a frozen process in cgroup v2.
  if (fallback) WriteFile(node.freeze.c_str(), "1");
  for (;;) {
    if (fallback) KillListed(node.procs.c_str());
    const std::int64_t round = fallback ? std::min(deadline_ns, NowNs() + kRoundNs) : deadline_ns;
    if (WaitForEvent(node.events.c_str(), "populated 0", round)) {
      WriteFile(node.freeze.c_str(), "0");  // a restarted node must not be born frozen
      return true;
    }
    if (access(node.dir.c_str(), F_OK) != 0) return true;
    if (NowNs() >= deadline_ns) return false;
    SleepNs(kRetryNs);  // cgroup.events unreadable: do not spin
  }
}

bool TearDown(const Files* nodes, std::size_t count, const char* run_dir, bool use_kill,
              std::int64_t timeout_ns) {
  const std::int64_t deadline = NowNs() + timeout_ns;
  if (access(run_dir, F_OK) != 0) return true;
  for (std::size_t i = 0; i < count; ++i) KillAndWait(nodes[i], use_kill, deadline);
  for (std::size_t i = 0; i < count; ++i) RemoveDir(nodes[i].dir.c_str(), deadline);
  return RemoveDir(run_dir, deadline);
}

pid_t StartJanitor(const Files* nodes, std::size_t count, const char* run_dir, bool use_kill,
                   std::int64_t timeout_ns, int* pipe_fd) {
  return ForkWithPipe(
      [&](int read_fd, int max_fd) {
        JanitorMain(read_fd, nodes, count, run_dir, use_kill, timeout_ns, max_fd);
      },
      pipe_fd);
}

pid_t StartRemover(const char* const* rm_argv, int* pipe_fd) {
  return ForkWithPipe([&](int read_fd, int max_fd) { RemoverMain(read_fd, rm_argv, max_fd); },
                      pipe_fd);
}

}  // namespace schism::nemesis::cgroup_raw
