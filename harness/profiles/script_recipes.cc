// Recipes whose contenders are Python scripts carried in the binary
// (harness/profiles/*.py), each against a service of three members:
//   zk-recipe   ZooKeeper's election recipe (python3-kazoo), on zookeeper:3;
//   etcd-elect  etcd's lease-based election (its JSON gateway), on etcd:3;
//   redis-sentinel  Redis Sentinels electing a failover leader per epoch, on
//               redis:3 (a primary and two replicas).
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/contract_lines_py.h"
#include "harness/etcd_election_py.h"
#include "harness/profiles/profile.h"
#include "harness/profiles/service.h"
#include "harness/sentinel_node_py.h"
#include "harness/zk_election_py.h"

namespace schism::harness {
namespace {

class ScriptRecipe : public Profile {
 public:
  std::vector<std::string> RequiredFiles() const override {
    std::vector<std::string> files = {"/usr/bin/python3"};
    if (!module().empty()) files.push_back(module());
    return files;
  }
  // The script and the module it prints its lines with.
  void PrepareDataDir(const NodeVars& node, const std::vector<NodeVars>& /*all*/) const override {
    Write(Script(node), script_text());
    Write((std::filesystem::path(node.data_dir) / "contract_lines.py").string(),
          k_contract_lines_py);
  }
  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>& /*all*/) const override {
    std::vector<std::string> argv = {"/usr/bin/python3", "-u", Script(node)};
    for (const std::string& arg : Arguments(node)) argv.push_back(arg);
    return argv;
  }
  double partition_grace_s() const override { return 1.5; }
  std::vector<std::string> checkers() const override { return ClientRecipeCheckers(); }

 protected:
  virtual std::string_view script_name() const = 0;
  virtual const char* script_text() const = 0;
  // A file it needs beyond python3 (a module it imports, a program it runs).
  virtual std::string module() const { return {}; }
  // The script's arguments.
  virtual std::vector<std::string> Arguments(const NodeVars& node) const {
    return {node.node, ServiceHosts(node.service)};
  }

 private:
  static void Write(const std::string& path, const char* text) {
    std::ofstream out(path);
    out << text;
    if (!out.flush()) throw std::runtime_error("cannot write " + path);
  }
  std::string Script(const NodeVars& node) const {
    return (std::filesystem::path(node.data_dir) / script_name()).string();
  }
};

class ZkRecipe final : public ScriptRecipe {
 public:
  std::string_view name() const override { return "zk-recipe"; }
  std::string_view summary() const override {
    return "recipe: ZooKeeper's election recipe (ephemeral sequential znodes, a watch on the "
           "predecessor) with python3-kazoo, on 3 ZooKeeper servers (docs/recipes.md)";
  }
  std::string_view packages() const override { return "python3-kazoo zookeeper"; }
  std::string_view service() const override { return "zookeeper:3"; }

 private:
  std::string_view script_name() const override { return "zk_election.py"; }
  const char* script_text() const override { return k_zk_election_py; }
  std::string module() const override { return "/usr/lib/python3/dist-packages/kazoo/client.py"; }
};

class EtcdElect final : public ScriptRecipe {
 public:
  std::string_view name() const override { return "etcd-elect"; }
  std::string_view summary() const override {
    return "recipe: etcd's lease-based election (what etcdctl elect runs), lease TTL 2 s, on 3 "
           "etcd members (docs/recipes.md)";
  }
  std::string_view packages() const override { return "etcd-server"; }
  std::string_view service() const override { return "etcd:3"; }

 private:
  static constexpr int kTtlS = 2;
  std::string_view script_name() const override { return "etcd_election.py"; }
  const char* script_text() const override { return k_etcd_election_py; }
  std::vector<std::string> Arguments(const NodeVars& node) const override {
    return {node.node, ServiceHosts(node.service), std::to_string(kTtlS)};
  }
};

class RedisSentinel final : public ScriptRecipe {
 public:
  std::string_view name() const override { return "redis-sentinel"; }
  std::string_view summary() const override {
    return "recipe: a Redis Sentinel per node electing a failover leader per epoch, over a "
           "primary and two replicas (docs/recipes.md)";
  }
  std::string_view packages() const override { return "redis-sentinel redis-server"; }
  std::string_view service() const override { return "redis:3"; }
  // A failover leader leads only while its failover runs: there is no
  // standing leader for liveness or agreement to look for.
  std::vector<std::string> checkers() const override {
    return {"election-safety", "quorum",         "vote-once", "term-monotonic",
            "split-brain",     "faults-applied", "kpis",      "service-failover"};
  }

 private:
  std::string_view script_name() const override { return "sentinel_node.py"; }
  const char* script_text() const override { return k_sentinel_node_py; }
  std::string module() const override { return "/usr/bin/redis-sentinel"; }
  std::vector<std::string> Arguments(const NodeVars& node) const override {
    return {node.node, std::to_string(node.index), node.addr, node.peers, node.service};
  }
};

}  // namespace

std::unique_ptr<Profile> MakeRedisSentinelProfile() { return std::make_unique<RedisSentinel>(); }
std::unique_ptr<Profile> MakeZkRecipeProfile() { return std::make_unique<ZkRecipe>(); }
std::unique_ptr<Profile> MakeEtcdElectProfile() { return std::make_unique<EtcdElect>(); }

}  // namespace schism::harness
