#include "nemesis/run_in_netns.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "nemesis/netns_guard.h"

namespace schism::nemesis {
namespace {

constexpr const char* kSearchPath = "/usr/sbin:/sbin:/usr/bin:/bin";

// Returns the executable for `name`, or "" when there is none.
std::string FindTool(const std::string& name) {
  if (name.find('/') != std::string::npos) return ::access(name.c_str(), X_OK) == 0 ? name : "";
  for (const char* dir : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"}) {
    std::string path = dir + name;
    if (::access(path.c_str(), X_OK) == 0) return path;
  }
  return "";
}

// An fd closed when the scope ends.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() { Reset(); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

// Writes `input` into an anonymous file positioned at its start, so the child
// can read it as stdin without a writer thread or the risk of SIGPIPE.
int InputFile(std::string_view input) {
  const int fd = ::memfd_create("schism-tool-stdin", MFD_CLOEXEC);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "memfd_create");
  std::size_t done = 0;
  while (done < input.size()) {
    const ssize_t n = ::write(fd, input.data() + done, input.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      throw std::system_error(err, std::generic_category(), "write of a tool's stdin");
    }
    done += static_cast<std::size_t>(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  return fd;
}

int ExitCode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

std::string JoinArgv(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& arg : argv) {
    if (!out.empty()) out += ' ';
    out += arg;
  }
  return out;
}

ToolResult RunInNetns(int netns_fd, const std::vector<std::string>& argv, std::string_view input,
                      std::chrono::milliseconds timeout) {
  if (argv.empty()) throw std::invalid_argument("RunInNetns: empty argv");
  const std::string exe = FindTool(argv[0]);
  if (exe.empty()) {
    throw std::runtime_error(argv[0] + " not found in " + kSearchPath +
                             " (scripts/setup installs it)");
  }
  // Everything the child touches is prepared before fork: after it, only
  // async-signal-safe calls are allowed in a threaded program.
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  std::string path_env = std::string("PATH=") + kSearchPath;
  std::array<char*, 2> env = {path_env.data(), nullptr};

  Fd in(InputFile(input));
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2 for " + argv[0]);
  }
  Fd out_read(pipe_fds[0]);
  Fd out_write(pipe_fds[1]);
  const pid_t parent = ::getpid();

  pid_t pid = -1;
  {
    std::optional<ScopedNetns> inside;  // -1: stay in the caller's namespace
    if (netns_fd >= 0) inside.emplace(netns_fd);
    pid = ::fork();
    if (pid == 0) {
      if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::getppid() != parent) ::_exit(127);
      if (::dup2(in.get(), 0) < 0 || ::dup2(out_write.get(), 1) < 0 ||
          ::dup2(out_write.get(), 2) < 0) {
        ::_exit(127);
      }
      ::execve(exe.c_str(), args.data(), env.data());
      static constexpr char kMessage[] = "schism: execve failed\n";
      [[maybe_unused]] ssize_t ignored = ::write(2, kMessage, sizeof kMessage - 1);
      ::_exit(127);
    }
  }
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork for " + argv[0]);
  out_write.Reset();
  in.Reset();

  ToolResult result;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool timed_out = false;
  std::array<char, 4096> chunk;
  while (true) {  // Ends at EOF (the child and its children closed stdout) or the deadline.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd fd = {out_read.get(), POLLIN, 0};
    const int ready = ::poll(&fd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;  // the deadline check above ends the loop
    const ssize_t n = ::read(out_read.get(), chunk.data(), chunk.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    result.output.append(chunk.data(), static_cast<std::size_t>(n));
  }
  if (timed_out) ::kill(pid, SIGKILL);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    throw std::runtime_error(JoinArgv(argv) + " did not finish within " +
                             std::to_string(timeout.count()) + " ms and was killed");
  }
  result.exit_code = ExitCode(status);
  return result;
}

}  // namespace schism::nemesis
