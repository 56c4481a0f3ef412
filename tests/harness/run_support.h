#pragma once
// Helpers for the tests that start build/schism as a real process.

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace schism::testing {

// True when the test runs as root (namespaces need it).
bool IsRoot();

// The inode of a network namespace fd (fstat), as shown in "net:[INODE]".
ino_t NetnsInode(int fd);
// The network namespace inode of a process, or 0 when it has gone.
ino_t NetnsInodeOfPid(pid_t pid);

// Every network namespace inode that some process has as its namespace or
// holds open as an fd (scans /proc/*/ns/net and /proc/*/fd/*). A namespace
// absent from this set (and not bind-mounted; schism never mounts one) has
// been freed by the kernel together with its veths, bridge and nft tables.
std::set<ino_t> LiveNetnsInodes();

// True while `pid` exists and is not a zombie.
bool PidAlive(pid_t pid);

// The links of the calling thread's namespace, by name (from `ip -o link`).
std::set<std::string> HostLinks();
// `nft list tables` in the calling thread's namespace.
std::string HostNftTables();

// A child process (fork/exec), stdout+stderr to a file; killed in the destructor
// if still running.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::filesystem::path& output);
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  pid_t pid() const { return pid_; }
  // Waits up to `timeout` for the child to exit; returns its exit code, 128+signal
  // when killed by a signal, or -1 on timeout (the child still runs).
  int Wait(std::chrono::milliseconds timeout);

 private:
  pid_t pid_ = -1;
  bool reaped_ = false;
};

// The whole content of a file ("" when missing).
std::string ReadFile(const std::filesystem::path& path);

// A fresh temporary directory (mode 0755, so that the nodes of a run in it
// can run as nobody), removed with everything in it at destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace schism::testing

namespace schism::testing {

// Where the build put schism and schism-node.
std::filesystem::path BinaryDir();

// What one build/schism command did: its exit code, its stdout and stderr, and
// the run dir `store/latest` of `tmp` points at (empty when there is none).
struct Outcome {
  int code = -1;
  std::string output;
  std::filesystem::path run_dir;
};

// Runs build/schism with `args` (whose --store is `tmp`/store, if any), its
// output in `tmp`/out.txt; code -1 when it ran past `timeout` (it is killed).
Outcome RunSchism(const TempDir& tmp, std::vector<std::string> args, std::chrono::seconds timeout);

// The events of a run dir's history.jsonl, each parsed (see HistoryLines).
std::vector<nlohmann::json> RunEvents(const std::filesystem::path& run_dir);
// The verdict of `checker` in a parsed results.json; throws std::runtime_error
// when it has none.
const nlohmann::json& VerdictOf(const nlohmann::json& results, const std::string& checker);

// The events of a history file, parsed loosely (one nlohmann::json per line;
// a line that does not parse is skipped, for files still being written).
std::vector<std::string> HistoryLines(const std::filesystem::path& history);

}  // namespace schism::testing
