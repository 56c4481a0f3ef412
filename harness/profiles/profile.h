#pragma once
// Profiles: real servers from Debian packages that schism runs and watches
// as a cluster (`--profile NAME`; `schism list` shows them).
//
// A profile knows how to start one member of the server's cluster in a node's
// namespace (its command line, environment and files in the node's data dir),
// and how to watch it: a read-only probe command and the reader of what the
// probe prints (harness/probe_reader.h). The run supervises the members as it
// would any elector (cgroups, kills, pauses, restarts, the nemesis); only the
// roles come from the probe.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/elector.h"
#include "harness/probe_reader.h"
#include "harness/prober.h"

namespace schism::harness {

// A server from a Debian package that schism starts in a namespace of the
// sandbox: a member of an elector cluster (a Profile) or of a service that
// the electors use (--service, harness/profiles/service.h).
class Server {
 public:
  virtual ~Server() = default;
  virtual std::string_view name() const = 0;
  // One line for `schism list`.
  virtual std::string_view summary() const = 0;
  // The Debian packages whose programs it runs, for a missing program's error.
  virtual std::string_view packages() const = 0;
  // Files beside its programs that must exist (jars), as absolute paths.
  virtual std::vector<std::string> RequiredFiles() const { return {}; }

  // Writes what `node`'s server needs into its data dir (a config, an id)
  // before its first start; the data dir survives restarts within a run.
  // Throws std::runtime_error naming a file it cannot write.
  virtual void PrepareDataDir(const NodeVars& /*node*/, const std::vector<NodeVars>& /*all*/) const {}
  // The command of `node`'s server in the cluster `all` (argv[0] a program
  // name or path; "schism-node" is the run's own schism-node).
  virtual std::vector<std::string> ServerCommand(const NodeVars& node,
                                                 const std::vector<NodeVars>& all) const = 0;
  // Added to the server's environment.
  virtual std::vector<std::pair<std::string, std::string>> ServerEnvironment(
      const NodeVars& /*node*/) const {
    return {};
  }
  // The port its clients connect to (what {service} lists for each member).
  virtual std::uint16_t client_port() const { return 0; }
  // Why it must run as root (harness/node_user.h), e.g. raw sockets; empty
  // when it runs as any user.
  virtual std::string_view needs_root() const { return {}; }
};

// A cluster that schism runs and judges as its electors: a real server
// watched by a probe (etcd, zookeeper), or a recipe, whose nodes are clients
// of a service and print contract lines themselves (redis-lock).
class Profile : public Server {
 public:
  // The probe command that reads `node`'s role, and its environment; empty
  // when the nodes print contract lines themselves.
  virtual std::vector<std::string> ProbeCommand(const NodeVars& /*node*/) const { return {}; }
  virtual std::vector<std::pair<std::string, std::string>> ProbeEnvironment() const { return {}; }
  // The reader of the probe's output, for the cluster `names` (n1..nN).
  virtual std::unique_ptr<ProbeReader> MakeReader(std::vector<std::string> /*names*/) const {
    return nullptr;
  }
  // How often to probe and how long one probe may take, unless the user says.
  virtual std::chrono::milliseconds probe_every() const { return kDefaultProbeEvery; }
  virtual std::chrono::milliseconds probe_timeout() const { return kDefaultProbeTimeout; }
  // How long a leader cut off from a majority may take to step down
  // (partition-quorum's grace), by the server's own check-quorum timing.
  virtual double partition_grace_s() const = 0;

  // A recipe's service, as --service takes it ("redis", "etcd:3"); empty
  // for a server cluster.
  virtual std::string_view service() const { return {}; }
  // The checkers that judge it, unless the user names others; empty: all.
  // A recipe's clients form no quorum among themselves, so the quorum
  // checkers do not apply to them.
  virtual std::vector<std::string> checkers() const { return {}; }
};

// The checkers of a recipe whose nodes are clients that contend through a
// service (a lock, a znode, a key) and read its holder from it:
//   * no quorum, vote-once or partition-quorum: the clients form no quorum
//     among themselves and cast no votes;
//   * no agreement: a client can hold the lock without ever learning it (its
//     request timed out, and the lock expired before it looked again), and
//     the followers that read the service name it rightly; agreement would
//     call that holder a phantom.
std::vector<std::string> ClientRecipeCheckers();

// Every profile's name, in `schism list` order.
std::vector<std::string> ProfileNames();
// The profile `name`, or nullptr when there is none.
std::unique_ptr<Profile> MakeProfile(std::string_view name);

// etcd 3.4 (etcd-server, etcd-client), one member per node, watched with
// `etcdctl endpoint status -w json`.
std::unique_ptr<Profile> MakeEtcdProfile();
// ZooKeeper 3.8 (zookeeper), one server per node, watched through its admin
// server's /commands/leader and its currentEpoch file.
std::unique_ptr<Profile> MakeZooKeeperProfile();
// redis-lock: clients contend for a lock on a real redis-server (the service
// "redis") with SET NX PX, and print leases fenced by INCR tokens.
std::unique_ptr<Profile> MakeRedisLockProfile();
// keepalived: VRRP routers (keepalived), termless and quorum-less, each
// watched by schism-node keepalived; the negative control.
std::unique_ptr<Profile> MakeKeepalivedProfile();
// zk-recipe: ZooKeeper's election recipe (python3-kazoo), one contender per
// node, on the service zookeeper:3.
std::unique_ptr<Profile> MakeZkRecipeProfile();
// etcd-elect: etcd's lease-based election (its v3election service), one
// contender per node, on the service etcd:3.
std::unique_ptr<Profile> MakeEtcdElectProfile();
// redis-sentinel: a Redis Sentinel per node, over the service redis:3.
std::unique_ptr<Profile> MakeRedisSentinelProfile();

}  // namespace schism::harness
