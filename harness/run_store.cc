#include "harness/run_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <ctime>
#include <stdexcept>
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

}  // namespace

RunDir RunDir::Create(const fs::path& root, std::string_view test, std::uint64_t seed) {
  fs::path parent = root / std::string(test);
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::system_error(ec, "cannot create run store " + parent.string());
  std::string base = UtcStamp() + "-s" + std::to_string(seed);
  fs::path dir;
  for (int attempt = 1;; ++attempt) {
    dir = parent / (attempt == 1 ? base : base + "-" + std::to_string(attempt));
    if (mkdir(dir.c_str(), 0755) == 0) break;
    if (errno != EEXIST || attempt > 1000) Fail(dir, "cannot create run dir");
  }
  for (const char* sub : {"nodes", "data"}) {
    if (mkdir((dir / sub).c_str(), 0755) != 0) Fail(dir / sub, "cannot create");
  }
  // Repoint <root>/latest atomically: make the new link aside, then rename over.
  fs::path latest = root / "latest";
  fs::path tmp_link = root / ".latest.tmp";
  fs::remove(tmp_link, ec);
  fs::create_directory_symlink(fs::relative(dir, root), tmp_link, ec);
  if (!ec && rename(tmp_link.c_str(), latest.c_str()) != 0) Fail(latest, "cannot update");
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
