#include "harness/profiles/service.h"

#include <stdexcept>

#include "harness/sandbox.h"

namespace schism::harness {
namespace {

constexpr std::size_t kMaxMembers = 9;

}  // namespace

std::vector<std::string> ServiceNames() { return {"redis", "etcd", "zookeeper"}; }

std::unique_ptr<Server> MakeServiceServer(std::string_view name) {
  if (name == "redis") return MakeRedisServer();
  if (name == "etcd") return MakeEtcdProfile();
  if (name == "zookeeper") return MakeZooKeeperProfile();
  return nullptr;
}

ServiceSpec ParseService(std::string_view text) {
  ServiceSpec spec;
  const std::size_t colon = text.find(':');
  spec.name = std::string(text.substr(0, colon));
  if (!MakeServiceServer(spec.name)) {
    std::string known;
    for (const std::string& n : ServiceNames()) known += (known.empty() ? "" : ", ") + n;
    throw std::invalid_argument("unknown service \"" + spec.name + "\"; known: " + known);
  }
  if (colon != std::string_view::npos) {
    const std::string count(text.substr(colon + 1));
    if (count.size() != 1 || count[0] < '1' || count[0] > '0' + static_cast<int>(kMaxMembers)) {
      throw std::invalid_argument("\"" + std::string(text) +
                                  "\": the member count after ':' must be 1.." +
                                  std::to_string(kMaxMembers));
    }
    spec.members = static_cast<std::size_t>(count[0] - '0');
  }
  return spec;
}

std::vector<NodeVars> ServiceVars(const ServiceSpec& spec, const Server& server,
                                  std::size_t first_index, const std::string& data_root,
                                  std::uint64_t seed) {
  std::vector<std::string> addresses;
  for (std::size_t k = 0; k < spec.members; ++k) addresses.push_back(NodeAddress(first_index + k));
  return ClusterVars(addresses, server.client_port(), data_root, seed, spec.name);
}

std::vector<std::string> ServiceMemberNames(std::string_view text) {
  std::vector<std::string> names;
  if (text.empty()) return names;
  const ServiceSpec spec = ParseService(text);
  for (std::size_t k = 1; k <= spec.members; ++k) names.push_back(spec.name + std::to_string(k));
  return names;
}

std::string ServiceHosts(const std::string& service) {
  std::string hosts;
  for (std::size_t at = 0; at < service.size();) {
    std::size_t comma = service.find(',', at);
    if (comma == std::string::npos) comma = service.size();
    const std::string member = service.substr(at, comma - at);
    hosts += (hosts.empty() ? "" : ",") + member.substr(member.find('=') + 1);
    at = comma + 1;
  }
  return hosts;
}

std::string ServiceAddresses(const std::vector<NodeVars>& members) {
  return members.empty() ? std::string() : members.front().all;
}

}  // namespace schism::harness
