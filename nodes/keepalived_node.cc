#include "nodes/keepalived_node.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "nodes/contract_printer.h"

namespace schism::nodes {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kExitEnvironment = 75;
constexpr int kVrrpProtocol = 112;
constexpr auto kAdvert = std::chrono::milliseconds(100);
// A BACKUP names the sender of an advert this recent as its leader.
constexpr auto kAdvertFresh = 3 * kAdvert;
// The virtual address: above every node's (Sandbox::kMaxNodes is 250).
constexpr const char* kVirtualAddress = "10.241.0.254/32";

int Fail(const std::string& what) {
  std::fprintf(stderr, "keepalived-node: %s: %s\n", what.c_str(), std::strerror(errno));
  return kExitEnvironment;
}

// Priorities far apart: a router waits 3 adverts plus (256 - priority)/256 of
// one before it takes over: 50 priority steps are 20 ms of wait, so at a
// common start the first one's adverts reach the others before their own
// wait ends (with priorities 1 apart, 0.4 ms, two routers were both MASTER
// for 3 ms at start: measured).
int Priority(const KeepalivedOptions& o) {
  const int routers = static_cast<int>(o.peers.size()) + 1;
  const int step = std::max(1, std::min(50, 250 / routers));
  return 254 - (static_cast<int>(o.index) - 1) * step;
}

std::string Config(const KeepalivedOptions& o, const std::string& fifo) {
  return "global_defs {\n"
         "  router_id " +
         o.id +
         "\n"
         "  vrrp_version 3\n"
         "  vrrp_notify_fifo " +
         fifo +
         "\n"
         "  enable_script_security\n"
         "  script_user root\n"
         "}\n"
         "vrrp_instance VI_1 {\n"
         "  state BACKUP\n"
         "  interface eth0\n"
         "  virtual_router_id 51\n"
         "  priority " +
         std::to_string(Priority(o)) +
         "\n"
         "  nopreempt\n"
         "  advert_int 0.1\n"
         "  virtual_ipaddress {\n"
         "    " +
         kVirtualAddress +
         " dev eth0\n"
         "  }\n"
         "}\n";
}

class Router {
 public:
  using Role = ContractEvent::Role;

  explicit Router(const KeepalivedOptions& o) : o_(o) {
    for (const Peer& p : o.peers) names_[p.endpoint.address.s_addr] = p.id;
  }
  ~Router() {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    if (fifo_ >= 0) ::close(fifo_);
    if (raw_ >= 0) ::close(raw_);
  }
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  int Run(volatile std::sig_atomic_t* stop) {
    const std::string fifo = o_.data_dir + "/notify.fifo";
    const std::string conf = o_.data_dir + "/keepalived.conf";
    std::ofstream(conf) << Config(o_, fifo);
    ::unlink(fifo.c_str());
    if (::mkfifo(fifo.c_str(), 0600) != 0) return Fail("mkfifo " + fifo);
    // Read and write: no EOF while keepalived reopens it, no block at open.
    fifo_ = ::open(fifo.c_str(), O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fifo_ < 0) return Fail("open " + fifo);
    raw_ = ::socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, kVrrpProtocol);
    if (raw_ < 0) return Fail("a raw socket for VRRP");
    if (!Say(Role::kFollower, "")) return Fail("stdout");
    if (!Start(conf)) return kExitEnvironment;
    while (!*stop) {
      pollfd fds[2] = {{fifo_, POLLIN, 0}, {raw_, POLLIN, 0}};
      ::poll(fds, 2, 50);
      if (fds[0].revents & POLLIN) ReadFifo();
      if (fds[1].revents & POLLIN) ReadAdverts();
      if (!Print()) return Fail("stdout");
      int status = 0;
      if (::waitpid(child_, &status, WNOHANG) == child_) {
        child_ = -1;
        std::fprintf(stderr, "keepalived-node: keepalived exited by itself\n");
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
    }
    return StopChild();
  }

