// Run: who the nodes run as (harness/node_user.h), decided before any node starts.
#include <filesystem>
#include <string>
#include <vector>

#include "harness/errors.h"
#include "harness/rootless.h"
#include "harness/run.h"

namespace schism::harness {
namespace {

constexpr const char* kDefaultNodeUser = "nobody";
constexpr const char* kReachFix = "give --store a directory it can reach";

// The deepest part of `path` that exists: what a store not made yet hangs from.
std::filesystem::path ExistingPart(const std::filesystem::path& path) {
  std::filesystem::path p = std::filesystem::absolute(path).lexically_normal();
  std::error_code ec;  // a part it may not look into counts as missing: its parent says why
  while (!std::filesystem::exists(p, ec) && p != p.parent_path()) p = p.parent_path();
  return p;
}

}  // namespace

void Run::ChooseNodeUser(const std::vector<std::string>& programs) {
  const bool default_user = config_.node_user.empty();
  const std::string spec = default_user ? kDefaultNodeUser : config_.node_user;
  node_user_ = spec == "root" ? NodeUser{"root", 0, 0} : ResolveNodeUser(spec);
  if (node_user_.root()) return;
  if (profile_ && !profile_->needs_root().empty()) {
    progress_ << "schism: " << profile_->name() << "'s nodes run as root: "
              << profile_->needs_root() << "\n";
    node_user_ = {"root", 0, 0};
    return;
  }
  if (!UidMapped(node_user_.uid)) {
    CannotUseNodeUser(node_user_.name + " (" + std::to_string(node_user_.uid) +
                          ") has no id in this user namespace (a rootless run maps only yours)",
                      "run schism as root");
    return;
  }
  std::string why = WhyUnreachable(ExistingPart(config_.store), node_user_);
  for (const std::string& program : programs) {
    if (why.empty()) why = WhyUnreachable(program, node_user_);
  }
  if (!why.empty()) CannotUseNodeUser(why, kReachFix);
}

void Run::HandOverDataDirs(const std::string& data_root,
                           const std::vector<std::vector<std::string>>& argvs) {
  if (node_user_.root()) return;
  std::string why = WhyUnreachable(data_root, node_user_);
  for (const std::vector<std::string>& argv : argvs) {
    if (why.empty()) why = WhyUnreachable(argv[0], node_user_);
    // A script or file the program is given (perl x.pl): the node must read it.
    for (std::size_t k = 1; k < argv.size() && why.empty(); ++k) {
      std::error_code ec;
      if (argv[k].starts_with('/') && std::filesystem::exists(argv[k], ec)) {
        why = WhyUnreachable(argv[k], node_user_, /*read_only=*/true);
      }
    }
  }
  if (!why.empty()) {
    CannotUseNodeUser(why, kReachFix);
    return;
  }
  GiveTree(data_root, node_user_);
}

void Run::CannotUseNodeUser(const std::string& why, const std::string& fix) {
  if (!config_.node_user.empty()) {
    throw UsageError("--node-user " + config_.node_user + ": " + why + "; " + fix +
                     ", or --node-user root");
  }
  progress_ << "schism: the nodes run as " << (IsRootless() ? "you" : "root") << ", not "
            << node_user_.name << ": " << why << " (" << fix << " to run them unprivileged)\n";
  node_user_ = {"root", 0, 0};
}

ChildSetup Run::NodeSetup(std::size_t k) const {
  return ChildSetup{.netns_fd = sandbox_->nodes()[k].netns.fd(),
                    .cgroup_procs_fd = cgroups_ ? cgroups_->ProcsFd(members_[k]) : -1,
                    .time_offset_ns = time_offsets_ns_.empty() ? 0 : time_offsets_ns_[k],
                    .drop_to_user = !node_user_.root(),
                    .uid = node_user_.uid,
                    .gid = node_user_.gid};
}

}  // namespace schism::harness
