#pragma once
// Starting child processes inside harness namespaces (Boost.Process v2).

#include <grp.h>
#include <sys/prctl.h>
#include <sched.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/process/v2.hpp>

namespace schism::harness {

// A Boost.Process v2 initializer. In the child, between fork and exec, it
// enters `netns_fd` (when >= 0), joins the cgroup whose cgroup.procs is open
// as `cgroup_procs_fd` (when >= 0), gives the program a time namespace of its
// own whose monotonic and boot-time clocks run `time_offset_ns` ahead (when
// not 0; exec moves the child into it, so the offset is fixed at spawn), asks
// the kernel for SIGKILL when the controller thread that spawned it dies (so
// a controller killed by SIGKILL leaves no node behind), and puts the child in
// a process group of its own, so that signals to the group reach everything
// the node forks. When `drop_to_user` is set it then becomes that uid and gid
// with no supplementary groups, after everything that needs root and before
// the death signal (a change of user clears it). Only async-signal-safe calls
// happen here.
struct ChildSetup {
  int netns_fd = -1;
  int cgroup_procs_fd = -1;
  std::int64_t time_offset_ns = 0;
  bool drop_to_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
  pid_t controller = getpid();

  template <class Launcher>
  boost::system::error_code on_exec_setup(Launcher&, const boost::process::v2::filesystem::path&,
                                          const char* const*&) const {
    auto fail = [] { return boost::system::error_code(errno, boost::system::system_category()); };
    if (netns_fd >= 0 && setns(netns_fd, CLONE_NEWNET) != 0) return fail();
    if (cgroup_procs_fd >= 0 && write(cgroup_procs_fd, "0", 1) != 1) return fail();
    if (time_offset_ns != 0 && !EnterTimeNamespace(time_offset_ns)) return fail();
    if (drop_to_user && (setgroups(0, nullptr) != 0 || setgid(gid) != 0 || setuid(uid) != 0)) {
      return fail();
    }
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) return fail();
    if (getppid() != controller) _exit(127);  // the controller died before prctl took effect
    if (setpgid(0, 0) != 0) return fail();
    return {};
  }

  // Unshares a time namespace for the children (and, after exec, the caller)
  // and writes the offset of its monotonic and boot-time clocks. Returns false
  // with errno set on failure. Async-signal-safe.
  static bool EnterTimeNamespace(std::int64_t offset_ns);
};

// The environment of a child, "KEY=VALUE" each: the controller's own, with
// `extra` added, each replacing the controller's variable of the same name (a
// program's getenv would otherwise find the controller's first).
std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra);

// Starts argv[0] (a path to an executable) with the rest of `argv` as its
// arguments under `setup`, with environment `env` (see ChildEnvironment),
// stdin from /dev/null, stdout into `out` and stderr to `err_fd`. Throws what
// Boost.Process throws when the spawn fails.
boost::process::v2::process SpawnChild(boost::asio::io_context& io,
                                       const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env,
                                       boost::asio::readable_pipe& out, int err_fd,
                                       const ChildSetup& setup);

// Finds `name` (or checks `name` when it contains a '/') as an executable file,
// searching PATH and then /usr/sbin and /sbin (where Debian keeps `ip`, `nft`).
// Returns an empty path when there is none.
std::filesystem::path FindExecutable(std::string_view name);

}  // namespace schism::harness
