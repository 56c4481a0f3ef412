#include "harness/netns.h"

#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <system_error>

namespace schism::harness {
namespace {

int OpenThreadNetns() {
  int fd = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "open /proc/thread-self/ns/net");
  return fd;
}

}  // namespace

Netns Netns::Create() {
  Netns original(OpenThreadNetns());
  if (unshare(CLONE_NEWNET) != 0) {
    throw std::system_error(errno, std::generic_category(),
                            "unshare(CLONE_NEWNET) (schism must run as root to make namespaces)");
  }
  // From here on this thread is inside the new namespace; the guard takes it
  // back to `original` on every path out, exceptions included.
  struct ReturnTo {
    int fd;
    ~ReturnTo() {
      if (setns(fd, CLONE_NEWNET) != 0) {
        std::perror("schism: cannot return to the original network namespace");
        std::abort();
      }
    }
  } come_back{original.fd()};
  return Netns(OpenThreadNetns());
}

Netns& Netns::operator=(Netns&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

Netns::~Netns() {
  if (fd_ >= 0) close(fd_);
}

std::string Netns::ProcPath() const {
  return "/proc/" + std::to_string(getpid()) + "/fd/" + std::to_string(fd_);
}

}  // namespace schism::harness
