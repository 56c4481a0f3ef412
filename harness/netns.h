#pragma once
// Network namespaces held by file descriptors. (To step a thread into one for
// a while, use nemesis/netns_guard.h.)
//
// A namespace made here has no name in /var/run/netns: it lives exactly as
// long as its fd is open or a process is inside it. When the controller dies,
// even by SIGKILL, its fds close, its children die (PR_SET_PDEATHSIG), and the
// kernel frees the namespaces together with their veths, bridge and nft
// tables. Nothing needs sweeping.

#include <string>

namespace schism::harness {

// An owned fd of a network namespace. Movable, not copyable.
class Netns {
 public:
  // Creates a fresh, empty network namespace (only a down `lo`) without
  // moving the calling thread into it: the thread unshares, opens its new
  // namespace, and returns to the namespace it was in. Throws std::system_error
  // (with errno) when the kernel refuses, typically for want of CAP_SYS_ADMIN.
  static Netns Create();

  // Takes ownership of `fd`, an open fd of a network namespace.
  explicit Netns(int fd) : fd_(fd) {}
  Netns(Netns&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Netns& operator=(Netns&& other) noexcept;
  Netns(const Netns&) = delete;
  Netns& operator=(const Netns&) = delete;
  ~Netns();

  int fd() const { return fd_; }

  // A path by which a process of ours (an `ip` child, say) can open this
  // namespace: /proc/<our pid>/fd/<fd>.
  std::string ProcPath() const;

 private:
  int fd_ = -1;
};

}  // namespace schism::harness
