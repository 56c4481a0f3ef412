#include "harness/profiles/zookeeper.h"

#include <charconv>
#include <filesystem>
#include <optional>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "harness/profiles/http_answer.h"
#include "harness/profiles/profile.h"

namespace schism::harness {
namespace {

constexpr std::string_view kEpochTag = "currentEpoch=";
constexpr std::string_view kNotServing = "This ZooKeeper instance is not currently serving requests";

// The epoch of a "currentEpoch=E" line; nullopt for "currentEpoch=" (a
// server that never took part in an established epoch has no such file).
std::optional<std::uint64_t> Epoch(std::string_view line, const char* which) {
  if (line.substr(0, kEpochTag.size()) != kEpochTag) {
    throw std::invalid_argument(std::string("no currentEpoch line ") + which + " the answer");
  }
  line.remove_prefix(kEpochTag.size());
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.remove_suffix(1);
  if (line.empty()) return std::nullopt;
  std::uint64_t epoch = 0;
  auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), epoch);
  if (ec != std::errc() || end != line.data() + line.size()) {
    throw std::invalid_argument(std::string("currentEpoch ") + which + " the answer is \"" +
                                std::string(line) + "\", not a number");
  }
  return epoch;
}

}  // namespace

ZooKeeperState ParseZooKeeperState(std::string_view out) {
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.remove_suffix(1);
  const std::size_t first_end = out.find('\n');
  const std::size_t last_start = out.rfind('\n');
  if (first_end == std::string_view::npos || first_end == last_start) {
    throw std::invalid_argument("no answer between the two readings of currentEpoch");
  }
  ZooKeeperState s;
  s.epoch = Epoch(out.substr(0, first_end), "before");
  if (Epoch(out.substr(last_start + 1), "after") != s.epoch) {
    throw std::invalid_argument("currentEpoch changed while the server answered");
  }
  const std::string_view http = out.substr(first_end + 1, last_start - first_end - 1);
  nlohmann::json j =
      nlohmann::json::parse(HttpOkBody(http, "the admin server's answer"), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    throw std::invalid_argument("the answer's body is not a JSON object");
  }
  if (auto error = j.find("error"); error != j.end() && !error->is_null()) {
    if (*error == kNotServing) return s;
    throw std::invalid_argument("the server answered " + error->dump());
  }
  if (!s.epoch) throw std::invalid_argument("it serves, but has no currentEpoch file");
  auto is_leader = j.find("is_leader");
  auto leader_id = j.find("leader_id");
  if (is_leader == j.end() || !is_leader->is_boolean()) {
    throw std::invalid_argument("no is_leader in the answer");
  }
  if (leader_id == j.end() || !leader_id->is_number_unsigned()) {
    throw std::invalid_argument("no leader_id in the answer");
  }
  s.serving = true;
  s.is_leader = is_leader->get<bool>();
  s.leader_id = leader_id->get<std::uint64_t>();
  return s;
}

Observation ZooKeeperStateReader::Read(std::size_t k, std::string_view out) {
  const ZooKeeperState s = ParseZooKeeperState(out);
  Observation o;
  o.term = s.epoch;
  if (!s.serving) {
    o.role = histories::Role::kCandidate;
    return o;
  }
  if (s.leader_id < 1 || s.leader_id > names_.size()) {
    throw std::invalid_argument("leader_id " + std::to_string(s.leader_id) +
                                " is no server of this ensemble");
  }
  if (s.is_leader && s.leader_id != k + 1) {
    throw std::invalid_argument("it leads, but names server " + std::to_string(s.leader_id));
  }
  o.role = s.is_leader ? histories::Role::kLeader : histories::Role::kFollower;
  o.leader = names_[s.leader_id - 1];
  return o;
}

