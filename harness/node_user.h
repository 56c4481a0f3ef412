#pragma once
// The unprivileged user the nodes run as (`schism run --node-user`).
//
// A node runs as root in its own network namespace unless told otherwise, and
// root there holds CAP_NET_ADMIN: it could list or flush the nft rules the
// nemesis installs in the hub's and its own namespace. Run as an ordinary
// user, with no supplementary groups, it can do neither; the controller stays
// root and still enters namespaces, cgroups and time namespaces for it before
// it drops to that user (harness/spawn.h).

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace schism::harness {

struct NodeUser {
  std::string name;  // as given or found: "nobody", "1234"
  uid_t uid = 0;
  gid_t gid = 0;
  bool root() const { return uid == 0; }
};

// "root", a user name ("nobody") or a numeric "UID[:GID]" (a uid with no
// passwd entry takes its own number as gid unless one is given). Throws
// UsageError naming the flag for an unknown user or a malformed number.
NodeUser ResolveNodeUser(std::string_view spec);

// Why `user` cannot reach `path`: each directory above it must let the user
// search it (x), and `path` itself must let it search it when it is a
// directory, and run it (or, with `read_only`, read it) when it is a file.
// Classic mode bits only (no ACLs). Empty when it can, e.g. "nobody cannot
// enter /root (mode 0700, owner 0:0)".
std::string WhyUnreachable(const std::filesystem::path& path, const NodeUser& user,
                           bool read_only = false);

// Gives `user` every file and directory under `dir`, `dir` included (lchown).
// Throws std::system_error naming the file it could not change.
void GiveTree(const std::filesystem::path& dir, const NodeUser& user);

}  // namespace schism::harness
