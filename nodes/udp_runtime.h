#pragma once
// The UDP runtime of schism-node: drives one Raft state machine with a
// monotonic tick clock, one UDP socket and a state file.
//
// Every batch that the state machine produces is applied in the order that
// makes votes binding: the hard state is written durably first, then the
// reports are printed (one contract v1 JSON line each, flushed at once), and
// only then are the messages sent. Datagrams that do not decode, or come from
// an unknown sender, are counted and dropped.

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "nodes/address.h"
#include "nodes/raft.h"

namespace schism::nodes {

struct RuntimeOptions {
  Config raft;                      // raft.peers must name the same ids as `peers`.
  Endpoint listen;                  // Where this node's socket is bound.
  std::vector<Peer> peers;          // Where to send to each peer.
  std::string data_dir;             // Holds raft-state.json; must exist.
  int tick_ms = 10;                 // Length of one Raft tick.
  std::FILE* reports = stdout;      // Where contract v1 lines go.
  std::FILE* diagnostics = stderr;  // Where human-readable log lines go.
};

struct RuntimeStats {
  std::uint64_t received = 0;     // Datagrams read from the socket.
  std::uint64_t undecodable = 0;  // ... of which were not a message for this node.
  std::uint64_t sent = 0;         // Datagrams handed to the kernel.
  std::uint64_t send_errors = 0;  // sendto() failures (e.g. unreachable peers).
  std::uint64_t persists = 0;     // Hard-state writes.
};

class UdpRuntime {
 public:
  // Restores the hard state from options.data_dir and binds the socket.
  // Returns nullptr and sets *error to one line naming the path or address and
  // the errno text (unusable data dir, corrupt state file, bind failure).
  static std::unique_ptr<UdpRuntime> Open(RuntimeOptions options, std::string* error);

  UdpRuntime(const UdpRuntime&) = delete;
  UdpRuntime& operator=(const UdpRuntime&) = delete;
  ~UdpRuntime();  // Closes the socket.

  // Runs the node until *stop becomes non-zero (set it from a signal handler;
  // the signal also interrupts the wait). Returns true on such a clean stop, or
  // false with *error set when the hard state could not be persisted, since
  // the node must not go on without durable votes.
  bool Run(const volatile std::sig_atomic_t* stop, std::string* error);

  const RuntimeStats& stats() const { return stats_; }

 private:
  UdpRuntime(RuntimeOptions options, HardState restored, int fd);

  // Reads every waiting datagram (up to a bound, so ticks are never starved).
  void ReceiveAll();
  // Persists, reports and sends one batch of the state machine's output.
  bool Apply(std::string* error);
  void Log(const std::string& line);

  const RuntimeOptions options_;
  Raft raft_;
  const int fd_;
  RuntimeStats stats_;
  std::vector<char> receive_buffer_;
};

}  // namespace schism::nodes
