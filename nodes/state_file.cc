#include "nodes/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

namespace schism::nodes {
namespace {

std::string ErrnoText(const std::string& path, const char* call, int err) {
  return path + ": " + call + ": " + std::strerror(err);
}

// Writes all of `data` to `fd`, retrying short writes and EINTR.
bool WriteAll(int fd, const std::string& data) {
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

bool FsyncPath(const std::string& path, int flags, std::string* error) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) {
    *error = ErrnoText(path, "open", errno);
    return false;
  }
  const bool ok = ::fsync(fd) == 0;
  if (!ok) *error = ErrnoText(path, "fsync", errno);
  ::close(fd);
  return ok;
}

}  // namespace

bool LoadHardState(const std::string& dir, HardState* state, std::string* error) {
  const std::string path = dir + "/" + kStateFileName;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      *state = HardState{};
      return true;
    }
    *error = ErrnoText(path, "open", errno);
    return false;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = ErrnoText(path, "read", errno);
      ::close(fd);
      return false;
    }
    if (n == 0) break;
    text.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  const nlohmann::json json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  const auto corrupt = [&](const char* why) {
    *error = path + ": corrupt state file: " + why;
    return false;
  };
  if (!json.is_object()) return corrupt("not a JSON object");
  const auto term = json.find("term");
  if (term == json.end() || !term->is_number_unsigned()) {
    return corrupt("\"term\" is not an unsigned integer");
  }
  HardState loaded{term->get<std::uint64_t>(), ""};
  const auto vote = json.find("votedFor");
  if (vote != json.end() && !vote->is_null()) {
    if (!vote->is_string()) return corrupt("\"votedFor\" is neither a string nor null");
    loaded.voted_for = vote->get<std::string>();
  }
  *state = std::move(loaded);
  return true;
}

bool SaveHardState(const std::string& dir, const HardState& state, std::string* error) {
  const std::string path = dir + "/" + kStateFileName;
  const std::string temp = path + ".tmp";
  nlohmann::ordered_json json = {{"term", state.term}, {"votedFor", nullptr}};
  if (!state.voted_for.empty()) json["votedFor"] = state.voted_for;
  const std::string text = json.dump() + "\n";

  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    *error = ErrnoText(temp, "open", errno);
    return false;
  }
  if (!WriteAll(fd, text)) {
    *error = ErrnoText(temp, "write", errno);
    ::close(fd);
    return false;
  }
  if (::fsync(fd) != 0) {
    *error = ErrnoText(temp, "fsync", errno);
    ::close(fd);
    return false;
  }
  if (::close(fd) != 0) {
    *error = ErrnoText(temp, "close", errno);
    return false;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    *error = ErrnoText(path, "rename", errno);
    return false;
  }
  // The rename itself is only durable once the directory is.
  return FsyncPath(dir, O_RDONLY | O_DIRECTORY, error);
}

}  // namespace schism::nodes
