// bench_network: what one fault costs to set up, read back and undo on a
// real sandbox of N nodes (harness/sandbox.h: a hub namespace, its bridge
// and one namespace per node), side by side with the two ways users would
// otherwise cut a network:
//
//   schism       SandboxNetwork: one libnftables transaction in-process
//   nft -f       one exec of `nft -f -` with the same commands (a script
//                driving nft, as a Jepsen-style nemesis does over ssh)
//   iptables     one `iptables -A INPUT -s <peer> -j DROP` exec per cut pair
//                in the receiving node's namespace, as Blockade and Chaos
//                Mesh do (N <= 21: at 51 it takes seconds)
//
// Needs root. It first moves into a private network namespace, so the host's
// firewall and routes are never touched; every namespace it makes is freed
// when it exits. scripts/bench prints the table of ratios.
#include <benchmark/benchmark.h>
#include <sched.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>

#include "harness/real_seams.h"
#include "harness/sandbox.h"
#include "nemesis/grudge.h"
#include "nemesis/nft.h"
#include "nemesis/run_in_netns.h"

namespace {

using schism::harness::Sandbox;
using schism::harness::SandboxNetwork;
using schism::nemesis::Grudge;

// One sandbox and its rules per node count, made on first use.
struct Cluster {
  std::unique_ptr<Sandbox> sandbox;
  std::unique_ptr<SandboxNetwork> network;
  std::vector<std::string> names;
  Grudge halves[2];  // two different halves, so that every install changes the set
};

class Clusters {
 public:
  Cluster& Get(std::int64_t n) {
    auto& slot = clusters_[n];
    if (!slot) {
      slot = std::make_unique<Cluster>();
      slot->sandbox = Sandbox::Create(static_cast<std::size_t>(n));
      slot->network = std::make_unique<SandboxNetwork>(*slot->sandbox, 1);
      for (const auto& node : slot->sandbox->nodes()) slot->names.push_back(node.name);
      std::mt19937_64 rng(1);
      slot->halves[0] = schism::nemesis::Halves(slot->names, rng);
      slot->halves[1] = schism::nemesis::Halves(slot->names, rng);
    }
    return *slot;
  }

 private:
  std::map<std::int64_t, std::unique_ptr<Cluster>> clusters_;
};

Clusters* g_clusters = nullptr;

schism::nemesis::PortMap Ports(const Cluster& c) {
  schism::nemesis::PortMap ports;
  for (const auto& node : c.sandbox->nodes()) ports[node.name] = node.port;
  return ports;
}

void Check(const schism::nemesis::ToolResult& r, const std::string& what) {
  if (r.exit_code != 0) throw std::runtime_error(what + " failed: " + r.output);
}

void SetPairs(benchmark::State& state, const Cluster& c) {
  state.counters["pairs"] = static_cast<double>(c.halves[0].drops.size());
}

// --- partition: install (alternating halves) and heal ---

void BM_SchismInstall(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  std::size_t i = 0;
  for (auto _ : state) c.network->Partition(c.halves[i++ % 2]);
  c.network->Heal();
  SetPairs(state, c);
}

void BM_SchismHeal(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    c.network->Partition(c.halves[0]);
    state.ResumeTiming();
    c.network->Heal();
  }
  SetPairs(state, c);
}

// The same transaction, through one exec of the nft binary in the hub.
void BM_NftExecInstall(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  const auto ports = Ports(c);
  const std::string commands[2] = {RenderApplyCommands(c.halves[0], ports),
                                   RenderApplyCommands(c.halves[1], ports)};
  std::size_t i = 0;
  for (auto _ : state) {
    Check(schism::nemesis::RunInNetns(c.sandbox->hub().fd(), {"nft", "-f", "-"}, commands[i++ % 2]),
          "nft -f");
  }
  c.network->Heal();
  SetPairs(state, c);
}

void BM_NftExecHeal(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  const std::string heal = RenderApplyCommands(Grudge{}, Ports(c));
  for (auto _ : state) {
    state.PauseTiming();
    c.network->Partition(c.halves[0]);
    state.ResumeTiming();
    Check(schism::nemesis::RunInNetns(c.sandbox->hub().fd(), {"nft", "-f", "-"}, heal), "nft -f");
  }
  SetPairs(state, c);
}

// One iptables exec per cut pair, on the receiving node's INPUT.
void IptablesCut(const Cluster& c, const Grudge& grudge) {
  const auto& nodes = c.sandbox->nodes();
  const auto node = [&](const std::string& name) -> const schism::harness::SandboxNode& {
    for (const auto& n : nodes) {
      if (n.name == name) return n;
    }
    throw std::runtime_error("no node " + name);
  };
  for (const auto& [src, dst] : grudge.drops) {
    Check(schism::nemesis::RunInNetns(node(dst).netns.fd(), {"iptables", "-w", "-A", "INPUT", "-s",
                                                              node(src).address, "-j", "DROP"}),
          "iptables -A");
  }
}

void IptablesHeal(const Cluster& c) {
  for (const auto& n : c.sandbox->nodes()) {
    Check(schism::nemesis::RunInNetns(n.netns.fd(), {"iptables", "-w", "-F", "INPUT"}),
          "iptables -F");
  }
}

