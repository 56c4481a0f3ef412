#include "nemesis/netns_guard.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <system_error>

namespace schism::nemesis {

ScopedNetns::ScopedNetns(int netns_fd) {
  original_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
  }
  if (::setns(netns_fd, CLONE_NEWNET) != 0) {
    const int err = errno;
    ::close(original_fd_);
    throw std::system_error(err, std::generic_category(), "setns into the hub namespace");
  }
}

ScopedNetns::~ScopedNetns() {
  if (::setns(original_fd_, CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "schism: cannot return to the original network namespace: %s\n",
                 std::strerror(errno));
    std::abort();
  }
  ::close(original_fd_);
}

}  // namespace schism::nemesis
