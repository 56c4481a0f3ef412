#pragma once
// One cgroup v2 per node: a kill that reaches the node's whole process tree
// (even what it forked into a session of its own), and a freeze the node
// cannot observe (no SIGSTOP, no SIGCHLD to its parent, no state T).
//
// A run owns one directory in the cgroup v2 hierarchy, below the cgroup the
// controller itself sits in, with one child per node:
//
//   <cgroup2 mount><own cgroup>/schism-<pid>-<random>/<node>/
//
// No controller is enabled anywhere; only the core files are used
// (cgroup.procs, cgroup.freeze, cgroup.kill, cgroup.events). A node joins its
// cgroup between fork and exec by writing "0" to ProcsFd(node)
// (harness::ChildSetup::cgroup_procs_fd), so it never runs outside it.
//
// Clean-up is guaranteed twice: by the destructor, and by a janitor process
// forked at Create that waits for the controller to go away (even by SIGKILL)
// and then kills and removes the run's cgroups the same way (DESIGN.md §6).
// See docs/_drafts/cgroup.md.

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schism::nemesis {

// Returns the directory of the calling process's own cgroup in the cgroup v2
// hierarchy (no trailing '/'), given the text of /proc/self/mountinfo and of
// /proc/self/cgroup: the cgroup2 mount whose root contains the path of the
// "0::" line, joined with that path. Works for a pure v2 host
// ("/sys/fs/cgroup/user.slice/..."), a hybrid one ("/sys/fs/cgroup/unified")
// and a mount of a subtree. Returns nothing, with the reason in `*why_not`
// (when not null), when there is no "0::" line or no cgroup2 mount holds the
// path. Pure.
std::optional<std::string> OwnCgroup2Dir(std::string_view mountinfo, std::string_view proc_cgroup,
                                         std::string* why_not);

struct CgroupOptions {
  // Bound on each wait: for a freeze to take hold, for a killed cgroup to
  // empty, for the destructor's (and the janitor's) whole clean-up.
  std::chrono::milliseconds timeout{2000};
  // False makes Kill and the clean-up use the fallback of kernels before 5.14,
  // which have no cgroup.kill: freeze the cgroup (so nothing forks any more),
  // SIGKILL every pid in cgroup.procs, repeat until empty. For tests.
  bool use_cgroup_kill = true;
};

// The cgroups of one run. Non-copyable; movable (a moved-from object owns
// nothing). Every member that takes a node name throws std::out_of_range for a
// name that was not given to Create.
class NodeCgroups {
 public:
  // Creates the run's cgroup and one child per name in `nodes`, and starts the
  // janitor. Returns nothing, with the reason in `*why_not` (when not null),
  // when cgroup v2 is not mounted, not writable (not root, read-only, not
  // delegated), lacks cgroup.freeze (Linux < 5.2), or the janitor cannot be
  // started; whatever was made is removed again. The caller then falls back to
  // process-group signals and should say so. Throws std::invalid_argument for
  // a name that is empty, repeated, longer than 64 bytes, starts with '.' or
  // has a character outside [A-Za-z0-9_.-].
  static std::optional<NodeCgroups> Create(const std::vector<std::string>& nodes,
                                           std::string* why_not, const CgroupOptions& options = {});

  // Kills every process in every node cgroup, waits (bounded by the timeout)
  // until they are empty, removes the node cgroups and the run's cgroup, then
  // closes the janitor's pipe and reaps it (bounded). A leftover is reported
  // on stderr; the janitor then tries once more. Does nothing in a process
  // forked from the owner, so a fork cannot tear down the owner's cgroups.
  ~NodeCgroups();
  NodeCgroups(NodeCgroups&& other) noexcept;
  NodeCgroups& operator=(NodeCgroups&& other) noexcept;
  NodeCgroups(const NodeCgroups&) = delete;
  NodeCgroups& operator=(const NodeCgroups&) = delete;

  // The node names, in the order given to Create.
  const std::vector<std::string>& nodes() const;
  // The run's cgroup directory, e.g. "/sys/fs/cgroup/unified/schism-42-1f2e3d4c".
  const std::string& run_dir() const;
  // The node's cgroup directory: run_dir() + "/" + node.
  const std::string& Dir(const std::string& node) const;
  // The pid of the janitor process (for diagnosis and tests).
  pid_t janitor_pid() const;

  // An fd of the node's cgroup.procs, open O_WRONLY | O_CLOEXEC and owned by
  // this object: a process joins the cgroup by writing "0" to it. A process
  // that joins a frozen cgroup is frozen at once.
  int ProcsFd(const std::string& node) const;

  // Freezes every process of the node: writes 1 to cgroup.freeze and waits
  // until cgroup.events says "frozen 1". Returns false when that did not
  // happen within the timeout (the freeze stays requested and takes hold
  // later). Throws std::system_error (errno, path) when the file cannot be
  // written.
  bool Freeze(const std::string& node);

  // Writes 1 to cgroup.freeze and returns without waiting: the kernel stops
  // each process of the node as soon as it can. Throws like Freeze.
  void FreezeSoon(const std::string& node);

  // Lets the node run again (cgroup.freeze = 0). Throws like Freeze.
  void Thaw(const std::string& node);

  // True when cgroup.events says "frozen 1".
  bool Frozen(const std::string& node) const;

  // Kills every process in the node's cgroup, whatever its process group or
  // session (cgroup.kill, or the fallback described at CgroupOptions), and
  // waits until cgroup.events says "populated 0"; the cgroup is then thawed,
  // ready for the node's next incarnation. Returns false when it did not
  // empty within the timeout. Throws std::system_error when the cgroup's
  // files cannot be opened.
  bool Kill(const std::string& node);

  // The pids in the node's cgroup.procs (0 stands for a process outside the
  // caller's pid namespace and is left out). Throws std::system_error when
  // the file cannot be read.
  std::vector<pid_t> Pids(const std::string& node) const;

 private:
  struct Impl;
  explicit NodeCgroups(std::unique_ptr<Impl> impl);
  std::size_t Index(const std::string& node) const;

  std::unique_ptr<Impl> impl_;
};

}  // namespace schism::nemesis
