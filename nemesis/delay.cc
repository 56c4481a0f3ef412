#include "nemesis/delay.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
#include <set>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <unordered_map>

#include "nemesis/delay_queue.h"
#include "nemesis/run_in_netns.h"

namespace schism::nemesis {
namespace {

constexpr const char* kRestore = "iptables-nft-restore";

// The IPv4 address in host order, or 0 when `addr` is not one.
std::uint32_t ParseIpv4(const std::string& addr) {
  in_addr parsed{};
  if (::inet_pton(AF_INET, addr.c_str(), &parsed) != 1) return 0;
  return ntohl(parsed.s_addr);
}

std::string OneLine(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::replace(text.begin(), text.end(), '\n', ';');
  return text;
}

}  // namespace

PacketDelayer::PacketDelayer(std::vector<DelayNode> nodes, std::uint64_t seed)
    : state_(std::make_shared<delay_internal::DelayState>()) {
  if (nodes.empty()) throw std::invalid_argument("delay: no nodes");
  std::set<std::string> names, addrs;
  for (const DelayNode& node : nodes) {
    if (node.name.empty() || !names.insert(node.name).second) {
      throw std::invalid_argument("delay: node name \"" + node.name + "\" is empty or repeated");
    }
    if (ParseIpv4(node.addr) == 0 || !addrs.insert(node.addr).second) {
      throw std::invalid_argument("delay: node " + node.name + ": \"" + node.addr +
                                  "\" is not a unique IPv4 address");
    }
    if (node.netns_fd < 0) {
      throw std::invalid_argument("delay: node " + node.name + " has no namespace fd");
    }
  }
  nodes_ = std::move(nodes);
  for (DelayNode& node : nodes_) {
    const int fd = ::fcntl(node.netns_fd, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) {
      const int err = errno;
      for (DelayNode& done : nodes_) {
        if (&done == &node) break;
        ::close(done.netns_fd);
      }
      throw std::system_error(err, std::generic_category(),
                              "dup of " + node.name + "'s namespace fd");
    }
    node.netns_fd = fd;
  }
  installed_.assign(nodes_.size(), false);
  senders_.assign(nodes_.size(), {});
  state_->route.assign(nodes_.size(), {});
  try {
    queues_ = std::make_unique<delay_internal::DelayQueues>(nodes_, seed, state_);
  } catch (...) {
    for (DelayNode& node : nodes_) ::close(node.netns_fd);
    throw;
  }
}

PacketDelayer::~PacketDelayer() {
  {
    std::lock_guard lock(state_->mu);
    for (auto& route : state_->route) route.clear();
  }
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    try {
      ApplyRules(i, {});
    } catch (const std::exception& e) {
      std::fprintf(stderr, "schism: %s\n", e.what());
    }
  }
  queues_.reset();  // accepts what is held, then unbinds: a closing queue would drop it
  for (DelayNode& node : nodes_) ::close(node.netns_fd);
}

void PacketDelayer::ApplyRules(std::size_t index, const std::vector<std::string>& senders) {
  if (senders == senders_[index] && installed_[index] == !senders.empty()) return;
  const std::string script = RenderDelayRules(senders, installed_[index]);
  if (!script.empty()) {
    const std::vector<std::string> argv = {kRestore, "--noflush"};
    const ToolResult result = RunInNetns(nodes_[index].netns_fd, argv, script);
    if (result.exit_code != 0) {
      throw std::runtime_error("delay: " + JoinArgv(argv) + " in " + nodes_[index].name +
                               "'s namespace failed (exit " + std::to_string(result.exit_code) +
                               "): " + OneLine(result.output));
    }
  }
  installed_[index] = !senders.empty();
  senders_[index] = senders;
}

void PacketDelayer::Set(const std::vector<PairDelay>& pairs) {
  CheckPairDelays(pairs, nodes_);
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < nodes_.size(); ++i) index[nodes_[i].name] = i;
  std::vector<PairDelay> sorted = pairs;
  std::sort(sorted.begin(), sorted.end(), [](const PairDelay& a, const PairDelay& b) {
    return std::tie(a.from, a.to) < std::tie(b.from, b.to);
  });

  std::vector<std::unordered_map<std::uint32_t, std::size_t>> route(nodes_.size());
  std::vector<delay_internal::DelayState::Slot> slots;
  std::vector<std::vector<std::string>> senders(nodes_.size());
  for (const PairDelay& pair : sorted) {
    const DelayNode& from = nodes_[index.at(pair.from)];
    const std::size_t to = index.at(pair.to);
    route[to][ParseIpv4(from.addr)] = slots.size();
    delay_internal::DelayState::Slot slot;
    slot.pair = pair;
    slots.push_back(std::move(slot));
    senders[to].push_back(from.addr);
  }
  {
    std::lock_guard lock(state_->mu);
    state_->route = std::move(route);
    state_->slots = std::move(slots);
    ++state_->generation;
  }
  pairs_ = std::move(sorted);
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    std::sort(senders[i].begin(), senders[i].end());
    ApplyRules(i, senders[i]);
  }
}

void PacketDelayer::Clear() {
  {
    std::lock_guard lock(state_->mu);
    for (auto& route : state_->route) route.clear();
  }
  pairs_.clear();
  for (std::size_t i = 0; i < nodes_.size(); ++i) ApplyRules(i, {});
  queues_->ReleaseAll();
}

std::vector<PacketDelayer::PairStats> PacketDelayer::Stats() const { return state_->Stats(); }

}  // namespace schism::nemesis
