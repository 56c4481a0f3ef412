#include "nodes/udp_runtime.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bit>
#include <cassert>
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
  assert(options.elector != nullptr);
  std::optional<Json> restored;
  if (!LoadState(options.data_dir, options.elector->name, &restored, error)) return nullptr;
  std::string why;
  std::unique_ptr<Elector> elector = options.elector->make(options.setup, restored, &why);
  if (!elector) {
    *error =
        StateFilePath(options.data_dir, options.elector->name) + ": corrupt state file: " + why;
    return nullptr;
  }

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
  UdpRuntime* runtime = new UdpRuntime(std::move(options), std::move(elector), fd);
  runtime->Log("listening on " + runtime->options_.listen.ToString() + ", " +
               (restored ? "restored " + restored->dump() : std::string("fresh state")));
  return std::unique_ptr<UdpRuntime>(runtime);
}

UdpRuntime::UdpRuntime(RuntimeOptions options, std::unique_ptr<Elector> elector, int fd)
    : options_(std::move(options)),
      elector_(std::move(elector)),
      fd_(fd),
      receive_buffer_(kMaxDatagramBytes) {}

UdpRuntime::~UdpRuntime() { ::close(fd_); }

void UdpRuntime::Log(const std::string& line) {
  std::fprintf(options_.diagnostics, "%s: %s\n", options_.setup.id.c_str(), line.c_str());
  std::fflush(options_.diagnostics);
}

bool UdpRuntime::Run(const volatile std::sig_atomic_t* stop, std::string* error) {
  const auto tick = std::chrono::milliseconds(options_.setup.tick_ms);
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
      elector_->Tick();
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
    std::optional<Envelope> message;
    if (static_cast<std::size_t>(n) <= buffer.size()) {  // Longer ones were truncated.
      message = DecodeEnvelope(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    if (!message || message->to != options_.setup.id || !elector_->Step(*message)) {
      // Log the 1st, 2nd, 4th, 8th, ... so that a flood cannot drown the log.
      if (std::has_single_bit(++stats_.undecodable)) {
        Log("dropped an undecodable datagram (" + std::to_string(stats_.undecodable) + " so far)");
      }
    }
  }
}

bool UdpRuntime::Apply(std::string* error) {
  if (!elector_->HasReady()) return true;
  ElectorReady ready = elector_->TakeReady();
  if (ready.state) {
    if (!SaveState(options_.data_dir, options_.elector->name, *ready.state, error)) return false;
    ++stats_.persists;
  }
  for (const ContractEvent& event : ready.events) {
    std::fprintf(options_.reports, "%s\n", FormatEvent(event).c_str());
  }
  if (!ready.events.empty()) std::fflush(options_.reports);
  for (const Envelope& message : ready.messages) {
    const Peer* peer = nullptr;
    for (const Peer& p : options_.peers) {
      if (p.id == message.to) peer = &p;
    }
    if (peer == nullptr) continue;  // Electors only address configured peers.
    const std::string datagram = EncodeEnvelope(message);
    const sockaddr_in addr = peer->endpoint.ToSockaddr();
    if (::sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<const sockaddr*>(&addr),
                 sizeof(addr)) < 0) {
      ++stats_.send_errors;  // Partitions make peers unreachable; electors re-send.
    } else {
      ++stats_.sent;
    }
  }
  return true;
}

}  // namespace schism::nodes
