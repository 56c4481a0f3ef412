#include "nodes/state_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "histories/atomic_file.h"

namespace schism::nodes {
namespace {

std::string ErrnoText(const std::string& path, const char* call, int err) {
  return path + ": " + call + ": " + std::strerror(err);
}

}  // namespace

std::string StateFilePath(std::string_view dir, std::string_view elector) {
  return std::string(dir) + "/" + std::string(elector) + "-state.json";
}

bool LoadState(std::string_view dir, std::string_view elector, std::optional<Json>* state,
               std::string* error) {
  const std::string path = StateFilePath(dir, elector);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      state->reset();
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
  Json json = Json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!json.is_object()) {
    *error = path + ": corrupt state file: not a JSON object";
    return false;
  }
  *state = std::move(json);
  return true;
}

bool SaveState(std::string_view dir, std::string_view elector, const Json& state,
               std::string* error) {
  // Durable before anything leaves the node: a restarted node must remember it.
  *error = histories::WriteFileAtomically(StateFilePath(dir, elector), state.dump() + "\n",
                                          histories::Durability::kFileAndDirectory);
  return error->empty();
}

}  // namespace schism::nodes
