#pragma once
// One elector process of a run, supervised on the controller's io_context.
//
// The process runs inside its node's namespace (harness/spawn.h: ChildSetup).
// Its stdout is read as it arrives and handed over line by line; its stderr
// goes straight to the node's log file, so nothing it says is ever lost, even
// when it is killed mid-line. A node may be started again after it exits: each
// start is a new incarnation with its own pipe.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "harness/spawn.h"

namespace schism::harness {

class NodeProcess {
 public:
  // Called with one complete stdout line (without '\n') of the node.
  using LineHandler = std::function<void(const std::string& line)>;
  // Called once per incarnation when the process has exited and its stdout is
  // drained, with the wait status decoded as Boost.Process does (exit code, or
  // the signal number for a killed process).
  using ExitHandler = std::function<void(pid_t pid, int exit_code)>;

  // Lines longer than this are cut, with a note in the log.
  static constexpr std::size_t kMaxLine = 1 << 20;
  // Log() keeps this much of a node's stdout text and notes (all its
  // incarnations together); beyond, lines are counted, not kept, so a node
  // that floods stdout with junk cannot fill the disk. Its stderr goes to the
  // log file directly and is not capped.
  static constexpr std::uint64_t kMaxLogBytes = 32 << 20;

  // `argv[0]` must be an existing executable; `env` is added to the
  // controller's own environment, replacing variables of the same name. The
  // log file is opened for appending here (throws std::system_error naming it
  // when that fails).
  NodeProcess(boost::asio::io_context& io, std::string name, std::vector<std::string> argv,
              std::vector<std::pair<std::string, std::string>> env, ChildSetup setup,
              const std::filesystem::path& log_path, LineHandler on_line, ExitHandler on_exit);
  ~NodeProcess();  // kills the process group if still running, and reaps it
  NodeProcess(const NodeProcess&) = delete;
  NodeProcess& operator=(const NodeProcess&) = delete;

  // Starts a new incarnation; returns its pid. Throws std::runtime_error naming
  // the node and the executable when the spawn fails. Must not be running.
  pid_t Start();

  // Sends `signal` to the node's process group (the node and all it forked).
  // Does nothing when it is not running.
  void Signal(int signal);

  // Kills (SIGKILL) the process group and waits for it synchronously. Lines
  // it printed before it died are still delivered to the LineHandler as the
  // io_context runs on; the ExitHandler is not called for this incarnation.
  void KillAndReap();

  // How the next incarnation is set up (namespace, cgroup, clock offset); a
  // restart may change it, e.g. to start the node with another clock offset.
  ChildSetup& setup() { return setup_; }

  bool running() const { return running_; }
  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // Appends a line to the node log: the node's plain text, or the harness's
  // own note (e.g. a complaint about one of the node's lines). Once the log
  // holds kMaxLogBytes, the line is only counted.
  void Log(const std::string& line);
  // What Log() did not keep.
  std::uint64_t unkept_lines() const { return unkept_lines_; }
  std::uint64_t unkept_bytes() const { return unkept_bytes_; }

 private:
  struct Incarnation;
  void ReadMore(const std::shared_ptr<Incarnation>& inc);
  void MaybeFinish(const std::shared_ptr<Incarnation>& inc);

  boost::asio::io_context& io_;
  std::string name_;
  std::vector<std::string> argv_;
  std::vector<std::string> environment_;  // "KEY=VALUE", the controller's plus the node's
  ChildSetup setup_;
  int log_fd_ = -1;
  std::uint64_t logged_bytes_ = 0;
  std::uint64_t unkept_lines_ = 0;
  std::uint64_t unkept_bytes_ = 0;
  LineHandler on_line_;
  ExitHandler on_exit_;
  std::shared_ptr<Incarnation> current_;
  bool running_ = false;
  pid_t pid_ = -1;
};

}  // namespace schism::harness
