#include "harness/node_user.h"

#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <system_error>
#include <vector>

#include "harness/errors.h"

namespace schism::harness {
namespace {

std::optional<unsigned long> Number(std::string_view text) {
  unsigned long value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || value >= 0xffffffffUL) return std::nullopt;
  return value;
}

// rwx bits of `mode` for `user`, as the kernel picks them: owner, else group, else other.
mode_t BitsFor(const struct stat& st, const NodeUser& user) {
  if (user.root()) return 07;
  if (st.st_uid == user.uid) return (st.st_mode >> 6) & 07;
  if (st.st_gid == user.gid) return (st.st_mode >> 3) & 07;
  return st.st_mode & 07;
}

std::string Describe(const struct stat& st) {
  char mode[16];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return std::string("mode ") + mode + ", owner " + std::to_string(st.st_uid) + ":" +
         std::to_string(st.st_gid);
}

}  // namespace

NodeUser ResolveNodeUser(std::string_view spec) {
  NodeUser user;
  user.name = std::string(spec);
  const std::size_t colon = spec.find(':');
  if (std::optional<unsigned long> uid = Number(spec.substr(0, colon))) {
    user.uid = static_cast<uid_t>(*uid);
    user.gid = static_cast<gid_t>(*uid);
    if (colon != std::string_view::npos) {
      std::optional<unsigned long> gid = Number(spec.substr(colon + 1));
      if (!gid) throw UsageError("--node-user: bad group id in \"" + user.name + "\" (UID:GID)");
      user.gid = static_cast<gid_t>(*gid);
    } else if (const struct passwd* pw = getpwuid(user.uid)) {
      user.gid = pw->pw_gid;
    }
    return user;
  }
  const struct passwd* pw = getpwnam(user.name.c_str());
  if (pw == nullptr) {
    throw UsageError("--node-user: no user \"" + user.name +
                     "\" on this machine (a user name, root, or UID[:GID])");
  }
  user.uid = pw->pw_uid;
  user.gid = pw->pw_gid;
  return user;
}

std::string WhyUnreachable(const std::filesystem::path& path, const NodeUser& user,
                           bool read_only) {
  if (user.root()) return {};
  std::error_code ec;
  const std::filesystem::path full = std::filesystem::absolute(path, ec).lexically_normal();
  if (ec) return "cannot resolve " + path.string() + ": " + ec.message();
  std::vector<std::filesystem::path> chain;
  for (std::filesystem::path p = full; ; p = p.parent_path()) {
    chain.push_back(p);
    if (p == p.parent_path()) break;
  }
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    struct stat st {};
    if (::stat(it->c_str(), &st) != 0) {
      return "cannot look at " + it->string() + ": " + std::generic_category().message(errno);
    }
    const bool last = *it == full;
    if (!last || S_ISDIR(st.st_mode)) {
      if ((BitsFor(st, user) & 01) == 0) {
        return user.name + " cannot enter " + it->string() + " (" + Describe(st) + ")";
      }
    } else if ((BitsFor(st, user) & (read_only ? 04 : 01)) == 0) {
      return user.name + (read_only ? " cannot read " : " cannot run ") + it->string() + " (" +
             Describe(st) + ")";
    }
  }
  return {};
}

void GiveTree(const std::filesystem::path& dir, const NodeUser& user) {
  auto give = [&](const std::filesystem::path& p) {
    if (::lchown(p.c_str(), user.uid, user.gid) != 0) {
      throw std::system_error(errno, std::generic_category(),
                              "give " + p.string() + " to " + user.name);
    }
  };
  give(dir);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) give(entry.path());
}

}  // namespace schism::harness
