#include "harness/profiles/etcd.h"

#include <charconv>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "harness/profiles/http_answer.h"
#include "harness/profiles/profile.h"

namespace schism::harness {
namespace {

using nlohmann::json;

std::uint64_t Hex(const json& value, const char* what) {
  std::uint64_t id = 0;
  const std::string text = value.is_string() ? value.get<std::string>() : "";
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id, 16);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(std::string(what) + " is " + value.dump() +
                                ", not a hexadecimal member id");
  }
  return id;
}

}  // namespace

EtcdRaftStatus ParseEtcdRaftStatus(std::string_view out) {
  if (out.substr(0, 5) == "HTTP/") out = HttpOkBody(out, "the answer");
  json j = json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::invalid_argument("the body is not a JSON object");
  }
  auto raft = j.find("raft.status");
  if (raft == j.end() || !raft->is_object()) {
    throw std::invalid_argument("no \"raft.status\" object in /debug/vars");
  }
  auto field = [&raft](const char* key) -> const json& {
    auto it = raft->find(key);
    if (it == raft->end()) throw std::invalid_argument(std::string("no raft.status.") + key);
    return *it;
  };
  EtcdRaftStatus s;
  s.id = Hex(field("id"), "raft.status.id");
  s.lead = Hex(field("lead"), "raft.status.lead");
  const json& term = field("term");
  if (!term.is_number_unsigned()) {
    throw std::invalid_argument("raft.status.term is " + term.dump() + ", not an unsigned integer");
  }
  s.term = term.get<std::uint64_t>();
  const json& state = field("raftState");
  if (!state.is_string()) throw std::invalid_argument("raft.status.raftState is not a string");
  s.state = state.get<std::string>();
  return s;
}

Observation EtcdRaftStatusReader::Read(std::size_t k, std::string_view out) {
  const EtcdRaftStatus s = ParseEtcdRaftStatus(out);
  auto [it, added] = members_.try_emplace(s.id, k);
  if (!added && it->second != k) {
    throw std::invalid_argument("member id " + std::to_string(s.id) + " is " +
                                names_.at(it->second) + "'s");
  }
  Observation o;
  o.term = s.term;
  if (s.state == "StateLeader") {
    o.role = histories::Role::kLeader;
    o.leader = names_.at(k);
  } else if (s.state == "StateFollower") {
    o.role = histories::Role::kFollower;
    auto leader = members_.find(s.lead);
    if (s.lead != 0 && leader != members_.end()) o.leader = names_.at(leader->second);
  } else if (s.state == "StateCandidate" || s.state == "StatePreCandidate") {
    o.role = histories::Role::kCandidate;
  } else {
    throw std::invalid_argument("raft.status.raftState is \"" + s.state + "\"");
  }
  return o;
}

namespace {

constexpr int kClientPort = 2379;
constexpr int kPeerPort = 2380;

std::string Url(const std::string& addr, int port) {
  return "http://" + addr + ":" + std::to_string(port);
}

class EtcdProfile final : public Profile {
 public:
  std::string_view name() const override { return "etcd"; }
  std::string_view summary() const override {
    return "etcd 3.4 members (client port 2379, peers 2380), watched through /debug/vars";
  }
  std::string_view packages() const override { return "etcd-server"; }

  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>& all) const override {
    std::string cluster;
    for (const NodeVars& v : all) {
      cluster += (cluster.empty() ? "" : ",") + v.node + "=" + Url(v.addr, kPeerPort);
    }
    // A restart finds its data dir and ignores the "new": the data dir wins.
    return {"etcd",
            "--name", node.node,
            "--data-dir", node.data_dir,
            "--listen-client-urls", Url(node.addr, kClientPort),
            "--advertise-client-urls", Url(node.addr, kClientPort),
            "--listen-peer-urls", Url(node.addr, kPeerPort),
            "--initial-advertise-peer-urls", Url(node.addr, kPeerPort),
            "--initial-cluster", cluster,
            "--initial-cluster-state", "new",
            "--initial-cluster-token", "schism-" + std::to_string(node.seed),
            "--logger", "zap",
            "--log-level", "warn"};
  }
  std::vector<std::string> ProbeCommand(const NodeVars& node) const override {
    // One HTTP GET of the member's /debug/vars (see etcd.h for why not
    // etcdctl), through bash's /dev/tcp: no client to install, a few ms.
    return {"bash", "-c",
            "exec 3<>/dev/tcp/" + node.addr + "/" + std::to_string(kClientPort) +
                " && printf 'GET /debug/vars HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3"};
  }
  std::unique_ptr<ProbeReader> MakeReader(std::vector<std::string> names) const override {
    return std::make_unique<EtcdRaftStatusReader>(std::move(names));
  }
  std::uint16_t client_port() const override { return kClientPort; }
  // A leader checks its quorum once per election timeout (1 s by default)
  // and steps down when it heard from no majority during the last one: up to
  // two timeouts (1.9 s measured), plus a probe's lag.
  double partition_grace_s() const override { return 2.5; }
};

}  // namespace

std::unique_ptr<Profile> MakeEtcdProfile() { return std::make_unique<EtcdProfile>(); }

}  // namespace schism::harness