void BM_IptablesInstall(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  for (auto _ : state) {
    IptablesCut(c, c.halves[0]);
    state.PauseTiming();
    IptablesHeal(c);
    state.ResumeTiming();
  }
  SetPairs(state, c);
}

void BM_IptablesHeal(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  for (auto _ : state) {
    state.PauseTiming();
    IptablesCut(c, c.halves[0]);
    state.ResumeTiming();
    IptablesHeal(c);
  }
  SetPairs(state, c);
}

// --- loss, duplication and delay on every directed pair: set up, read back ---

void BM_LossSetUp(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  const schism::nemesis::LossMap losses[2] = {schism::nemesis::LossAll(c.names, 30),
                                              schism::nemesis::LossAll(c.names, 60)};
  std::size_t i = 0;
  for (auto _ : state) c.network->SetLoss(losses[i++ % 2]);
  c.network->ClearLoss();
  state.counters["pairs"] = static_cast<double>(losses[0].size());
}

void BM_LossReadBack(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  c.network->SetLoss(schism::nemesis::LossAll(c.names, 30));
  for (auto _ : state) benchmark::DoNotOptimize(c.network->ReadLoss());
  c.network->ClearLoss();
}

void BM_DuplicateSetUp(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  const schism::nemesis::DuplicateMap dups[2] = {schism::nemesis::LossAll(c.names, 30),
                                                 schism::nemesis::LossAll(c.names, 60)};
  std::size_t i = 0;
  for (auto _ : state) c.network->SetDuplicate(dups[i++ % 2]);
  c.network->ClearDuplicate();
  state.counters["pairs"] = static_cast<double>(dups[0].size());
}

void BM_DuplicateReadBack(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  c.network->SetDuplicate(schism::nemesis::LossAll(c.names, 30));
  for (auto _ : state) benchmark::DoNotOptimize(c.network->ReadDuplicate());
  c.network->ClearDuplicate();
}

std::vector<schism::nemesis::PairDelay> DelayAll(const Cluster& c, double ms) {
  std::vector<schism::nemesis::PairDelay> pairs;
  for (const auto& from : c.names) {
    for (const auto& to : c.names) {
      if (from != to) pairs.push_back({from, to, ms, 0});
    }
  }
  return pairs;
}

void BM_DelaySetUp(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  const std::vector<schism::nemesis::PairDelay> delays[2] = {DelayAll(c, 20), DelayAll(c, 40)};
  std::size_t i = 0;
  for (auto _ : state) c.network->SetDelay(delays[i++ % 2]);
  c.network->ClearDelay();
  state.counters["pairs"] = static_cast<double>(delays[0].size());
}

void BM_DelayReadBack(benchmark::State& state) {
  Cluster& c = g_clusters->Get(state.range(0));
  c.network->SetDelay(DelayAll(c, 20));
  for (auto _ : state) benchmark::DoNotOptimize(c.network->ReadDelay());
  c.network->ClearDelay();
}

constexpr auto kMs = benchmark::kMillisecond;
BENCHMARK(BM_SchismInstall)->Arg(5)->Arg(21)->Arg(51)->Arg(101)->Unit(kMs);
BENCHMARK(BM_SchismHeal)->Arg(5)->Arg(21)->Arg(51)->Arg(101)->Unit(kMs);
BENCHMARK(BM_NftExecInstall)->Arg(5)->Arg(21)->Arg(51)->Arg(101)->Unit(kMs);
BENCHMARK(BM_NftExecHeal)->Arg(5)->Arg(21)->Arg(51)->Arg(101)->Unit(kMs);
BENCHMARK(BM_IptablesInstall)->Arg(5)->Arg(21)->Iterations(3)->Unit(kMs);
BENCHMARK(BM_IptablesHeal)->Arg(5)->Arg(21)->Iterations(3)->Unit(kMs);
BENCHMARK(BM_LossSetUp)->Arg(5)->Arg(51)->Unit(kMs);
BENCHMARK(BM_LossReadBack)->Arg(5)->Arg(51)->Unit(kMs);
BENCHMARK(BM_DuplicateSetUp)->Arg(5)->Arg(51)->Unit(kMs);
BENCHMARK(BM_DuplicateReadBack)->Arg(5)->Arg(51)->Unit(kMs);
BENCHMARK(BM_DelaySetUp)->Arg(5)->Arg(51)->Unit(kMs);
BENCHMARK(BM_DelayReadBack)->Arg(5)->Arg(51)->Unit(kMs);

}  // namespace

int main(int argc, char** argv) {
  // Leave the host's namespace for good before anything else happens.
  if (::unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "bench_network: unshare(CLONE_NEWNET): %s (run as root)\n",
                 std::strerror(errno));
    return 70;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 64;
  Clusters clusters;
  g_clusters = &clusters;
  try {
    benchmark::RunSpecifiedBenchmarks();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_network: %s\n", e.what());
    return 70;
  }
  benchmark::Shutdown();
  return 0;
}
