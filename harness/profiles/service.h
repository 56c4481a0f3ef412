#pragma once
// Services: servers that are not electors (--service NAME[:MEMBERS]), placed
// in namespaces of their own after the electors', whose clients the electors
// are. The nemesis treats their members as nodes: it can cut the clients off
// a service, and a service's members off each other, pause or kill them.
// Checkers judge only the electors.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "harness/elector.h"
#include "harness/profiles/profile.h"

namespace schism::harness {

struct ServiceSpec {
  std::string name;         // a server kind: ServiceNames()
  std::size_t members = 1;  // how many members it runs
};

// The servers a service may be: redis, etcd, zookeeper.
std::vector<std::string> ServiceNames();
// The server behind the service `name`, or nullptr when there is none.
std::unique_ptr<Server> MakeServiceServer(std::string_view name);

// Parses "redis", "etcd:3", "zookeeper:5". Throws std::invalid_argument
// naming the problem: an unknown server (with the known ones), a member count
// that is not 1..9.
ServiceSpec ParseService(std::string_view text);

// The vars of a service's members: named <name><k> (redis1, etcd2), indexed
// 1..members within the service, at NodeAddress(first_index + k - 1), with
// data dirs under `data_root` and the service's client port as their port.
std::vector<NodeVars> ServiceVars(const ServiceSpec& spec, const Server& server,
                                  std::size_t first_index, const std::string& data_root,
                                  std::uint64_t seed);

// The names of the members of the service `text` (ParseService's form; empty
// text: none), as a run names them.
std::vector<std::string> ServiceMemberNames(std::string_view text);

// The addresses alone, "10.241.0.6:2379,10.241.0.7:2379", of what {service} says.
std::string ServiceHosts(const std::string& service);

// What {service} says to a client: "redis1=10.241.0.6:6379,...".
std::string ServiceAddresses(const std::vector<NodeVars>& members);

// redis-server 7 (redis-server): the first member a primary, the others its
// replicas (--replicaof), each keeping an append-only file.
std::unique_ptr<Server> MakeRedisServer();

}  // namespace schism::harness
