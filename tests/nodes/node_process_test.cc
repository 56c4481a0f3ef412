// Integration tests of the schism-node executable: real processes talking UDP
// on 127.0.0.1. Every child is killed by pid on every path (RAII) and also
// gets PR_SET_PDEATHSIG, so a crashed test leaves nothing behind.

#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#ifndef SCHISM_NODE_BINARY
#error "SCHISM_NODE_BINARY must name the schism-node executable"
#endif

namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

// A temporary directory, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "schism-node-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A UDP socket bound to a free loopback port, held until destroyed.
class BoundUdpSocket {
 public:
  BoundUdpSocket() : fd_(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      std::abort();
    }
    port_ = ntohs(addr.sin_port);
  }
  ~BoundUdpSocket() { ::close(fd_); }
  int port() const { return port_; }
  int fd() const { return fd_; }

 private:
  int fd_;
  int port_ = 0;
};

// Ports that were free a moment ago (probed by binding them all at once).
std::vector<int> FreePorts(int n) {
  std::vector<std::unique_ptr<BoundUdpSocket>> probes;
  std::vector<int> ports;
  for (int i = 0; i < n; ++i) {
    probes.push_back(std::make_unique<BoundUdpSocket>());
    ports.push_back(probes.back()->port());
  }
  return ports;
}

// A child process with its stdout on a pipe and its stderr in a file.
class Child {
 public:
  Child(const std::vector<std::string>& args, const std::string& stderr_path) {
    int out[2];
    if (::pipe2(out, O_CLOEXEC) != 0) std::abort();
    std::vector<char*> argv;
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      const int err = ::open(stderr_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      ::dup2(out[1], STDOUT_FILENO);
      if (err >= 0) ::dup2(err, STDERR_FILENO);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    out_ = out[0];
  }
  ~Child() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(out_);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int stdout_fd() const { return out_; }

  // Appends what is readable on stdout and returns the complete lines so far.
  std::vector<std::string> ReadLines() {
    char buffer[4096];
    const ssize_t n = ::read(out_, buffer, sizeof(buffer));
    if (n > 0) pending_.append(buffer, static_cast<std::size_t>(n));
    std::vector<std::string> lines;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n')) {
      lines.push_back(pending_.substr(0, nl));
      pending_.erase(0, nl + 1);
    }
    return lines;
  }

