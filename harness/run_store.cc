#include "harness/run_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <stdexcept>
#include <string>
#include <system_error>

#include "histories/atomic_file.h"

namespace schism::harness {
namespace fs = std::filesystem;
namespace {

std::string UtcStamp() {
  std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

[[noreturn]] void Fail(const fs::path& path, const char* what) {
  throw std::system_error(errno, std::generic_category(), std::string(what) + " " + path.string());
}

// Holds an exclusive flock on <root>/.latest.lock while it lives. Runs that
// share a store take it around creating their run dir and repointing latest,
// so latest ends at the run created last, whatever the order of the renames.
class StoreLock {
 public:
  explicit StoreLock(const fs::path& root) {
    const fs::path path = root / ".latest.lock";
    fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) Fail(path, "cannot open");
    while (flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int error = errno;
        close(fd_);
        errno = error;
        Fail(path, "cannot lock");
      }
    }
  }
  ~StoreLock() { close(fd_); }  // Closing the last descriptor releases the lock.
  StoreLock(const StoreLock&) = delete;
  StoreLock& operator=(const StoreLock&) = delete;

 private:
  int fd_ = -1;
};

fs::path MakeRunDir(const fs::path& parent, std::uint64_t seed) {
  const std::string base = UtcStamp() + "-s" + std::to_string(seed);
  for (int attempt = 1;; ++attempt) {
    fs::path dir = parent / (attempt == 1 ? base : base + "-" + std::to_string(attempt));
    if (mkdir(dir.c_str(), 0755) == 0) return dir;
    if (errno != EEXIST || attempt > 1000) Fail(dir, "cannot create run dir");
  }
}

// Repoints <root>/latest atomically: makes the new link aside, under a name of
// this run's own (a shared name would be removed from under a concurrent run),
// then renames it over.
void PointLatestAt(const fs::path& root, const fs::path& dir) {
  const fs::path latest = root / "latest";
  const fs::path tmp_link =
      root / (".latest." + std::to_string(getpid()) + "." + dir.filename().string());
  std::error_code ec;
  fs::remove(tmp_link, ec);
  fs::create_directory_symlink(fs::relative(dir, root), tmp_link, ec);
  if (ec) return;  // A store without symlinks has no latest; the run goes on.
  if (rename(tmp_link.c_str(), latest.c_str()) != 0) {
    const int error = errno;
    fs::remove(tmp_link, ec);
    errno = error;
    Fail(latest, "cannot update");
  }
}

}  // namespace

RunDir RunDir::Create(const fs::path& root, std::string_view test, std::uint64_t seed) {
  fs::path parent = root / std::string(test);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::system_error(ec, "cannot create run store " + parent.string());
  const StoreLock lock(root);
  fs::path dir = MakeRunDir(parent, seed);
  for (const char* sub : {"nodes", "data"}) {
    if (mkdir((dir / sub).c_str(), 0755) != 0) Fail(dir / sub, "cannot create");
  }
  PointLatestAt(root, dir);
  return RunDir(dir);
}

fs::path RunDir::NodeLog(std::string_view node) const {
  return path_ / "nodes" / (std::string(node) + ".log");
}

fs::path RunDir::DataDir(std::string_view node) const { return path_ / "data" / std::string(node); }

void RunDir::WriteFile(std::string_view name, std::string_view content) const {
  const fs::path path = path_ / std::string(name);
  const std::string error =
      histories::WriteFileAtomically(path, content, histories::Durability::kFile);
  if (!error.empty()) throw std::runtime_error("cannot write " + error);
}

}  // namespace schism::harness
