#include "histories/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace schism::histories {
namespace {

std::string ErrnoText(const std::filesystem::path& path, const char* call, int err) {
  return path.string() + ": " + call + ": " + std::strerror(err);
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, std::string_view data) {
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

std::string WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                Durability durability) {
  std::filesystem::path temp = path;
  temp += ".tmp";
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoText(temp, "open", errno);
  const char* failed = nullptr;
  if (!WriteAll(fd, content)) {
    failed = "write";
  } else if (durability != Durability::kNone && ::fsync(fd) != 0) {
    failed = "fsync";
  }
  const int err = errno;
  if (::close(fd) != 0 && failed == nullptr) return ErrnoText(temp, "close", errno);
  if (failed != nullptr) return ErrnoText(temp, failed, err);
  if (::rename(temp.c_str(), path.c_str()) != 0) return ErrnoText(path, "rename", errno);
  if (durability != Durability::kFileAndDirectory) return "";
  // The rename itself is only durable once the directory is.
  const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ErrnoText(dir, "open", errno);
  const bool synced = ::fsync(dir_fd) == 0;
  const int dir_err = errno;
  ::close(dir_fd);
  return synced ? "" : ErrnoText(dir, "fsync", dir_err);
}

}  // namespace schism::histories
