#pragma once
// The two kinds of failure the CLI tells apart (DESIGN.md §4 exit codes).

#include <stdexcept>

namespace schism::harness {

// Something the user gave us is wrong: a flag, a value, a file named on the
// command line or its contents. The CLI exits 64.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The elector under test could not be started: a node exited before it ever
// printed a contract line. A setup problem, not a finding about the elector;
// the CLI exits 70. what() is one line naming the node, then the last lines
// of its log, each on a line of its own.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Exit codes (DESIGN.md §4).
inline constexpr int kExitValid = 0;
inline constexpr int kExitInvalid = 1;
inline constexpr int kExitUnknown = 2;
inline constexpr int kExitUsage = 64;
inline constexpr int kExitEnvironment = 70;  // environment or internal error
inline constexpr int kExitInterrupted = 130;  // SIGINT (Ctrl-C), as a shell reports it

// The exit code of a run that `signal` interrupted: 128 + the signal, as a
// shell reports a process the signal ended (130 for SIGINT, 143 for SIGTERM).
inline int ExitForInterrupt(int signal) { return signal > 0 ? 128 + signal : kExitInterrupted; }

}  // namespace schism::harness
