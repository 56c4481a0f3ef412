#pragma once
// redis-lock: a client of a real redis-server that contends for one lock, the
// way many applications elect a leader, and says what it believes on stdout
// (contract v1). `schism run --profile redis-lock` runs one per node.
//
// Acquire: one script does SET lock <id> NX PX <ttl> and, when it set it,
// INCR fence, so a holder's fencing token is issued with its lock. The token
// is the holder's term. Renew: a script extends the lock only while it still
// holds <id>. Others read lock and fence with one MGET and follow the holder.
// A client that reads its own id there (an acquire that timed out after
// redis took it) adopts the lock: the fence is its token, and its lease is
// what PTTL says is left, counted from before it asked.
//
// The lease. A holder measures its lease from before it asked redis, on its
// own monotonic clock. A watchdog thread renews it every --work-ms while it
// holds the lock, as lock libraries do, and the holder loops: it checks what
// is left of the lease, then works under it for --work-ms (the critical
// section, where a real client writes to storage), then prints a lease line
// claiming what it believed was left at the check. Because the holder never
// waits on redis (whose fsync can take longer than the work), a pause
// (SIGSTOP, a frozen cgroup, a GC pause) almost always lands inside the
// critical section and goes unnoticed: on waking it claims a lease that may
// have expired and been taken over meanwhile. A slow clock (libfaketime)
// overstates what is left the same way. That is the story of
// Kleppmann's "How to do distributed locking": the lease checker shows two
// holders at once, and the stale holder's old token shows that a store that
// keeps the highest token it has seen would have rejected its write.

#include <csignal>
#include <cstdint>
#include <string>

namespace schism::nodes {

struct RedisLockOptions {
  std::string id;    // this client's id, n1..nN: the lock's value
  std::string host;  // redis-server's IPv4 address
  std::uint16_t port = 6379;
  int ttl_ms = 1000;     // the lock's expiry (PX)
  int work_ms = 100;     // the critical section between a check and its claim; the renewal period
  int poll_ms = 100;     // how often a client that does not hold the lock tries
  int timeout_ms = 300;  // how long one request to redis may take
};

// Runs until *stop is set. Returns 0, or 75 (kExitEnvironment) after writing
// a one-line reason to stderr when stdout is gone.
int RunRedisLock(const RedisLockOptions& options, volatile std::sig_atomic_t* stop);

}  // namespace schism::nodes
