#include "nodes/state_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <nlohmann/json.hpp>

#include "histories/atomic_file.h"

namespace schism::nodes {
namespace {

std::string ErrnoText(const std::string& path, const char* call, int err) {
  return path + ": " + call + ": " + std::strerror(err);
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
  nlohmann::ordered_json json = {{"term", state.term}, {"votedFor", nullptr}};
  if (!state.voted_for.empty()) json["votedFor"] = state.voted_for;
  // Durable before any vote leaves: a restarted node must remember it.
  *error = histories::WriteFileAtomically(dir + "/" + kStateFileName, json.dump() + "\n",
                                          histories::Durability::kFileAndDirectory);
  return error->empty();
}

}  // namespace schism::nodes