namespace {

constexpr int kClientPort = 2181;
constexpr int kQuorumPort = 2888;
constexpr int kElectionPort = 3888;
constexpr int kAdminPort = 8080;
// Debian's zookeeper.jar names Jetty and the rest in its manifest; the slf4j
// binding (stderr, so the node's log) and the servlet API are added here.
constexpr const char* kJars[] = {"/usr/share/java/zookeeper.jar",
                                 "/usr/share/java/slf4j-simple.jar",
                                 "/usr/share/java/servlet-api.jar"};

std::string ZooCfg(const NodeVars& node, const std::vector<NodeVars>& all) {
  std::string cfg =
      "# written by schism for " + node.node + "\n"
      // A tick of 250 ms: a follower gives up on a silent leader after
      // syncLimit ticks (1.25 s); a new follower has initLimit ticks (5 s) to
      // sync, which a JVM on a loaded machine needs.
      "tickTime=250\ninitLimit=20\nsyncLimit=5\n"
      "dataDir=" + node.data_dir + "\n"
      "clientPort=" + std::to_string(kClientPort) + "\nclientPortAddress=" + node.addr + "\n"
      // 1 MB of preallocated transaction log instead of 64 MB.
      "preAllocSize=1024\n"
      "4lw.commands.whitelist=srvr,ruok\n"
      "admin.enableServer=true\nadmin.serverAddress=" + node.addr + "\n"
      "admin.serverPort=" + std::to_string(kAdminPort) + "\n";
  for (const NodeVars& v : all) {
    cfg += "server." + std::to_string(v.index) + "=" + v.addr + ":" + std::to_string(kQuorumPort) +
           ":" + std::to_string(kElectionPort) + "\n";
  }
  return cfg;
}

void WriteFile(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot write " + path.string());
}

class ZooKeeperProfile final : public Profile {
 public:
  std::string_view name() const override { return "zookeeper"; }
  std::string_view summary() const override {
    return "ZooKeeper 3.8 servers (client 2181, quorum 2888/3888, admin 8080), watched "
           "through the admin server and currentEpoch";
  }
  std::string_view packages() const override { return "zookeeper"; }
  std::vector<std::string> RequiredFiles() const override {
    return {std::begin(kJars), std::end(kJars)};
  }

  void PrepareDataDir(const NodeVars& node, const std::vector<NodeVars>& all) const override {
    WriteFile(std::filesystem::path(node.data_dir) / "zoo.cfg", ZooCfg(node, all));
    WriteFile(std::filesystem::path(node.data_dir) / "myid", std::to_string(node.index) + "\n");
  }

  std::vector<std::string> ServerCommand(const NodeVars& node,
                                         const std::vector<NodeVars>&) const override {
    std::string classpath;
    for (const char* jar : kJars) classpath += (classpath.empty() ? "" : ":") + std::string(jar);
    // -XX:-UsePerfData: no /tmp/hsperfdata_<user>/<pid> file, which a
    // killed JVM (every kill of the nemesis) would leave behind.
    return {"java",
            "-Xmx128m", "-Xms16m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
            "-XX:-UsePerfData",
            "-Djava.net.preferIPv4Stack=true",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-cp", classpath,
            "org.apache.zookeeper.server.quorum.QuorumPeerMain",
            (std::filesystem::path(node.data_dir) / "zoo.cfg").string()};
  }
  std::vector<std::string> ProbeCommand(const NodeVars& node) const override {
    // The epoch file, the admin server's answer, the epoch file again (see
    // zookeeper.h). Paths and address are arguments, never spliced into the script.
    return {"bash", "-c",
            "d=$3; e() { printf 'currentEpoch=%s\\n' \"$(cat \"$d/version-2/currentEpoch\" 2>/dev/null)\"; }; "
            "e && exec 3<>\"/dev/tcp/$1/$2\" && "
            "printf 'GET /commands/leader HTTP/1.0\\r\\n\\r\\n' >&3 && cat <&3 && echo && e",
            "zookeeper-probe", node.addr, std::to_string(kAdminPort), node.data_dir};
  }
  std::unique_ptr<ProbeReader> MakeReader(std::vector<std::string> names) const override {
    return std::make_unique<ZooKeeperStateReader>(std::move(names));
  }
  std::uint16_t client_port() const override { return kClientPort; }
  // A leader that hears from no quorum for syncLimit ticks (1.25 s) gives up
  // leading; the probe's period and lag come on top.
  double partition_grace_s() const override { return 2.0; }
};

}  // namespace

std::unique_ptr<Profile> MakeZooKeeperProfile() { return std::make_unique<ZooKeeperProfile>(); }

}  // namespace schism::harness
