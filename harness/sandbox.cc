#include "harness/sandbox.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "nemesis/netns_guard.h"
#include "nemesis/run_in_netns.h"

namespace schism::harness {
namespace {

// Runs one `ip -batch -` inside `netns_fd`; throws naming `what` on failure.
void IpBatch(int netns_fd, const std::string& batch, const std::string& what) {
  const nemesis::ToolResult r = nemesis::RunInNetns(netns_fd, {"ip", "-batch", "-"}, batch);
  if (r.exit_code != 0) {
    std::string out = r.output;
    while (!out.empty() && out.back() == '\n') out.pop_back();
    throw std::runtime_error("sandbox: " + what + " failed: " + out);
  }
}

// Turns IPv6 off in a namespace before its links come up. The contract's
// addresses are IPv4, and IPv6's own chatter (duplicate address detection,
// router solicitations, multicast reports) would cross the bridge on its own
// and count as traffic an elector sent, which a partition's proof must not.
// The calling thread writes the sysctls itself from inside the namespace
// (/proc/sys/net is the opener's namespace's): one `sysctl` exec per
// namespace took 0.15-0.4 s of a 101-node run's start.
void DisableIpv6(int netns_fd) {
  const nemesis::ScopedNetns inside(netns_fd);
  for (const char* path :
       {"/proc/sys/net/ipv6/conf/all/disable_ipv6", "/proc/sys/net/ipv6/conf/default/disable_ipv6"}) {
    std::ofstream file(path);
    file << "1\n";
    file.close();
    if (!file) {
      throw std::runtime_error(std::string("sandbox: turning IPv6 off failed: cannot write ") +
                               path + ": " + std::strerror(errno));
    }
  }
}

}  // namespace

std::string NodeAddress(std::size_t index) { return "10.241.0." + std::to_string(index); }

std::string NodeMac(std::size_t index) {
  char mac[18];
  std::snprintf(mac, sizeof mac, "02:5c:00:00:00:%02x", static_cast<unsigned>(index));
  return mac;
}

std::unique_ptr<Sandbox> Sandbox::Create(std::size_t nodes) {
  if (nodes < 1 || nodes > kMaxNodes) {
    throw std::invalid_argument("sandbox: node count must be 1.." + std::to_string(kMaxNodes));
  }
  std::vector<std::string> names;
  for (std::size_t i = 1; i <= nodes; ++i) names.push_back("n" + std::to_string(i));
  return Create(names);
}

std::unique_ptr<Sandbox> Sandbox::Create(const std::vector<std::string>& names) {
  if (names.empty() || names.size() > kMaxNodes) {
    throw std::invalid_argument("sandbox: member count must be 1.." + std::to_string(kMaxNodes));
  }
  const std::size_t nodes = names.size();
  std::unique_ptr<Sandbox> box(new Sandbox(Netns::Create()));
  DisableIpv6(box->hub_.fd());
  std::string hub_batch =
      "link set lo up\n"
      "link add br0 type bridge stp_state 0 forward_delay 0\n"
      "link set br0 up\n";
  for (std::size_t i = 1; i <= nodes; ++i) {
    SandboxNode node{names[i - 1], NodeAddress(i), NodeMac(i), "vn" + std::to_string(i),
                     Netns::Create()};
    DisableIpv6(node.netns.fd());
    // The veth is made in the hub with its far end placed straight into the
    // node's namespace, where it is called eth0.
    hub_batch += "link add " + node.port + " type veth peer name eth0 address " + node.mac +
                 " netns " + node.netns.ProcPath() + "\n";
    hub_batch += "link set " + node.port + " master br0\n";
    hub_batch += "link set " + node.port + " up\n";
    box->nodes_.push_back(std::move(node));
  }
  IpBatch(box->hub_.fd(), hub_batch, "building the hub bridge");
  for (const SandboxNode& node : box->nodes_) {
    std::string batch = "link set lo up\naddr add " + node.address + "/24 dev eth0\n";
    batch += "link set eth0 up\n";
    // Static neighbours: no node ever needs a peer's ARP reply (sandbox.h).
    for (const SandboxNode& peer : box->nodes_) {
      if (&peer == &node) continue;
      batch +=
          "neigh replace " + peer.address + " lladdr " + peer.mac + " dev eth0 nud permanent\n";
    }
    IpBatch(node.netns.fd(), batch, "configuring " + node.name);
  }
  return box;
}

}  // namespace schism::harness
