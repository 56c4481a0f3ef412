// schism-node: the built-in electors of schism behind the elector contract v1.
//
//   schism-node raft --id n1 --listen 10.1.0.2:7000 --peers n2=10.1.0.3:7000,n3=10.1.0.4:7000
//                    --data /path/dir [--seed 7] [--tick-ms 10] [--election-min-ms 150]
//                    [--election-max-ms 300] [--heartbeat-ms 50] [--pre-vote]
//                    [--no-check-quorum] [--bug double-vote|forget-vote]
//   schism-node clock-probe [--watch MS] [--count N]
//
// clock-probe prints {"realtime_ns":...,"monotonic_ns":...,"raw_realtime_ns":...,
// "raw_monotonic_ns":...,"raw_spread_ns":...} N times (default once), MS ms
// apart: the harness starts it exactly as it would start a node (the clock
// self-test, and the proof of each clock op) and compares its clocks with the
// true ones (harness/clock_probe.h). realtime_ns and monotonic_ns are read
// through libc, as an elector reads them (so libfaketime changes them); the
// raw_ ones are the kernel's, read by system call just before and after each
// (libfaketime does not see a raw system call; a time namespace still
// offsets raw monotonic), and raw_spread_ns is the wider of the two gaps
// between the raw readings around one.
//
// Exit codes: 0 after SIGTERM/SIGINT, 64 for a usage error, 70 for an
// environment error (data dir, state file, socket).

#include <sys/syscall.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <string>

#include "nodes/address.h"
#include "nodes/raft.h"
#include "nodes/udp_runtime.h"

