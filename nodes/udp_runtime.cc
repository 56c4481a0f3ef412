#include "nodes/udp_runtime.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

#include "nodes/codec.h"
#include "nodes/state_file.h"

namespace schism::nodes {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxDatagramsPerWakeup = 256;
constexpr std::size_t kMaxDatagramBytes = 65536;

std::string ErrnoText(const std::string& what, const char* call, int err) {
  return what + ": " + call + ": " + std::strerror(err);
}

}  // namespace

std::unique_ptr<UdpRuntime> UdpRuntime::Open(RuntimeOptions options, std::string* error) {
  struct stat st {};
  if (::stat(options.data_dir.c_str(), &st) != 0) {
    *error = ErrnoText(options.data_dir, "stat", errno);
    return nullptr;
  }
  if (!S_ISDIR(st.st_mode)) {
    *error = options.data_dir + ": not a directory";
    return nullptr;
  }
  if (::access(options.data_dir.c_str(), W_OK | X_OK) != 0) {
    *error = ErrnoText(options.data_dir, "access", errno);
    return nullptr;
  }
  HardState restored;
  if (!LoadHardState(options.data_dir, &restored, error)) return nullptr;

  const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    *error = ErrnoText("udp socket", "socket", errno);
    return nullptr;
  }
  const sockaddr_in addr = options.listen.ToSockaddr();
  if (::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr)) != 0) {
    *error = ErrnoText(options.listen.ToString(), "bind", errno);
    ::close(fd);
    return nullptr;
  }
  return std::unique_ptr<UdpRuntime>(new UdpRuntime(std::move(options), std::move(restored), fd));
}

UdpRuntime::UdpRuntime(RuntimeOptions options, HardState restored, int fd)
    : options_(std::move(options)),
      raft_(options_.raft, restored),
      fd_(fd),
      receive_buffer_(kMaxDatagramBytes) {
  Log("listening on " + options_.listen.ToString() + ", restored term " +
      std::to_string(restored.term) +
      (restored.voted_for.empty() ? std::string(", no vote")
                                  : ", voted for " + restored.voted_for));
}

UdpRuntime::~UdpRuntime() { ::close(fd_); }

void UdpRuntime::Log(const std::string& line) {
  std::fprintf(options_.diagnostics, "%s: %s\n", options_.raft.id.c_str(), line.c_str());
  std::fflush(options_.diagnostics);
}

bool UdpRuntime::Run(const volatile std::sig_atomic_t* stop, std::string* error) {
  const auto tick = std::chrono::milliseconds(options_.tick_ms);
  auto next_tick = Clock::now() + tick;
  if (!Apply(error)) return false;  // The initial role report.
  while (*stop == 0) {
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next_tick - Clock::now());
    pollfd pfd{fd_, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(std::max<std::int64_t>(0, wait.count())));
    if (ready < 0 && errno != EINTR) {
      *error = ErrnoText("udp socket", "poll", errno);
      return false;
    }
    if (ready > 0) ReceiveAll();
    const auto now = Clock::now();
    if (now >= next_tick) {
      raft_.Tick();
      // Like a Go ticker, missed ticks are dropped rather than replayed: a node
      // that was stopped (SIGSTOP) resumes with one tick, not a burst.
      next_tick += tick;
      if (next_tick <= now) next_tick = now + tick;
    }
    if (!Apply(error)) return false;
  }
  Log("stopping: received " + std::to_string(stats_.received) + " datagrams (" +
      std::to_string(stats_.undecodable) + " undecodable), sent " + std::to_string(stats_.sent) +
      " (" + std::to_string(stats_.send_errors) + " failed), " + std::to_string(stats_.persists) +
      " state writes");
  return true;
}

void UdpRuntime::ReceiveAll() {
  std::vector<char>& buffer = receive_buffer_;
  for (int i = 0; i < kMaxDatagramsPerWakeup; ++i) {
    const ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_TRUNC);
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // EAGAIN: drained. Other errors (e.g. a late ICMP) are not fatal.
    }
    ++stats_.received;
    std::optional<Message> message;
    if (static_cast<std::size_t>(n) <= buffer.size()) {  // Longer ones were truncated.
      message = DecodeMessage(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    if (!message || message->to != options_.raft.id) {
      // Log the 1st, 2nd, 4th, 8th, ... so that a flood cannot drown the log.
      if (std::has_single_bit(++stats_.undecodable)) {
        Log("dropped an undecodable datagram (" + std::to_string(stats_.undecodable) + " so far)");
      }
      continue;
    }
    raft_.Step(*message);
  }
}

bool UdpRuntime::Apply(std::string* error) {
  if (!raft_.HasReady()) return true;
  Ready ready = raft_.TakeReady();
  if (ready.hard_state) {
    if (!SaveHardState(options_.data_dir, *ready.hard_state, error)) return false;
    ++stats_.persists;
  }
  for (const Report& report : ready.reports) {
    std::fprintf(options_.reports, "%s\n", FormatReport(report).c_str());
  }
  if (!ready.reports.empty()) std::fflush(options_.reports);
  for (const Message& message : ready.messages) {
    const Peer* peer = nullptr;
    for (const Peer& p : options_.peers) {
      if (p.id == message.to) peer = &p;
    }
    if (peer == nullptr) continue;  // Raft only addresses configured peers.
    const std::string datagram = EncodeMessage(message);
    const sockaddr_in addr = peer->endpoint.ToSockaddr();
    if (::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&addr),
                 sizeof(addr)) < 0) {
      ++stats_.send_errors;  // Partitions make peers unreachable; Raft re-sends.
    } else {
      ++stats_.sent;
    }
  }
  return true;
}

}  // namespace schism::nodes
