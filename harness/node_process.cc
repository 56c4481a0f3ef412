#include "harness/node_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <stdexcept>
#include <string_view>
#include <system_error>

#include <boost/asio.hpp>
#include <boost/process/v2.hpp>

#include "harness/spawn.h"

namespace schism::harness {
namespace asio = boost::asio;
namespace bp = boost::process::v2;

struct NodeProcess::Incarnation {
  explicit Incarnation(asio::io_context& io) : out(io) {}
  asio::readable_pipe out;
  std::unique_ptr<bp::process> process;
  std::array<char, 8192> chunk{};
  std::string partial;       // bytes after the last '\n'
  bool discarding = false;   // inside an over-long line
  bool drained = false;      // stdout reached EOF
  bool exited = false;
  bool killed = false;       // by KillAndReap: its exit is not reported
  int exit_code = 0;
  pid_t pid = -1;
};

NodeProcess::NodeProcess(asio::io_context& io, std::string name, std::vector<std::string> argv,
                         std::vector<std::pair<std::string, std::string>> env, ChildSetup setup,
                         const std::filesystem::path& log_path, LineHandler on_line,
                         ExitHandler on_exit)
    : io_(io),
      name_(std::move(name)),
      argv_(std::move(argv)),
      environment_(ChildEnvironment(env)),
      setup_(setup),
      on_line_(std::move(on_line)),
      on_exit_(std::move(on_exit)) {
  log_fd_ = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd_ < 0) throw std::system_error(errno, std::generic_category(), "open " + log_path.string());
}

NodeProcess::~NodeProcess() {
  KillAndReap();
  if (log_fd_ >= 0) close(log_fd_);
}

pid_t NodeProcess::Start() {
  if (running_) throw std::logic_error("node " + name_ + " is already running");
  auto inc = std::make_shared<Incarnation>(io_);
  try {
    inc->process = std::make_unique<bp::process>(
        SpawnChild(io_, argv_, environment_, inc->out, log_fd_, setup_));
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot start node " + name_ + " (" + argv_[0] + "): " + e.what());
  }
  inc->pid = inc->process->id();
  current_ = inc;
  running_ = true;
  pid_ = inc->pid;
  ReadMore(inc);
  inc->process->async_wait([this, inc](boost::system::error_code ec, int code) {
    inc->exited = true;
    inc->exit_code = ec ? -1 : code;
    MaybeFinish(inc);
  });
  return pid_;
}

void NodeProcess::ReadMore(const std::shared_ptr<Incarnation>& inc) {
  inc->out.async_read_some(asio::buffer(inc->chunk), [this, inc](boost::system::error_code ec,
                                                                 std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
      char c = inc->chunk[i];
      if (c == '\n') {
        if (!inc->discarding) on_line_(inc->partial);
        inc->partial.clear();
        inc->discarding = false;
      } else if (!inc->discarding) {
        inc->partial.push_back(c);
        if (inc->partial.size() > kMaxLine) {
          Log("schism: " + name_ + " printed a line over " + std::to_string(kMaxLine) +
              " bytes; it was cut and ignored");
          inc->partial.clear();
          inc->discarding = true;
        }
      }
    }
    if (ec) {
      if (!inc->partial.empty() && !inc->discarding) on_line_(inc->partial);  // last line, no '\n'
      inc->partial.clear();
      inc->drained = true;
      MaybeFinish(inc);
      return;
    }
    ReadMore(inc);
  });
}

void NodeProcess::MaybeFinish(const std::shared_ptr<Incarnation>& inc) {
  if (!inc->exited || !inc->drained) return;
  if (current_ == inc) {
    running_ = false;
    current_.reset();
  }
  if (!inc->killed) on_exit_(inc->pid, inc->exit_code);
}

void NodeProcess::Signal(int signal) {
  if (running_ && pid_ > 0) kill(-pid_, signal);
}

void NodeProcess::KillAndReap() {
  if (!current_) return;
  std::shared_ptr<Incarnation> inc = current_;
  current_.reset();
  running_ = false;
  inc->killed = true;
  if (!inc->exited) {
    kill(-inc->pid, SIGKILL);
    boost::system::error_code ignored;
    inc->process->wait(ignored);  // reaps; the async wait then completes with an error
  }
  // The pipe stays open: what the node wrote before it died is still read and
  // handed over (a vote it made durable must not vanish from the history).
}

void NodeProcess::Log(const std::string& line) {
  std::string text = line + "\n";
  if (logged_bytes_ + text.size() > kMaxLogBytes) {
    if (unkept_lines_++ == 0) {
      text = "schism: this log holds " + std::to_string(kMaxLogBytes >> 20) +
             " MiB of the node's stdout; further lines are counted, not kept\n";
      ssize_t ignored = write(log_fd_, text.data(), text.size());
      (void)ignored;
    }
    unkept_bytes_ += line.size() + 1;
    return;
  }
  logged_bytes_ += text.size();
  ssize_t ignored = write(log_fd_, text.data(), text.size());
  (void)ignored;
}

}  // namespace schism::harness
