#pragma once
// What addresses a node's sockets are bound to, read from the kernel's socket
// tables of the node's network namespace (/proc/<pid>/net/{tcp,udp}[6]).
//
// The contract asks an elector to bind {addr} (its own address): one that
// binds 0.0.0.0 works inside schism's namespaces but would take every address
// of a shared host. The controller records each node's bound sockets before it
// stops the nodes (a `process`/`sockets` event), and `schism conform` judges
// them. A node's namespace holds only that node's processes, so its tables are
// exactly the node's sockets.

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace schism::harness {

struct BoundSocket {
  std::string proto;    // "tcp", "udp", "tcp6", "udp6"
  std::string address;  // "10.241.0.1", "0.0.0.0", "::", "::1"
  std::uint16_t port = 0;

  // "udp 10.241.0.1:7000", "tcp6 [::]:7000".
  std::string ToString() const;
};

// The listening TCP sockets, or the bound UDP sockets, of one table's text
// (the format of /proc/net/tcp, udp, tcp6 or udp6, header line included):
// TCP sockets count only in state LISTEN (connections take the address of
// their route), UDP sockets when bound to a port. Throws
// std::invalid_argument naming the line for text in another format.
std::vector<BoundSocket> ParseSocketTable(std::string_view text, std::string_view proto);

// Whether `socket` is on `own_address` or a loopback address (127.0.0.0/8, ::1).
bool OnOwnAddress(const BoundSocket& socket, std::string_view own_address);

// The bound sockets of the network namespace of process `pid`, from its four
// tables (a table the kernel lacks, e.g. without IPv6, is empty). Throws
// std::system_error when the process has gone.
std::vector<BoundSocket> BoundSockets(pid_t pid);

}  // namespace schism::harness
