#pragma once
// Moves the calling thread into a network namespace for a scope.
//
// nemesis/ cannot use harness/'s guard (harness depends on nemesis), so this
// is its own minimal copy: only the calling thread moves, other threads and
// running children are unaffected.

namespace schism::nemesis {

class ScopedNetns {
 public:
  // Remembers the thread's current namespace (/proc/thread-self/ns/net) and
  // enters the namespace of `netns_fd`. Throws std::system_error with errno
  // when either step fails; the thread is then still where it was.
  explicit ScopedNetns(int netns_fd);

  // Returns the thread to the namespace it was in. If that fails the process
  // aborts, because going on in the wrong namespace could touch the host.
  ~ScopedNetns();

  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;

 private:
  int original_fd_ = -1;
};

}  // namespace schism::nemesis
