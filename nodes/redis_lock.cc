#include "nodes/redis_lock.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "nodes/contract_printer.h"
#include "nodes/resp.h"

namespace schism::nodes {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr int kExitEnvironment = 75;

// SET NX PX, and the fencing token with it, in one step.
constexpr const char* kAcquire =
    "if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then "
    "return redis.call('INCR', KEYS[2]) end return 0";
// PEXPIRE only while the lock is still ours.
constexpr const char* kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then "
    "return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0";

// Sleeps up to `ms`, less when a signal arrives.
void SleepMs(int ms) {
  timespec ts{ms / 1000, static_cast<long>(ms % 1000) * 1'000'000};
  nanosleep(&ts, nullptr);
}

int Millis(Clock::duration d) {
  return static_cast<int>(std::chrono::duration_cast<milliseconds>(d).count());
}

// One TCP connection to redis, made again after any failure; every request
// is bounded by the timeout.
class Connection {
 public:
  Connection(std::string host, std::uint16_t port, int timeout_ms)
      : host_(std::move(host)), port_(port), timeout_ms_(timeout_ms) {}
  ~Connection() { Close(); }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // The reply, or nullopt (with why()) when redis could not be reached or
  // answered garbage; the connection is then closed.
  std::optional<resp::Reply> Call(const std::vector<std::string>& words) {
    if (fd_ < 0 && !Connect()) return std::nullopt;
    const std::string out = resp::Encode(words);
    const auto deadline = Clock::now() + milliseconds(timeout_ms_);
    if (!SendAll(out, deadline)) return Fail(Errno("send"));
    std::string in;
    for (;;) {
      try {
        if (auto parsed = resp::Parse(in)) return parsed->first;
      } catch (const std::exception& e) {
        why_ = e.what();
        Close();
        return std::nullopt;
      }
      if (!WaitFor(POLLIN, deadline)) {
        return Fail("no reply within " + std::to_string(timeout_ms_) + " ms");
      }
      char buf[4096];
      const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) return Fail(n == 0 ? "redis closed the connection" : Errno("recv"));
      in.append(buf, static_cast<std::size_t>(n));
    }
  }
  const std::string& why() const { return why_; }

 private:
  bool Connect() {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return Fail(Errno("socket")).has_value();
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port_);
    ::inet_pton(AF_INET, host_.c_str(), &to.sin_addr);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) return true;
    if (errno != EINPROGRESS) return Fail(Errno("connect")).has_value();
    if (!WaitFor(POLLOUT, Clock::now() + milliseconds(timeout_ms_))) {
      return Fail("connect: no answer within " + std::to_string(timeout_ms_) + " ms").has_value();
    }
    int error = 0;
    socklen_t size = sizeof error;
    ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size);
    if (error != 0) {
      errno = error;
      return Fail(Errno("connect")).has_value();
    }
    return true;
  }
  bool SendAll(const std::string& data, Clock::time_point deadline) {
    for (std::size_t sent = 0; sent < data.size();) {
      if (!WaitFor(POLLOUT, deadline)) return false;
      const ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno != EAGAIN && errno != EINTR) return false;
      if (n > 0) sent += static_cast<std::size_t>(n);
    }
    return true;
  }
  bool WaitFor(short events, Clock::time_point deadline) {
    for (;;) {
      const int left = Millis(deadline - Clock::now());
      if (left <= 0) return false;
      pollfd p{fd_, events, 0};
      const int r = ::poll(&p, 1, left);
      if (r > 0) return true;
      if (r == 0 || errno != EINTR) return false;
    }
  }
  // Closes the connection and keeps why; returns nullopt for Call's use.
  std::optional<resp::Reply> Fail(const std::string& what) {
    why_ = what;
    Close();
    return std::nullopt;
  }
  static std::string Errno(const std::string& call) { return call + ": " + std::strerror(errno); }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  std::string host_;
  std::uint16_t port_;
  int timeout_ms_;
  int fd_ = -1;
  std::string why_;
};

void Log(const std::string& text) { std::fprintf(stderr, "redis-lock: %s\n", text.c_str()); }

// Renews the lock in a thread of its own while the client holds it, the way
// lock libraries keep a lease alive (Redisson's watchdog): the holder's
// critical section never waits on redis, so a pause of the process almost
// always lands inside it, whatever fsync makes a renewal cost.
class Watchdog {
 public:
  Watchdog(const RedisLockOptions& o, Connection& redis, Clock::time_point expiry)
      : o_(o), redis_(redis), expiry_(expiry), thread_([this] { Loop(); }) {}
  ~Watchdog() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The lease's end by this client's clock, as of the last renewal that redis
  // confirmed; and whether a renewal found the lock taken by someone else.
  Clock::time_point expiry() const {
    std::lock_guard lock(mu_);
    return expiry_;
  }
  bool lost() const {
    std::lock_guard lock(mu_);
    return lost_;
  }

 private:
  void Loop() {
    std::unique_lock lock(mu_);
    while (!quit_ && !lost_) {
      lock.unlock();
      const Clock::time_point asked = Clock::now();
      const auto reply =
          redis_.Call({"EVAL", kRenew, "2", "lock", "fence", o_.id, std::to_string(o_.ttl_ms)});
      lock.lock();
      if (!reply) {
        Log("renewal failed: " + redis_.why());  // keep the lease we have; the holder checks it
      } else if (reply->kind == resp::Reply::Kind::kInteger && reply->integer == 1) {
        expiry_ = asked + milliseconds(o_.ttl_ms);
      } else {
        lost_ = true;
        break;
      }
      wake_.wait_for(lock, milliseconds(o_.work_ms), [this] { return quit_; });
    }
  }

