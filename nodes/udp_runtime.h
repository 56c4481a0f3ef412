#pragma once
// The UDP runtime of schism-node: drives any built-in elector (nodes/electors.h)
// with a monotonic tick clock, one UDP socket and a state file.
//
// Every batch that the elector produces is applied in the order that makes
// votes binding: its state is written durably first (nodes/state_file.h), then
// the events are printed (one contract v1 JSON line each, flushed at once), and
// only then are the messages sent. Datagrams that do not decode, are addressed
// to another node, or are no message the elector knows are counted and dropped.

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "nodes/address.h"
#include "nodes/elector.h"
#include "nodes/electors.h"

namespace schism::nodes {

struct RuntimeOptions {
  const ElectorSpec* elector = nullptr;  // Which elector runs (from BuiltInElectors()).
  ElectorSetup setup;                    // Has passed elector->check; its tick_ms paces Tick().
  Endpoint listen;                       // Where this node's socket is bound.
  std::vector<Peer> peers;               // Where to send to each peer (setup.peers' ids).
  std::string data_dir;                  // Holds <elector>-state.json; must exist.
  std::FILE* reports = stdout;           // Where contract v1 lines go.
  std::FILE* diagnostics = stderr;       // Where human-readable log lines go.
};

struct RuntimeStats {
  std::uint64_t received = 0;     // Datagrams read from the socket.
  std::uint64_t undecodable = 0;  // ... of which were no message for this node's elector.
  std::uint64_t sent = 0;         // Datagrams handed to the kernel.
  std::uint64_t send_errors = 0;  // sendto() failures (e.g. unreachable peers).
  std::uint64_t persists = 0;     // State file writes.
};

class UdpRuntime {
 public:
  // Restores the elector's state from options.data_dir, builds the elector and
  // binds the socket. Returns nullptr and sets *error to one line naming the
  // path or address and the errno text or reason (unusable data dir, corrupt
  // state file, bind failure).
  static std::unique_ptr<UdpRuntime> Open(RuntimeOptions options, std::string* error);

  UdpRuntime(const UdpRuntime&) = delete;
  UdpRuntime& operator=(const UdpRuntime&) = delete;
  ~UdpRuntime();  // Closes the socket.

  // Runs the node until *stop becomes non-zero (set it from a signal handler;
  // the signal also interrupts the wait). Returns true on such a clean stop, or
  // false with *error set when the state could not be persisted, since the
  // node must not go on without durable votes.
  bool Run(const volatile std::sig_atomic_t* stop, std::string* error);

  const RuntimeStats& stats() const { return stats_; }

 private:
  UdpRuntime(RuntimeOptions options, std::unique_ptr<Elector> elector, int fd);

  // Reads every waiting datagram (up to a bound, so ticks are never starved).
  void ReceiveAll();
  // Persists, reports and sends one batch of the state machine's output.
  bool Apply(std::string* error);
  void Log(const std::string& line);

  const RuntimeOptions options_;
  const std::unique_ptr<Elector> elector_;
  const int fd_;
  RuntimeStats stats_;
  std::vector<char> receive_buffer_;
};

}  // namespace schism::nodes