 private:
  bool Start(const std::string& conf) {
    const std::string dir = o_.data_dir;
    std::vector<std::string> args = {o_.program,       "--dont-fork",
                                     "--log-console",  "--log-detail",
                                     "--no-syslog",    "--vrrp",
                                     "--use-file",     conf,
                                     "--pid",          dir + "/keepalived.pid",
                                     "--vrrp_pid",     dir + "/vrrp.pid",
                                     "--checkers_pid", dir + "/checkers.pid",
                                     "--bfd_pid",      dir + "/bfd.pid"};
    // A killed keepalived leaves its pid files, and its pid may still answer
    // (a zombie nobody reaped): keepalived would take it for itself running.
    for (const char* file : {"keepalived.pid", "vrrp.pid", "checkers.pid", "bfd.pid"}) {
      ::unlink((dir + "/" + file).c_str());
    }
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const pid_t parent = ::getpid();
    child_ = ::fork();
    if (child_ < 0) return Fail("fork") == 0;
    if (child_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(kExitEnvironment);
      ::dup2(STDERR_FILENO, STDOUT_FILENO);  // its log is not contract lines
      ::execvp(argv[0], argv.data());
      std::fprintf(stderr, "keepalived-node: exec %s: %s\n", argv[0], std::strerror(errno));
      ::_exit(kExitEnvironment);
    }
    return true;
  }

  // Lines like: INSTANCE "VI_1" MASTER 199
  void ReadFifo() {
    char buf[1024];
    for (;;) {
      const ssize_t n = ::read(fifo_, buf, sizeof buf);
      if (n <= 0) break;
      pending_.append(buf, static_cast<std::size_t>(n));
    }
    for (std::size_t eol; (eol = pending_.find('\n')) != std::string::npos;) {
      const std::string line = pending_.substr(0, eol);
      pending_.erase(0, eol + 1);
      std::fprintf(stderr, "keepalived-node: notify: %s\n", line.c_str());
      if (line.rfind("INSTANCE ", 0) != 0) continue;
      for (const char* state : {"MASTER", "BACKUP", "FAULT", "STOP"}) {
        if (line.find(std::string(" ") + state) != std::string::npos) state_ = state;
      }
    }
  }

  void ReadAdverts() {
    char packet[2048];
    for (;;) {
      const ssize_t n = ::recv(raw_, packet, sizeof packet, 0);
      if (n < static_cast<ssize_t>(sizeof(iphdr))) break;
      iphdr header;
      std::memcpy(&header, packet, sizeof header);
      const auto name = names_.find(header.saddr);
      if (name == names_.end()) continue;  // its own, or no router of the cluster
      last_sender_ = name->second;
      last_heard_ = Clock::now();
    }
  }

  bool Print() {
    if (state_ == "MASTER") return Say(Role::kLeader, o_.id);
    if (state_ == "BACKUP" || state_.empty()) {
      const bool fresh = !last_sender_.empty() && Clock::now() - last_heard_ < kAdvertFresh;
      return Say(Role::kFollower, fresh ? last_sender_ : "");
    }
    return Say(Role::kCandidate, "");
  }
  // VRRP has no terms.
  bool Say(Role role, const std::string& leader) {
    return out_.Print(ContractEvent::RoleChange(role, std::nullopt, leader));
  }

  int StopChild() {
    ::kill(child_, SIGTERM);
    for (int i = 0; i < 100; ++i) {  // up to 1 s, then SIGKILL in the destructor
      if (::waitpid(child_, nullptr, WNOHANG) == child_) {
        child_ = -1;
        return 0;
      }
      ::usleep(10'000);
    }
    return 0;
  }

  const KeepalivedOptions o_;
  std::map<in_addr_t, std::string> names_;  // peers by address
  ContractPrinter out_;
  pid_t child_ = -1;
  int fifo_ = -1;
  int raw_ = -1;
  std::string pending_;
  std::string state_;  // keepalived's last reported state
  std::string last_sender_;
  Clock::time_point last_heard_;
};

}  // namespace

int RunKeepalived(const KeepalivedOptions& options, volatile std::sig_atomic_t* stop) {
  Router router(options);
  return router.Run(stop);
}

}  // namespace schism::nodes
