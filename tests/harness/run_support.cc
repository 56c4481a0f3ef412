#include "run_support.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness/spawn.h"
#include "nemesis/run_in_netns.h"

namespace schism::testing {
namespace fs = std::filesystem;

bool IsRoot() { return geteuid() == 0; }

ino_t NetnsInode(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 ? st.st_ino : 0;
}

ino_t NetnsInodeOfPid(pid_t pid) {
  struct stat st {};
  std::string p = "/proc/" + std::to_string(pid) + "/ns/net";
  return stat(p.c_str(), &st) == 0 ? st.st_ino : 0;
}

namespace {

void AddIfNetns(const fs::path& link, std::set<ino_t>& out) {
  std::error_code ec;
  std::string target = fs::read_symlink(link, ec).string();
  if (ec || target.rfind("net:[", 0) != 0) return;
  out.insert(static_cast<ino_t>(std::strtoull(target.c_str() + 5, nullptr, 10)));
}

}  // namespace

std::set<ino_t> LiveNetnsInodes() {
  std::set<ino_t> out;
  std::error_code ec;
  for (const auto& proc : fs::directory_iterator("/proc", ec)) {
    std::string name = proc.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    AddIfNetns(proc.path() / "ns" / "net", out);
    std::error_code fd_ec;
    for (const auto& fd : fs::directory_iterator(proc.path() / "fd", fd_ec)) AddIfNetns(fd.path(), out);
  }
  return out;
}

bool PidAlive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return false;
  std::string line;
  std::getline(stat, line);
  std::size_t close = line.rfind(')');
  return close != std::string::npos && close + 2 < line.size() && line[close + 2] != 'Z';
}

std::set<std::string> HostLinks() {
  const nemesis::ToolResult r = nemesis::RunInNetns(-1, {"ip", "-o", "link"});
  std::set<std::string> names;
  std::istringstream in(r.output);
  for (std::string line; std::getline(in, line);) {
    std::size_t a = line.find(": "), b = line.find(':', a + 2);
    if (a != std::string::npos && b != std::string::npos) names.insert(line.substr(a + 2, b - a - 2));
  }
  return names;
}

std::string HostNftTables() { return nemesis::RunInNetns(-1, {"nft", "list", "tables"}).output; }

Child::Child(const std::vector<std::string>& argv, const fs::path& output) {
  pid_ = fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    int fd = open(output.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    setpgid(0, 0);  // so a test's SIGINT reaches only this child, like Ctrl-C in a shell
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
}

Child::~Child() {
  if (!reaped_ && pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

int Child::Wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      reaped_ = true;
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TempDir::TempDir() {
  std::string tmpl = (fs::temp_directory_path() / "schism-test-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
  // Reachable by the unprivileged user the nodes run as (--node-user).
  fs::permissions(path_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                             fs::perms::others_read | fs::perms::others_exec);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

}  // namespace schism::testing

namespace schism::testing {

std::filesystem::path BinaryDir() {
#ifdef SCHISM_BINARY_DIR
  return SCHISM_BINARY_DIR;
#else
  return ".";
#endif
}

std::vector<std::string> HistoryLines(const std::filesystem::path& history) {
  std::vector<std::string> lines;
  std::ifstream in(history);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

Outcome RunSchism(const TempDir& tmp, std::vector<std::string> args, std::chrono::seconds timeout) {
  std::vector<std::string> argv = {(BinaryDir() / "schism").string()};
  argv.insert(argv.end(), args.begin(), args.end());
  Outcome o;
  {
    Child child(argv, tmp.path() / "out.txt");
    o.code = child.Wait(timeout);
  }
  o.output = ReadFile(tmp.path() / "out.txt");
  std::error_code ec;
  auto latest = std::filesystem::canonical(tmp.path() / "store" / "latest", ec);
  if (!ec) o.run_dir = latest;
  return o;
}

std::vector<nlohmann::json> RunEvents(const std::filesystem::path& run_dir) {
  std::vector<nlohmann::json> out;
  for (const auto& line : HistoryLines(run_dir / "history.jsonl")) {
    out.push_back(nlohmann::json::parse(line));
  }
  return out;
}

const nlohmann::json& VerdictOf(const nlohmann::json& results, const std::string& checker) {
  for (const nlohmann::json& c : results["checkers"]) {
    if (c["checker"] == checker) return c;
  }
  throw std::runtime_error("results.json has no checker " + checker);
}

}  // namespace schism::testing
