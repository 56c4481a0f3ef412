#pragma once
// The async-signal-safe half of nemesis/cgroup.h: killing, waiting for and
// removing cgroups with raw system calls only, and the janitor process that
// does so when the controller is gone (and one that removes files, for
// nemesis/clock.h). Internal to nemesis/.
//
// Everything here may run in a child forked from a multi-threaded controller,
// where only async-signal-safe calls are allowed: no allocation, no locks, no
// stdio, no exceptions. Paths are therefore computed before (Files), and the
// functions below only read them.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace schism::nemesis::cgroup_raw {

// The paths of one node cgroup, computed once at Create.
struct Files {
  explicit Files(const std::string& directory);
  std::string dir, procs, events, freeze, kill;
};

// CLOCK_MONOTONIC in nanoseconds.
std::int64_t NowNs();

// Writes `text` to the file at `path` (open, one write, close). Returns 0, or
// the errno of the step that failed.
int WriteFile(const char* path, const char* text);

// Re-reads the cgroup.events file at `events` until it holds the line `line`
// (e.g. "frozen 1"), sleeping in poll(POLLPRI) between reads, which kernfs
// wakes on every change. Returns false at `deadline_ns` or when the file
// cannot be read.
bool WaitForEvent(const char* events, const char* line, std::int64_t deadline_ns);

// Kills every process of the cgroup and waits until it is empty, then thaws
// it. With `use_kill`, writes cgroup.kill (Linux >= 5.14); otherwise, or when
// that fails, freezes the cgroup and SIGKILLs each pid in cgroup.procs, again
// every few ms until empty. Returns true at once when the directory is gone;
// false at `deadline_ns` when it did not empty (then it is not thawed).
bool KillAndWait(const Files& node, bool use_kill, std::int64_t deadline_ns);

// KillAndWait for each of `count` nodes, then removes their directories and
// `run_dir` (retrying while the kernel says EBUSY), all within `timeout_ns`.
// Returns true when `run_dir` is gone at the end.
bool TearDown(const Files* nodes, std::size_t count, const char* run_dir, bool use_kill,
              std::int64_t timeout_ns);

// Forks the janitor: a process in a session of its own that ignores SIGINT,
// SIGTERM, SIGHUP and SIGQUIT, keeps no fd but the read end of a pipe (as its
// stdin) and /dev/null, and blocks reading the pipe. At EOF, that is when the
// controller has closed the write end or died, it runs TearDown with the same
// arguments and exits (0 when clean). The arguments must stay valid and
// unchanged for the life of the caller's copy; the child works on its own
// copy of memory. On success returns the janitor's pid and stores the write
// end (O_CLOEXEC) in `*pipe_fd`; on failure returns -1 with errno set.
pid_t StartJanitor(const Files* nodes, std::size_t count, const char* run_dir, bool use_kill,
                   std::int64_t timeout_ns, int* pipe_fd);

// Forks a janitor like StartJanitor's that, at EOF, execs `rm_argv` (a
// null-terminated argv whose first word is an absolute path, e.g.
// {"/bin/rm", "-rf", "--", path, ..., nullptr}): what a controller killed by
// SIGKILL cannot remove itself. `rm_argv` must stay valid for the caller's
// copy only. Returns the pid and the write end, or -1 with errno set.
pid_t StartRemover(const char* const* rm_argv, int* pipe_fd);

}  // namespace schism::nemesis::cgroup_raw