  // Sends `signal` (if still running) and waits up to `timeout` for the exit;
  // returns the exit status as from waitpid, or -1 on timeout.
  int SignalAndWait(int signal, std::chrono::milliseconds timeout) {
    if (signal != 0) ::kill(pid_, signal);
    for (const auto deadline = Clock::now() + timeout; Clock::now() < deadline;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exited_ = true;
        return status;
      }
      std::this_thread::sleep_for(5ms);
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
  int out_ = -1;
  bool exited_ = false;
  std::string pending_;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs schism-node with `args` to completion; returns its exit code and stderr.
std::pair<int, std::string> RunToExit(std::vector<std::string> args) {
  TempDir logs;
  args.insert(args.begin(), SCHISM_NODE_BINARY);
  Child child(args, logs.path() + "/stderr");
  const int status = child.SignalAndWait(0, 5000ms);
  EXPECT_NE(status, -1) << "schism-node did not exit";
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, ReadFile(logs.path() + "/stderr")};
}

TEST(NodesProcess, ThreeNodesElectExactlyOneLeader) {
  TempDir dir;
  const std::vector<int> ports = FreePorts(3);
  const auto addr = [&](int i) { return "127.0.0.1:" + std::to_string(ports[i]); };
  std::vector<std::unique_ptr<Child>> nodes;
  for (int i = 0; i < 3; ++i) {
    std::string peers;
    for (int j = 0; j < 3; ++j) {
      if (j == i) continue;
      peers += (peers.empty() ? "" : ",") + ("n" + std::to_string(j + 1)) + "=" + addr(j);
    }
    const std::string data = dir.path() + "/n" + std::to_string(i + 1);
    std::filesystem::create_directory(data);
    nodes.push_back(std::make_unique<Child>(std::vector<std::string>{SCHISM_NODE_BINARY,
                                                                     "raft",
                                                                     "--id",
                                                                     "n" + std::to_string(i + 1),
                                                                     "--listen",
                                                                     addr(i),
                                                                     "--peers",
                                                                     peers,
                                                                     "--data",
                                                                     data,
                                                                     "--seed",
                                                                     "7",
                                                                     "--tick-ms",
                                                                     "5",
                                                                     "--election-min-ms",
                                                                     "100",
                                                                     "--election-max-ms",
                                                                     "200",
                                                                     "--heartbeat-ms",
                                                                     "25"},
                                            data + ".stderr"));
  }

  // Read every node's reports until a leader appears (at most 5 s), then a
  // little longer so that a second claim for the same term would be seen.
  std::map<std::uint64_t, std::set<int>> leaders_by_term;
  std::optional<Clock::time_point> settle;
  for (const auto deadline = Clock::now() + 5000ms; Clock::now() < deadline;) {
    if (settle && Clock::now() > *settle) break;
    std::vector<pollfd> fds;
    for (const auto& node : nodes) fds.push_back({node->stdout_fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), 20);
    for (int i = 0; i < 3; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      for (const std::string& line : nodes[i]->ReadLines()) {
        const auto json = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(json.is_object()) << "n" << i + 1 << " printed a non-JSON line: " << line;
        if (json.value("role", "") == "leader") {
          leaders_by_term[json.at("term").get<std::uint64_t>()].insert(i);
          if (!settle) settle = Clock::now() + 300ms;
        }
      }
    }
  }
  ASSERT_FALSE(leaders_by_term.empty()) << "no leader within 5 s; logs in " << dir.path();
  for (const auto& [term, leaders] : leaders_by_term) {
    EXPECT_EQ(leaders.size(), 1u) << "term " << term;
  }

  // Garbage on the wire is counted and dropped, never fatal.
  BoundUdpSocket sender;
  for (int i = 0; i < 3; ++i) {
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    to.sin_port = htons(static_cast<std::uint16_t>(ports[i]));
    for (const char* garbage : {"", "\xff\xfe{", "{\"type\":\"heartbeat\"}", "[1,2,3]"}) {
      ::sendto(sender.fd(), garbage, std::strlen(garbage), 0, reinterpret_cast<sockaddr*>(&to),
               sizeof(to));
    }
  }

  for (int i = 0; i < 3; ++i) {
    const int status = nodes[i]->SignalAndWait(SIGTERM, 2000ms);
    ASSERT_TRUE(WIFEXITED(status)) << "n" << i + 1 << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "n" << i + 1;
    const std::string state =
        ReadFile(dir.path() + "/n" + std::to_string(i + 1) + "/raft-state.json");
    EXPECT_NE(state.find("\"term\":"), std::string::npos) << state;
  }
}

// Starts three `schism-node ELECTOR` nodes with `options` and expects n3 to
// lead and n1, n2 to follow it within 5 s, with no term on any line (the
// elector has none), and every node to exit 0 on SIGTERM.
void ExpectThreeTermlessNodesFollowN3(const std::string& elector,
                                      const std::vector<std::string>& options) {
  TempDir dir;
  const std::vector<int> ports = FreePorts(3);
  const auto addr = [&](int i) { return "127.0.0.1:" + std::to_string(ports[i]); };
  std::vector<std::unique_ptr<Child>> nodes;
  for (int i = 0; i < 3; ++i) {
    std::string peers;
    for (int j = 0; j < 3; ++j) {
      if (j != i) peers += (peers.empty() ? "n" : ",n") + std::to_string(j + 1) + "=" + addr(j);
    }
    const std::string data = dir.path() + "/n" + std::to_string(i + 1);
    std::filesystem::create_directory(data);
    std::vector<std::string> args = {
        SCHISM_NODE_BINARY, elector, "--id",      "n" + std::to_string(i + 1),
        "--listen",         addr(i), "--peers",   peers,
        "--data",           data,    "--tick-ms", "5"};
    args.insert(args.end(), options.begin(), options.end());
    nodes.push_back(std::make_unique<Child>(args, data + ".stderr"));
  }
  // Each node's latest role line, until n3 leads and n1, n2 follow it (at most 5 s).
  std::vector<nlohmann::json> last(3, nlohmann::json::object());
  const auto settled = [&] {
    return last[2].value("role", "") == "leader" && last[0].value("leader", "") == "n3" &&
           last[1].value("leader", "") == "n3";
  };
  for (const auto deadline = Clock::now() + 5000ms; Clock::now() < deadline && !settled();) {
    std::vector<pollfd> fds;
    for (const auto& node : nodes) fds.push_back({node->stdout_fd(), POLLIN, 0});
    ::poll(fds.data(), fds.size(), 20);
    for (int i = 0; i < 3; ++i) {
      if ((fds[i].revents & (POLLIN | POLLHUP)) == 0) continue;
      for (const std::string& line : nodes[i]->ReadLines()) {
        const auto json = nlohmann::json::parse(line, nullptr, false);
        ASSERT_TRUE(json.is_object()) << "n" << i + 1 << " printed a non-JSON line: " << line;
        EXPECT_FALSE(json.contains("term")) << elector << " has no terms: " << line;
        if (json.value("event", "") == "role") last[i] = json;
      }
    }
  }
  EXPECT_TRUE(settled()) << last[0] << " " << last[1] << " " << last[2] << "; logs in "
                         << dir.path();
  for (int i = 0; i < 3; ++i) {
    const int status = nodes[i]->SignalAndWait(SIGTERM, 2000ms);
    ASSERT_TRUE(WIFEXITED(status)) << "n" << i + 1 << " status " << status;
    EXPECT_EQ(WEXITSTATUS(status), 0) << "n" << i + 1;
  }
}

TEST(NodesProcess, ThreeBullyNodesFollowTheHighestId) {
  ExpectThreeTermlessNodesFollowN3(
      "bully",
      {"--leader-timeout-min-ms", "100", "--leader-timeout-max-ms", "200", "--heartbeat-ms", "25"});
}

TEST(NodesProcess, ThreeRingNodesFollowTheHighestId) {
  ExpectThreeTermlessNodesFollowN3(
      "ring", {"--leader-timeout-min-ms", "100", "--leader-timeout-max-ms", "200", "--heartbeat-ms",
               "25", "--ack-timeout-ms", "20"});
}

TEST(NodesProcess, BadFlagsExitWith64AndOneLine) {
  TempDir data;
  const std::vector<std::vector<std::string>> cases = {
      {"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--bogus"},
      {"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--bug", "nope"},
      {"raft", "--id", "n1", "--listen", "localhost:1", "--data", data.path()},
      {"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--peers", "n2"},
      {"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--election-min-ms",
       "500", "--election-max-ms", "100"},
      {"raft", "--listen", "127.0.0.1:1", "--data", data.path()},
      {"paxos"},
      {"bully", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--bug",
       "double-vote"},
      {"bully", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--heartbeat-ms",
       "500"},
      {"ring", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path(), "--ack-timeout-ms",
       "500"},
  };
  for (const auto& args : cases) {
    const auto [code, err] = RunToExit(args);
    EXPECT_EQ(code, 64) << args.back();
    EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  }
}

TEST(NodesProcess, UnusableDataDirExitsWith70NamingThePath) {
  const std::string missing = "/nonexistent/schism-data";
  const auto [code, err] =
      RunToExit({"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", missing});
  EXPECT_EQ(code, 70);
  EXPECT_NE(err.find(missing), std::string::npos) << err;
  EXPECT_NE(err.find("No such file or directory"), std::string::npos) << err;
}

TEST(NodesProcess, CorruptStateFileExitsWith70NamingTheFile) {
  TempDir data;
  std::ofstream(data.path() + "/raft-state.json") << "{\"term\":";
  const auto [code, err] =
      RunToExit({"raft", "--id", "n1", "--listen", "127.0.0.1:1", "--data", data.path()});
  EXPECT_EQ(code, 70);
  EXPECT_NE(err.find(data.path() + "/raft-state.json"), std::string::npos) << err;
}

TEST(NodesProcess, BindFailureExitsWith70NamingTheAddress) {
  TempDir data;
  BoundUdpSocket taken;
  const std::string listen = "127.0.0.1:" + std::to_string(taken.port());
  const auto [code, err] =
      RunToExit({"raft", "--id", "n1", "--listen", listen, "--data", data.path()});
  EXPECT_EQ(code, 70);
  EXPECT_NE(err.find(listen), std::string::npos) << err;
  EXPECT_NE(err.find("Address already in use"), std::string::npos) << err;
}

}  // namespace
