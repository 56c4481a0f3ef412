#include "nemesis/bandwidth.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <exception>
#include <set>
#include <stdexcept>
#include <system_error>

#include <nlohmann/json.hpp>

#include "nemesis/run_in_netns.h"

namespace schism::nemesis {
namespace {

constexpr std::uint64_t kMinBurstBytes = 4096;

std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

int Dup(int fd, const std::string& what) {
  const int copy = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
  if (copy < 0) throw std::system_error(errno, std::generic_category(), "dup of " + what);
  return copy;
}

std::vector<std::string> DeleteCommand(const std::string& dev) {
  return {"tc", "qdisc", "del", "dev", dev, "root"};
}

}  // namespace

std::vector<std::string> TbfCommand(const std::string& dev, std::uint64_t kbit_per_s) {
  if (kbit_per_s < kMinKbit || kbit_per_s > kMaxKbit) {
    throw std::invalid_argument("rate " + std::to_string(kbit_per_s) + " kbit/s is outside " +
                                std::to_string(kMinKbit) + ".." + std::to_string(kMaxKbit));
  }
  const std::uint64_t burst = TbfBurstBytes(kbit_per_s);
  return {"tc",
          "qdisc",
          "replace",
          "dev",
          dev,
          "root",
          "tbf",
          "rate",
          std::to_string(kbit_per_s) + "kbit",
          "burst",
          std::to_string(burst),
          "latency",
          std::to_string(kTbfLatencyMs) + "ms"};
}

std::uint64_t TbfBurstBytes(std::uint64_t kbit_per_s) {
  return std::max(kMinBurstBytes, kbit_per_s * 1000 / 8 / 100);
}

std::optional<std::uint64_t> TbfSentBytes(const std::string& tc_json) {
  const nlohmann::json qdiscs = nlohmann::json::parse(tc_json, nullptr, /*allow_exceptions=*/false);
  if (!qdiscs.is_array()) return std::nullopt;
  for (const nlohmann::json& q : qdiscs) {
    if (!q.is_object() || q.value("kind", "") != "tbf" || !q.value("root", false)) continue;
    const auto bytes = q.find("bytes");
    if (bytes != q.end() && bytes->is_number_unsigned()) return bytes->get<std::uint64_t>();
  }
  return std::nullopt;
}

BandwidthLimiter::BandwidthLimiter(int hub_netns_fd, std::vector<BandwidthNode> nodes) {
  std::set<std::string> names;
  for (const BandwidthNode& node : nodes) {
    if (node.name.empty() || !names.insert(node.name).second) {
      throw std::invalid_argument("bandwidth: node name \"" + node.name +
                                  "\" is empty or repeated");
    }
    if (node.netns_fd < 0 || node.hub_port.empty() || node.dev.empty()) {
      throw std::invalid_argument("bandwidth: node " + node.name +
                                  " needs a namespace fd, a hub port and a device");
    }
  }
  if (hub_netns_fd < 0) throw std::invalid_argument("bandwidth: no hub namespace fd");
  hub_fd_ = Dup(hub_netns_fd, "the hub's namespace fd");
  nodes_ = std::move(nodes);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    try {
      nodes_[i].netns_fd = Dup(nodes_[i].netns_fd, nodes_[i].name + "'s namespace fd");
    } catch (...) {
      for (std::size_t j = 0; j < i; ++j) ::close(nodes_[j].netns_fd);
      ::close(hub_fd_);
      throw;
    }
  }
}

BandwidthLimiter::~BandwidthLimiter() {
  try {
    ClearAll();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "schism: %s\n", e.what());
  }
  for (BandwidthNode& node : nodes_) ::close(node.netns_fd);
  ::close(hub_fd_);
}

const BandwidthNode& BandwidthLimiter::Find(const std::string& node) const {
  for (const BandwidthNode& n : nodes_) {
    if (n.name == node) return n;
  }
  std::string list;
  for (const BandwidthNode& n : nodes_) list += (list.empty() ? "" : " ") + n.name;
  throw std::invalid_argument("bandwidth: unknown node \"" + node + "\" (nodes: " + list + ")");
}

void BandwidthLimiter::Tc(int netns_fd, const std::string& where,
                          const std::vector<std::string>& argv) {
  const ToolResult result = RunInNetns(netns_fd, argv);
  if (result.exit_code != 0) {
    throw std::runtime_error("bandwidth: " + JoinArgv(argv) + " in " + where + " failed (exit " +
                             std::to_string(result.exit_code) + "): " + OneLine(result.output));
  }
}

void BandwidthLimiter::Set(const std::string& node, std::uint64_t kbit_per_s) {
  const BandwidthNode& n = Find(node);
  std::vector<std::string> into, out;
  try {
    into = TbfCommand(n.hub_port, kbit_per_s);
    out = TbfCommand(n.dev, kbit_per_s);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("bandwidth " + node + ": " + e.what());
  }
  try {
    Tc(hub_fd_, "the hub's namespace", into);
    Tc(n.netns_fd, node + "'s namespace", out);
  } catch (const std::runtime_error&) {
    limits_.erase(node);
    for (auto [fd, dev] : {std::pair{hub_fd_, n.hub_port}, std::pair{n.netns_fd, n.dev}}) {
      try {
        RunInNetns(fd, DeleteCommand(dev));  // best effort: the failed side has nothing to delete
      } catch (const std::exception&) {
      }
    }
    throw;
  }
  limits_[node] = kbit_per_s;
}

std::uint64_t BandwidthLimiter::SentBytes(const std::string& node) {
  const BandwidthNode& n = Find(node);
  if (limits_.count(node) == 0) {
    throw std::invalid_argument("bandwidth: " + node + " has no limit to read");
  }
  std::uint64_t total = 0;
  for (auto [fd, dev] : {std::pair{hub_fd_, n.hub_port}, std::pair{n.netns_fd, n.dev}}) {
    const std::vector<std::string> argv = {"tc", "-s", "-j", "qdisc", "show", "dev", dev};
    const ToolResult result = RunInNetns(fd, argv);
    const std::optional<std::uint64_t> sent =
        result.exit_code == 0 ? TbfSentBytes(result.output) : std::nullopt;
    if (!sent) {
      throw std::runtime_error("bandwidth: " + JoinArgv(argv) + " for " + node +
                               " shows no root tbf: " + OneLine(result.output));
    }
    total += *sent;
  }
  return total;
}

void BandwidthLimiter::Remove(const BandwidthNode& node) {
  std::exception_ptr first;
  try {
    Tc(hub_fd_, "the hub's namespace", DeleteCommand(node.hub_port));
  } catch (const std::runtime_error&) {
    first = std::current_exception();
  }
  try {
    Tc(node.netns_fd, node.name + "'s namespace", DeleteCommand(node.dev));
  } catch (const std::runtime_error&) {
    if (!first) first = std::current_exception();
  }
  limits_.erase(node.name);
  if (first) std::rethrow_exception(first);
}

void BandwidthLimiter::Clear(const std::string& node) {
  const BandwidthNode& n = Find(node);
  if (limits_.count(node) != 0) Remove(n);
}

void BandwidthLimiter::ClearAll() {
  std::exception_ptr first;
  for (const BandwidthNode& node : nodes_) {
    if (limits_.count(node.name) == 0) continue;
    try {
      Remove(node);
    } catch (const std::runtime_error&) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

}  // namespace schism::nemesis