namespace {

constexpr int kExitUsage = 64;
constexpr int kExitEnvironment = 70;

volatile std::sig_atomic_t g_stop = 0;

void OnStopSignal(int) { g_stop = 1; }

void InstallSignalHandlers() {
  struct sigaction action {};
  action.sa_handler = OnStopSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // No SA_RESTART: the signal must interrupt poll().
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  std::signal(SIGPIPE, SIG_IGN);  // A closed stdout must not kill the node.
}

// FNV-1a, so that nodes given the same --seed still draw different timeouts.
std::uint64_t MixSeed(std::uint64_t seed, const std::string& id) {
  std::uint64_t hash = 14695981039346656037ull;
  for (unsigned char c : id) hash = (hash ^ c) * 1099511628211ull;
  return seed ^ hash;
}

// Ticks needed to cover `ms` (rounded up, at least one).
int ToTicks(int ms, int tick_ms) { return std::max(1, (ms + tick_ms - 1) / tick_ms); }

long long ClockNs(clockid_t clock) {
  timespec ts{};
  ::clock_gettime(clock, &ts);  // through libc, so that libfaketime sees the call
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// Sleeps `ms` of real time: the raw system call, because libfaketime would
// scale a libc sleep by its rate. Returns early on SIGTERM/SIGINT.
void SleepRealMs(int ms) {
  timespec left{ms / 1000, (ms % 1000) * 1'000'000L};
  while (!g_stop && syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &left, &left) != 0 &&
         errno == EINTR) {
  }
}

// The kernel's clock, by system call: past libc (and the vDSO), so past
// libfaketime, which intercepts only library calls.
long long RawClockNs(clockid_t clock) {
  timespec ts{};
  syscall(SYS_clock_gettime, clock, &ts);
  return static_cast<long long>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// One reading: each libc clock between two raw readings of the same clock.
struct Reading {
  long long realtime = 0, monotonic = 0;          // through libc
  long long raw_realtime = 0, raw_monotonic = 0;  // the kernel's, midway
  long long spread = 0;                           // the wider gap between two raw readings
};

// `clock` through libc between two raw readings: sets `value`, the midpoint
// in `raw`, and returns the gap.
long long Bracket(clockid_t clock, long long& value, long long& raw) {
  long long before = RawClockNs(clock);
  value = ClockNs(clock);
  long long after = RawClockNs(clock);
  raw = before + (after - before) / 2;
  return after - before;
}

Reading Read() {
  Reading best;
  // A preemption inside a bracket widens it: take the tightest of a few tries.
  for (int attempt = 0; attempt < 5; ++attempt) {
    Reading r;
    r.spread = std::max(Bracket(CLOCK_REALTIME, r.realtime, r.raw_realtime),
                        Bracket(CLOCK_MONOTONIC, r.monotonic, r.raw_monotonic));
    if (attempt == 0 || r.spread < best.spread) best = r;
    if (best.spread < 100'000) break;  // 0.1 ms is tight enough
  }
  return best;
}

int RunClockProbe(int watch_ms, int count) {
  ClockNs(CLOCK_REALTIME);  // libfaketime sets itself up at the first call: not in a reading
  for (int i = 0; i < count && !g_stop; ++i) {
    if (i > 0) SleepRealMs(watch_ms);
    Reading r = Read();
    std::printf(
        "{\"realtime_ns\":%lld,\"monotonic_ns\":%lld,\"raw_realtime_ns\":%lld,"
        "\"raw_monotonic_ns\":%lld,\"raw_spread_ns\":%lld}\n",
        r.realtime, r.monotonic, r.raw_realtime, r.raw_monotonic, r.spread);
    if (std::fflush(stdout) != 0) return kExitEnvironment;
  }
  return 0;
}

int Usage(const std::string& message, const char* command = "raft") {
  std::fprintf(stderr, "schism-node: %s (see schism-node %s --help)\n", message.c_str(), command);
  return kExitUsage;
}

}  // namespace

int main(int argc, char** argv) {
  using schism::nodes::Bug;

  CLI::App app{"schism-node: built-in leader electors for schism (elector contract v1)"};
  app.require_subcommand(1);
  CLI::App* raft = app.add_subcommand("raft", "Raft leader election over UDP");
  std::string id, listen, peers_text, data_dir, bug = "none";
  std::uint64_t seed = 0;
  int tick_ms = 10, election_min_ms = 150, election_max_ms = 300, heartbeat_ms = 50;
  bool pre_vote = false, no_check_quorum = false;
  raft->add_option("--id", id, "This node's id, e.g. n1")->required();
  raft->add_option("--listen", listen, "IPv4 ADDRESS:PORT to bind")->required();
  raft->add_option("--peers", peers_text, "The other nodes: n2=ADDRESS:PORT,n3=...");
  raft->add_option("--data", data_dir, "Existing directory for raft-state.json")->required();
  raft->add_option("--seed", seed, "Seed of the election-timeout RNG (mixed with --id)");
  raft->add_option("--tick-ms", tick_ms, "Length of one tick")->check(CLI::Range(1, 60000));
  raft->add_option("--election-min-ms", election_min_ms, "Shortest election timeout")
      ->check(CLI::Range(1, 3600000));
  raft->add_option("--election-max-ms", election_max_ms, "Longest election timeout")
      ->check(CLI::Range(1, 3600000));
  raft->add_option("--heartbeat-ms", heartbeat_ms, "Leader heartbeat and vote re-send interval")
      ->check(CLI::Range(1, 3600000));
  raft->add_flag("--pre-vote", pre_vote, "Ask for a pre-vote before raising the term");
  raft->add_flag("--no-check-quorum", no_check_quorum, "Leaders never step down on their own");
  raft->add_option("--bug", bug, "Deliberate defect: double-vote or forget-vote")
      ->check(CLI::IsMember({"none", "double-vote", "forget-vote"}));
  CLI::App* clock_probe = app.add_subcommand(
      "clock-probe", "Print this process's clocks as JSON lines (clock self-test)");
  int watch_ms = 0, count = 1;
  clock_probe->add_option("--watch", watch_ms, "Milliseconds of real time between lines")
      ->check(CLI::Range(0, 60000));
  clock_probe->add_option("--count", count, "Number of lines")->check(CLI::Range(1, 100000));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // Prints the help of the right (sub)command on stdout, returns 0.
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return Usage(e.what(), clock_probe->parsed() ? "clock-probe" : "raft");
  }

  if (*clock_probe) {
    InstallSignalHandlers();
    return RunClockProbe(watch_ms, count);
  }
  if (election_min_ms > election_max_ms) {
    return Usage("--election-min-ms must not exceed --election-max-ms");
  }
  if (heartbeat_ms >= election_min_ms) {
    return Usage("--heartbeat-ms must be shorter than --election-min-ms");
  }
  schism::nodes::RuntimeOptions options;
  std::string error;
  auto endpoint = schism::nodes::ParseEndpoint(listen, &error);
  if (!endpoint) return Usage("--listen: " + error);
  auto peers = schism::nodes::ParsePeers(peers_text, &error);
  if (!peers) return Usage("--peers: " + error);
  for (const auto& peer : *peers) {
    if (peer.id == id) return Usage("--peers: lists this node's own id " + id);
    options.raft.peers.push_back(peer.id);
  }
  options.raft.id = id;
  options.raft.election_min_ticks = ToTicks(election_min_ms, tick_ms);
  options.raft.election_max_ticks = ToTicks(election_max_ms, tick_ms);
  options.raft.heartbeat_ticks = ToTicks(heartbeat_ms, tick_ms);
  options.raft.pre_vote = pre_vote;
  options.raft.check_quorum = !no_check_quorum;
  options.raft.bug = bug == "double-vote"   ? Bug::kDoubleVote
                     : bug == "forget-vote" ? Bug::kForgetVote
                                            : Bug::kNone;
  options.raft.seed = MixSeed(seed, id);
  options.listen = *endpoint;
  options.peers = std::move(*peers);
  options.data_dir = data_dir;
  options.tick_ms = tick_ms;

  InstallSignalHandlers();
  auto runtime = schism::nodes::UdpRuntime::Open(std::move(options), &error);
  if (!runtime) {
    std::fprintf(stderr, "schism-node: %s\n", error.c_str());
    return kExitEnvironment;
  }
  if (!runtime->Run(&g_stop, &error)) {
    std::fprintf(stderr, "schism-node: %s\n", error.c_str());
    return kExitEnvironment;
  }
  return 0;
}
