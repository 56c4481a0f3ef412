#include "harness/rootless.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace schism::harness {
namespace {

struct IdRange {
  unsigned long inside = 0, outside = 0, count = 0;
};

std::vector<IdRange> UidMap() {
  std::vector<IdRange> ranges;
  std::ifstream in("/proc/self/uid_map");
  for (IdRange r; in >> r.inside >> r.outside >> r.count;) ranges.push_back(r);
  return ranges;
}

void WriteProcFile(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  const bool ok = fd >= 0 && ::write(fd, text.data(), text.size()) ==
                                 static_cast<ssize_t>(text.size());
  const int saved = errno;
  if (fd >= 0) ::close(fd);
  if (!ok) {
    throw std::runtime_error(std::string("cannot write ") + path + " for a rootless run: " +
                             std::generic_category().message(saved));
  }
}

// The first process of the run's pid namespace: the controller. Its /proc
// shows that namespace, and /dev/shm is a tmpfs of its own (libfaketime's
// objects go there, and go with it).
void SetUpInside() {
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 ||
      ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0 ||
      ::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0 ||
      ::mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") != 0) {
    throw std::runtime_error(std::string("cannot set up a rootless run's namespaces: ") +
                             std::generic_category().message(errno));
  }
}

// The process outside: passes on the signals that end a run, and exits as the
// controller did (128 + the signal that killed it).
[[noreturn]] void WaitOutside(pid_t controller, const sigset_t& signals) {
  for (;;) {
    siginfo_t info{};
    if (::sigwaitinfo(&signals, &info) < 0) continue;  // EINTR
    if (info.si_signo != SIGCHLD) {
      ::kill(controller, info.si_signo);
      continue;
    }
    int status = 0;
    if (::waitpid(controller, &status, WNOHANG) != controller) continue;
    std::_Exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
  }
}

}  // namespace

bool BecomeRootless() {
  if (::geteuid() == 0) return false;
  const uid_t uid = ::geteuid();
  const gid_t gid = ::getegid();
  if (::unshare(CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID) != 0) {
    throw std::runtime_error(
        "not root, and cannot make a user namespace for a rootless run (unshare: " +
        std::generic_category().message(errno) +
        "); run as root, or allow unprivileged user namespaces (sysctl "
        "user.max_user_namespaces)");
  }
  WriteProcFile("/proc/self/setgroups", "deny");
  WriteProcFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n");
  WriteProcFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
  // Only a child enters the new pid namespace, as its first process: when it
  // ends, however it ends, the kernel kills every process left in it, which
  // is how a rootless run, without cgroups, leaves no node behind.
  sigset_t signals, old;
  sigemptyset(&signals);
  for (int sig : {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT}) sigaddset(&signals, sig);
  ::sigprocmask(SIG_BLOCK, &signals, &old);
  const pid_t controller = ::fork();
  if (controller < 0) {
    throw std::runtime_error(std::string("cannot fork a rootless run's controller: ") +
                             std::generic_category().message(errno));
  }
  if (controller > 0) WaitOutside(controller, signals);
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  SetUpInside();
  return true;
}

bool IsRootless() {
  const std::vector<IdRange> map = UidMap();
  return map.size() == 1 && map[0].inside == 0 && map[0].outside != 0 && map[0].count == 1;
}

bool UidMapped(unsigned uid) {
  for (const IdRange& r : UidMap()) {
    if (uid >= r.inside && uid - r.inside < r.count) return true;
  }
  return false;
}

}  // namespace schism::harness
