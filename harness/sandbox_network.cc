// The real network rules of a run, in its sandbox (harness/real_seams.h).
#include "harness/real_seams.h"

#include <chrono>
#include <stdexcept>
#include <thread>

#include "harness/probe_frame.h"

namespace schism::harness {
namespace {

nemesis::PortMap Ports(const Sandbox& sandbox) {
  nemesis::PortMap ports;
  for (const SandboxNode& n : sandbox.nodes()) ports[n.name] = n.port;
  return ports;
}

}  // namespace

SandboxNetwork::SandboxNetwork(const Sandbox& sandbox, std::uint64_t delay_seed)
    : sandbox_(sandbox),
      delay_seed_(delay_seed),
      partitioner_(sandbox.hub().fd(), Ports(sandbox)) {}

// The mechanisms go in reverse order of their making; the partitioner last.
SandboxNetwork::~SandboxNetwork() {
  bandwidth_.reset();
  delayer_.reset();
  duplicator_.reset();
}

bool SandboxNetwork::ProbeCutPair(const std::string& src, const std::string& dst) {
  const SandboxNode* from = nullptr;
  const SandboxNode* to = nullptr;
  for (const SandboxNode& n : sandbox_.nodes()) {
    if (n.name == src) from = &n;
    if (n.name == dst) to = &n;
  }
  if (!from || !to) throw std::invalid_argument("probe frame: no node " + (from ? dst : src));
  if (!partitioner_.grudge().drops.count({src, dst})) return false;  // not cut: nothing to count
  const auto dropped = [&] { return partitioner_.ReadPartition().dropped; };
  const std::uint64_t before = dropped();
  SendEchoRequest(from->netns.fd(), to->address);
  // The bridge usually handles the frame before sendto returns (the sender's
  // softirq); a loaded machine may defer it to ksoftirqd for a moment.
  constexpr int kReads = 20;
  for (int read = 0; read < kReads; ++read) {
    if (dropped() > before) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void SandboxNetwork::SetDuplicate(const nemesis::DuplicateMap& pairs) {
  if (!duplicator_) {
    nemesis::DuplicateNodes nodes;
    for (const SandboxNode& n : sandbox_.nodes()) nodes[n.name] = {n.port, n.address};
    duplicator_ = std::make_unique<nemesis::PacketDuplicator>(sandbox_.hub().fd(), nodes);
  }
  duplicator_->Set(pairs);
}

nemesis::ShareCounts SandboxNetwork::ReadDuplicate() {
  return duplicator_ ? duplicator_->ReadCounts() : nemesis::ShareCounts{};
}

void SandboxNetwork::ClearDuplicate() {
  if (duplicator_) duplicator_->Clear();
}

void SandboxNetwork::SetDelay(const std::vector<nemesis::PairDelay>& pairs) {
  if (!delayer_) {
    std::vector<nemesis::DelayNode> nodes;
    for (const SandboxNode& n : sandbox_.nodes()) nodes.push_back({n.name, n.netns.fd(), n.address});
    delayer_ = std::make_unique<nemesis::PacketDelayer>(nodes, delay_seed_);
  }
  delayer_->Set(pairs);
}

std::vector<nemesis::PacketDelayer::PairStats> SandboxNetwork::ReadDelay() {
  return delayer_ ? delayer_->Stats() : std::vector<nemesis::PacketDelayer::PairStats>{};
}

void SandboxNetwork::ClearDelay() {
  if (delayer_) delayer_->Clear();
}

void SandboxNetwork::SetBandwidth(const std::string& node, std::uint64_t kbit_per_s) {
  if (!bandwidth_) {
    std::vector<nemesis::BandwidthNode> nodes;
    for (const SandboxNode& n : sandbox_.nodes()) nodes.push_back({n.name, n.netns.fd(), n.port});
    bandwidth_ = std::make_unique<nemesis::BandwidthLimiter>(sandbox_.hub().fd(), nodes);
  }
  bandwidth_->Set(node, kbit_per_s);
}

std::uint64_t SandboxNetwork::BandwidthSent(const std::string& node) {
  return bandwidth_ ? bandwidth_->SentBytes(node) : 0;
}

void SandboxNetwork::ClearBandwidth(const std::string& node) {
  if (bandwidth_) bandwidth_->Clear(node);
}

}  // namespace schism::harness
