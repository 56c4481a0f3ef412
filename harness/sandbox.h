#pragma once
// The sandbox: a hub network namespace holding a bridge, and one namespace per
// node joined to the bridge by a veth pair.
//
//   node namespace nI            hub namespace
//   +------------------+         +--------------------------+
//   | eth0 10.241.0.I  |--veth---| vnI  (port of bridge br0)|
//   | lo               |         | nft table (the nemesis)  |
//   +------------------+         +--------------------------+
//
// Every eth0 has a fixed MAC (NodeMac), and every node namespace has a
// permanent neighbour entry for every other node's address, so no node ever
// sends ARP for a peer. That keeps a one-way cut one way: were A's ARP
// replies needed by B, a cut A -> B would also stop B -> A, since B could
// not resolve A.
//
// The addresses exist only inside these namespaces. No namespace has a default
// route, and nothing links the hub to the host's namespace, so a node can
// reach its peers and nothing else. Every namespace is held by an fd
// (harness/netns.h): destroying the Sandbox, or the controller dying, frees
// them all, and the veths, the bridge and any nft rules with them.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "harness/netns.h"

namespace schism::harness {

struct SandboxNode {
  std::string name;     // "n1" ... "nN"
  std::string address;  // IPv4 address of eth0 inside the node's namespace
  std::string mac;      // MAC address of that eth0 (NodeMac)
  std::string port;     // the bridge port in the hub for this node ("vn1")
  Netns netns;
};

class Sandbox {
 public:
  static constexpr std::size_t kMaxNodes = 250;
  static constexpr const char* kSubnet = "10.241.0.0/24";

  // Builds the hub and `nodes` node namespaces (1 <= nodes <= kMaxNodes), each
  // node with a permanent neighbour entry for every other node. Runs one
  // `ip -batch` in the hub and one in each node namespace. Throws
  // std::runtime_error naming the step and quoting `ip`'s own error when any
  // step fails; whatever was built is freed before the throw.
  static std::unique_ptr<Sandbox> Create(std::size_t nodes);
  // The same with members named `names` (member i+1 gets NodeAddress(i+1)):
  // the electors n1..nN, then the members of a service (--service), which the
  // nemesis can cut off like any node.
  static std::unique_ptr<Sandbox> Create(const std::vector<std::string>& names);

  Sandbox(const Sandbox&) = delete;
  Sandbox& operator=(const Sandbox&) = delete;

  const Netns& hub() const { return hub_; }
  const std::vector<SandboxNode>& nodes() const { return nodes_; }

 private:
  explicit Sandbox(Netns hub) : hub_(std::move(hub)) {}

  Netns hub_;
  std::vector<SandboxNode> nodes_;
};

// The address node `index` (1-based) gets: 10.241.0.<index>.
std::string NodeAddress(std::size_t index);

// The MAC address of node `index`'s eth0 (1-based, at most 255): locally
// administered unicast, 02:5c:00:00:00:<index in hex>, e.g. "02:5c:00:00:00:0a".
std::string NodeMac(std::size_t index);

}  // namespace schism::harness
