#pragma once
// Runs a short-lived tool (`ip`, `tc`, `iptables-nft-restore`) inside a
// network namespace, for the mechanisms that have no library interface. The
// one way schism runs a command in a namespace; harness/ uses it too.
//
// A minimal fork/exec: the calling thread enters the namespace with
// ScopedNetns, forks (a child inherits the forking thread's namespace), and
// returns at once; the child asks for SIGKILL when that thread dies, so a
// killed controller leaves no tool behind.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace schism::nemesis {

struct ToolResult {
  int exit_code = -1;  // the exit status, or 128 + signal when killed by one
  std::string output;  // stdout and stderr, interleaved as written
};

// Runs `argv` to completion inside the namespace of `netns_fd` (in the
// caller's own namespace when it is -1) with `input` on
// its stdin and returns its exit code and output. argv[0] is looked up in
// /usr/sbin, /sbin, /usr/bin and /bin (where Debian keeps `tc` and
// `iptables-nft-restore`) unless it contains a '/'; the environment is empty
// except for PATH. A nonzero exit is not an error here: the caller decides.
// Throws std::runtime_error naming the tool when it is not installed, cannot be
// started, or does not finish within `timeout` (it is then killed and reaped
// first), and std::system_error when the namespace cannot be entered.
ToolResult RunInNetns(int netns_fd, const std::vector<std::string>& argv,
                      std::string_view input = {},
                      std::chrono::milliseconds timeout = std::chrono::seconds(10));

// Returns `argv` joined by spaces, for error messages ("tc qdisc del dev vn2 root").
std::string JoinArgv(const std::vector<std::string>& argv);

}  // namespace schism::nemesis
