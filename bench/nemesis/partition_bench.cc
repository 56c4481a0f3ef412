// bench_partition: latency of one NftPartitioner transaction (Apply of a
// halves grudge, Heal, SetLoss) and of ReadLoss at N = 5 and N = 51. Needs root: it first moves
// into a private network namespace, then makes a hub namespace inside it, so the host's firewall is
// never touched. Bridge ports need not exist: the set matches interface names.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <random>

#include "nemesis/grudge.h"
#include "nemesis/nft.h"

namespace {

using schism::nemesis::Grudge;
using schism::nemesis::NftPartitioner;
using schism::nemesis::PortMap;

int g_hub_fd = -1;

std::vector<std::string> Nodes(std::int64_t n) {
  std::vector<std::string> nodes;
  for (std::int64_t i = 1; i <= n; ++i) nodes.push_back("n" + std::to_string(i));
  return nodes;
}

PortMap Ports(const std::vector<std::string>& nodes) {
  PortMap ports;
  for (const auto& node : nodes) ports[node] = "v" + node;
  return ports;
}

// Alternates between two different halves so every Apply changes the set.
void BM_ApplyHalves(benchmark::State& state) {
  const auto nodes = Nodes(state.range(0));
  NftPartitioner partitioner(g_hub_fd, Ports(nodes));
  std::mt19937_64 rng(1);
  const Grudge grudges[2] = {schism::nemesis::Halves(nodes, rng),
                             schism::nemesis::Halves(nodes, rng)};
  std::size_t i = 0;
  for (auto _ : state) partitioner.Apply(grudges[i++ % 2]);
  state.counters["pairs"] = static_cast<double>(grudges[0].drops.size());
}

void BM_Heal(benchmark::State& state) {
  const auto nodes = Nodes(state.range(0));
  NftPartitioner partitioner(g_hub_fd, Ports(nodes));
  std::mt19937_64 rng(1);
  const Grudge halves = schism::nemesis::Halves(nodes, rng);
  for (auto _ : state) {
    state.PauseTiming();
    partitioner.Apply(halves);
    state.ResumeTiming();
    partitioner.Heal();
  }
}

// Alternates between 30 % on every pair and 60 % into one node: each SetLoss
// replaces the loss chain's rules and its percents' sets of pairs.
void BM_SetLoss(benchmark::State& state) {
  const auto nodes = Nodes(state.range(0));
  NftPartitioner partitioner(g_hub_fd, Ports(nodes));
  const schism::nemesis::LossMap losses[2] = {schism::nemesis::LossAll(nodes, 30),
                                              schism::nemesis::LossInto(nodes, nodes[0], 60)};
  std::size_t i = 0;
  for (auto _ : state) partitioner.SetLoss(losses[i++ % 2]);
  state.counters["pairs"] = static_cast<double>(losses[0].size());
}

void BM_ReadLoss(benchmark::State& state) {
  const auto nodes = Nodes(state.range(0));
  NftPartitioner partitioner(g_hub_fd, Ports(nodes));
  partitioner.SetLoss(schism::nemesis::LossAll(nodes, 30));
  for (auto _ : state) benchmark::DoNotOptimize(partitioner.ReadLoss());
}

BENCHMARK(BM_ApplyHalves)->Arg(5)->Arg(51)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Heal)->Arg(5)->Arg(51)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SetLoss)->Arg(5)->Arg(51)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ReadLoss)->Arg(5)->Arg(51)->Unit(benchmark::kMillisecond);

// Returns an fd of a new network namespace; the thread stays where it was.
int NewNetns() {
  const int original = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (original < 0 || ::unshare(CLONE_NEWNET) != 0) return -1;
  const int fd = ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
  if (::setns(original, CLONE_NEWNET) != 0) return -1;
  ::close(original);
  return fd;
}

}  // namespace

int main(int argc, char** argv) {
  // Leave the host's namespace for good before anything else happens.
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "bench_partition: unshare(CLONE_NEWNET): %s (run as root)\n",
                 std::strerror(errno));
    return 70;
  }
  g_hub_fd = NewNetns();
  if (g_hub_fd < 0) {
    std::fprintf(stderr, "bench_partition: cannot create the hub namespace: %s\n",
                 std::strerror(errno));
    return 70;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 64;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
