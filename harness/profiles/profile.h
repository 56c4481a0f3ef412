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
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "harness/elector.h"
#include "harness/probe_reader.h"
#include "harness/prober.h"

namespace schism::harness {

class Profile {
 public:
  virtual ~Profile() = default;
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
  // name or path).
  virtual std::vector<std::string> ServerCommand(const NodeVars& node,
                                                 const std::vector<NodeVars>& all) const = 0;
  // Added to the server's environment.
  virtual std::vector<std::pair<std::string, std::string>> ServerEnvironment(
      const NodeVars& /*node*/) const {
    return {};
  }
  // The probe command that reads `node`'s role, and its environment.
  virtual std::vector<std::string> ProbeCommand(const NodeVars& node) const = 0;
  virtual std::vector<std::pair<std::string, std::string>> ProbeEnvironment() const { return {}; }
  // The reader of the probe's output, for the cluster `names` (n1..nN).
  virtual std::unique_ptr<ProbeReader> MakeReader(std::vector<std::string> names) const = 0;
  // How often to probe and how long one probe may take, unless the user says.
  virtual std::chrono::milliseconds probe_every() const { return kDefaultProbeEvery; }
  virtual std::chrono::milliseconds probe_timeout() const { return kDefaultProbeTimeout; }
  // How long a leader cut off from a majority may take to step down
  // (partition-quorum's grace), by the server's own check-quorum timing.
  virtual double partition_grace_s() const = 0;
};

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

}  // namespace schism::harness
