// The real timers and processes of a run (harness/real_seams.h).
#include "harness/real_seams.h"

#include <signal.h>

#include <cerrno>
#include <fstream>
#include <string>
#include <thread>

namespace schism::harness {
namespace {

// The state letter of /proc/<pid>/stat ('R', 'S', 'T', 'Z', ...); '\0' when
// the process is gone.
char ProcessState(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  const auto paren = stat.rfind(')');  // the name may hold spaces and parens
  if (paren == std::string::npos || paren + 2 >= stat.size()) return '\0';
  return stat[paren + 2];
}

bool Stopped(char state) { return state == 'T' || state == 't' || state == 'Z' || state == '\0'; }

}  // namespace

double AsioTimers::Now() const {
  return std::chrono::duration<double>(Clock::now() - start_).count();
}

void AsioTimers::After(double delay_s, std::function<void()> then) {
  const std::uint64_t id = next_++;
  auto& timer = timers_[id] = std::make_unique<boost::asio::steady_timer>(
      io_, std::chrono::duration_cast<Clock::duration>(
               std::chrono::duration<double>(std::max(0.0, delay_s))));
  timer->async_wait([this, id, then = std::move(then)](boost::system::error_code ec) {
    if (ec) return;  // cancelled: CancelAll, or this being destroyed
    then();
    // Dropped once this handler has returned, not from inside it.
    boost::asio::post(io_, [this, id] { timers_.erase(id); });
  });
}

void AsioTimers::CancelAll() {
  for (auto& [id, timer] : timers_) timer->cancel();
}

bool NodeProcesses::GroupAlive(pid_t pid) const { return !(::kill(-pid, 0) != 0 && errno == ESRCH); }

pid_t NodeProcesses::WaitStopped(const std::vector<pid_t>& pids,
                                 std::chrono::milliseconds deadline) {
  const auto until = std::chrono::steady_clock::now() + deadline;
  pid_t running = 0;
  do {
    running = 0;
    for (pid_t pid : pids) {
      if (!Stopped(ProcessState(pid))) running = pid;
    }
    if (running == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  } while (std::chrono::steady_clock::now() < until);
  return running;
}

}  // namespace schism::harness