  const RedisLockOptions& o_;
  Connection& redis_;  // the holder leaves it to the watchdog until it stops
  mutable std::mutex mu_;
  std::condition_variable wake_;
  Clock::time_point expiry_;
  bool lost_ = false;
  bool quit_ = false;
  std::thread thread_;  // last: it starts once the rest is ready
};

class LockClient {
 public:
  using Role = ContractEvent::Role;

  explicit LockClient(const RedisLockOptions& o) : o_(o), redis_(o.host, o.port, o.timeout_ms) {}

  int Run(volatile std::sig_atomic_t* stop) {
    if (!Say(Role::kCandidate, std::nullopt, "")) return Gone();
    while (!*stop) {
      const bool ok = token_ ? Hold() : Contend();
      if (!ok) return Gone();
    }
    return 0;
  }

 private:
  // One turn of the critical section: check the lease, work, claim it.
  bool Hold() {
    if (watchdog_->lost()) {
      return StepDown("lost the lock (token " + std::to_string(*token_) + ") at renewal");
    }
    const Clock::duration left = watchdog_->expiry() - Clock::now();
    if (left <= milliseconds(o_.work_ms)) {
      return StepDown("lease " + std::to_string(*token_) + " ran out before it was renewed");
    }
    // The critical section: a pause here goes unnoticed until the claim.
    SleepMs(o_.work_ms);
    const auto claim = static_cast<std::uint64_t>(Millis(left) - o_.work_ms);
    return out_.Print(ContractEvent::Lease(*token_, *token_, claim));
  }

  bool StepDown(const std::string& why) {
    watchdog_.reset();
    const std::uint64_t token = *token_;
    token_.reset();
    Log(why);
    return Say(Role::kCandidate, token, "");
  }

  bool Become(std::uint64_t token, Clock::time_point expiry) {
    token_ = token;
    watchdog_.emplace(o_, redis_, expiry);
    return Say(Role::kLeader, token, o_.id);
  }

  // Tries to take the lock; follows its holder otherwise.
  bool Contend() {
    const Clock::time_point asked = Clock::now();
    const auto reply =
        redis_.Call({"EVAL", kAcquire, "2", "lock", "fence", o_.id, std::to_string(o_.ttl_ms)});
    if (!reply) {
      Log("acquire failed: " + redis_.why());
      SleepMs(o_.poll_ms);
      return true;
    }
    if (reply->kind == resp::Reply::Kind::kInteger && reply->integer > 0) {
      return Become(static_cast<std::uint64_t>(reply->integer), asked + milliseconds(o_.ttl_ms));
    }
    if (reply->kind == resp::Reply::Kind::kError) Log("acquire: " + reply->text);
    if (!Follow()) return false;
    SleepMs(o_.poll_ms);
    return true;
  }

  // Reads who holds the lock, and the last token, in one step.
  bool Follow() {
    const auto reply = redis_.Call({"MGET", "lock", "fence"});
    if (!reply || reply->kind != resp::Reply::Kind::kArray || reply->items.size() != 2) return true;
    const resp::Reply& holder = reply->items[0];
    const resp::Reply& fence = reply->items[1];
    std::optional<std::uint64_t> term;
    if (fence.kind == resp::Reply::Kind::kBulk) {
      try {
        if (const long long value = std::stoll(fence.text); value >= 0) term = value;
      } catch (const std::exception&) {
      }
    }
    if (holder.kind == resp::Reply::Kind::kBulk && holder.text != o_.id) {
      return Say(Role::kFollower, term, holder.text);
    }
    if (holder.kind == resp::Reply::Kind::kBulk && term) return Adopt(*term);
    return Say(Role::kCandidate, term, "");
  }

  // The lock is ours though no acquire said so: one timed out after redis
  // took it. While we hold it nobody else can INCR, so the fence is our
  // token; the lease is what redis says is left, from before we asked.
  bool Adopt(std::uint64_t token) {
    const Clock::time_point asked = Clock::now();
    const auto left = redis_.Call({"PTTL", "lock"});
    if (!left || left->kind != resp::Reply::Kind::kInteger || left->integer <= o_.work_ms) {
      return Say(Role::kCandidate, token, "");
    }
    Log("adopted the lock (token " + std::to_string(token) + ") a timed-out acquire took");
    return Become(token, asked + milliseconds(left->integer));
  }

  bool Say(Role role, std::optional<std::uint64_t> term, const std::string& leader) {
    return out_.Print(ContractEvent::RoleChange(role, term, leader));
  }

  int Gone() {
    std::fprintf(stderr, "redis-lock: stdout is gone: %s\n", std::strerror(errno));
    return kExitEnvironment;
  }

  const RedisLockOptions o_;
  Connection redis_;
  ContractPrinter out_;
  std::optional<std::uint64_t> token_;  // set while holding the lock
  std::optional<Watchdog> watchdog_;    // runs while holding the lock
};

}  // namespace

int RunRedisLock(const RedisLockOptions& options, volatile std::sig_atomic_t* stop) {
  LockClient client(options);
  return client.Run(stop);
}

}  // namespace schism::nodes
