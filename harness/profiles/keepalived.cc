// The keepalived recipe: VRRP routers, the negative control.
#include <string>
#include <vector>

#include "harness/profiles/profile.h"

namespace schism::harness {
namespace {

class KeepalivedProfile final : public Profile {
 public:
  std::string_view name() const override { return "keepalived"; }
  std::string_view summary() const override {
    return "recipe: keepalived VRRP routers, termless and quorum-less; an isolated router "
           "becomes a second MASTER (the negative control, docs/recipes.md)";
  }
  std::string_view packages() const override { return "keepalived"; }
  std::vector<std::string> RequiredFiles() const override { return {"/usr/sbin/keepalived"}; }
  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>& /*all*/) const override {
    return {"schism-node", "keepalived",
            "--id",        node.node,
            "--index",     std::to_string(node.index),
            "--listen",    node.addr + ":" + std::to_string(node.port),
            "--peers",     node.peers,
            "--data",      node.data_dir,
            "--program",   "/usr/sbin/keepalived"};
  }
  std::string_view needs_root() const override {
    return "keepalived sends VRRP on a raw socket and runs its notify scripts as root";
  }
  // A MASTER never steps down for want of a majority; the grace only bounds
  // how long partition-quorum waits before it says so.
  double partition_grace_s() const override { return 1.5; }
};

}  // namespace

std::unique_ptr<Profile> MakeKeepalivedProfile() { return std::make_unique<KeepalivedProfile>(); }

}  // namespace schism::harness
