// schism-node: the built-in electors of schism behind the elector contract v1.
//
//   schism-node ELECTOR --id n1 --listen 10.1.0.2:7000 --peers n2=10.1.0.3:7000,n3=10.1.0.4:7000
//                       --data /path/dir [--seed 7] [--tick-ms 10] [ELECTOR'S OPTIONS]
//                       [--bug NAME]
//   schism-node clock-probe [--watch MS] [--count N]
//
// One subcommand per row of the table in nodes/electors.cc, with the common
// flags above plus the elector's own options and bugs, e.g. for raft:
// [--election-min-ms 150] [--election-max-ms 300] [--heartbeat-ms 50]
// [--pre-vote] [--no-check-quorum] [--bug double-vote|forget-vote]. Those
// defaults are for up to 9 nodes: an option not given scales with the cluster
// size (this node and its --peers), as nodes/electors.h's ScaledDefault() says.
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

#include <arpa/inet.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/address.h"
#include "nodes/electors.h"
#include "nodes/keepalived_node.h"
#include "nodes/redis_lock.h"
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

int Usage(const std::string& message, const std::string& command) {
  std::fprintf(stderr, "schism-node: %s (see schism-node %s--help)\n", message.c_str(),
               command.empty() ? "" : (command + " ").c_str());
  return kExitUsage;
}

// What one elector's subcommand parses into.
struct ElectorCommand {
  const schism::nodes::ElectorSpec* spec = nullptr;
  CLI::App* app = nullptr;
  schism::nodes::ElectorSetup setup;  // Options bound by CLI11; the rest filled in after.
  std::map<std::string, bool> flags;  // Flag options, copied into setup.options after.
  // Integer options by name, to tell an option given from one left at its
  // default, which then scales with the cluster size (ScaledDefault()).
  std::map<std::string, const CLI::Option*> integers;
  std::string listen, peers, data_dir, bug = "none";
  std::uint64_t seed = 0;
};

// Adds the subcommand of `command.spec` to `app`: the common flags, then the
// elector's own options, then --bug if it has any.
void AddElectorCommand(CLI::App& app, ElectorCommand& command) {
  using schism::nodes::OptionSpec;
  const schism::nodes::ElectorSpec& spec = *command.spec;
  command.setup = schism::nodes::DefaultSetup(spec);
  CLI::App* sub = app.add_subcommand(std::string(spec.name), std::string(spec.description));
  command.app = sub;
  sub->add_option("--id", command.setup.id, "This node's id, e.g. n1")->required();
  sub->add_option("--listen", command.listen, "IPv4 ADDRESS:PORT to bind")->required();
  sub->add_option("--peers", command.peers, "The other nodes: n2=ADDRESS:PORT,n3=...");
  sub->add_option("--data", command.data_dir,
                  "Existing directory for " + std::string(spec.name) + "-state.json")
      ->required();
  sub->add_option("--seed", command.seed, "Seed of the elector's RNG (mixed with --id)");
  sub->add_option("--tick-ms", command.setup.tick_ms, "Length of one tick")
      ->check(CLI::Range(1, 60000));
  for (const OptionSpec& option : spec.options) {
    const std::string flag = "--" + std::string(option.name);
    const std::string description(option.description);
    if (option.kind == OptionSpec::Kind::kFlag) {
      sub->add_flag(flag, command.flags[std::string(option.name)], description);
    } else {
      const std::string rule = schism::nodes::ScaleRule(option);
      command.integers[std::string(option.name)] =
          sub->add_option(flag, command.setup.options.find(option.name)->second,
                          description + " (default " + std::to_string(option.default_value) +
                              (rule.empty() ? "" : ", " + rule) + ")")
              ->check(CLI::Range(option.min, option.max));
    }
  }
  if (spec.bugs.empty()) return;
  std::vector<std::string> names = {"none"};
  std::string listed;
  for (const schism::nodes::BugSpec& bug : spec.bugs) {
    names.emplace_back(bug.name);
    listed += (listed.empty() ? "" : " or ") + std::string(bug.name);
  }
  sub->add_option("--bug", command.bug, "Deliberate defect: " + listed)
      ->check(CLI::IsMember(names));
}

// Runs the parsed elector command until SIGTERM/SIGINT; returns the exit code.
int RunElector(ElectorCommand& command) {
  const std::string name(command.spec->name);
  schism::nodes::RuntimeOptions options;
  options.elector = command.spec;
  options.setup = std::move(command.setup);
  for (const auto& [flag, set] : command.flags) options.setup.options[flag] = set ? 1 : 0;
  options.setup.bug = command.bug == "none" ? "" : command.bug;
  std::string error;
  auto endpoint = schism::nodes::ParseEndpoint(command.listen, &error);
  if (!endpoint) return Usage("--listen: " + error, name);
  auto peers = schism::nodes::ParsePeers(command.peers, &error);
  if (!peers) return Usage("--peers: " + error, name);
  for (const auto& peer : *peers) {
    if (peer.id == options.setup.id) {
      return Usage("--peers: lists this node's own id " + peer.id, name);
    }
    options.setup.peers.push_back(peer.id);
  }
  // Options not given take their default for this cluster's size; flags are never scaled.
  std::map<std::string, std::int64_t, std::less<>> given;
  for (const auto& [option, value] : options.setup.options) {
    const auto integer = command.integers.find(option);
    if (integer == command.integers.end() || integer->second->count() > 0) given[option] = value;
  }
  options.setup.options =
      schism::nodes::OptionsFor(*command.spec, options.setup.peers.size() + 1, given);
  if (command.spec->check != nullptr) {
    if (std::string why = command.spec->check(options.setup); !why.empty()) return Usage(why, name);
  }
  options.setup.seed = schism::nodes::MixSeed(command.seed, options.setup.id);
  options.listen = *endpoint;
  options.peers = std::move(*peers);
  options.data_dir = command.data_dir;

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

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"schism-node: built-in leader electors for schism (elector contract v1)"};
  app.require_subcommand(1);
  // Held by pointer: CLI11 keeps references into each command's fields.
  std::vector<std::unique_ptr<ElectorCommand>> electors;
  for (const schism::nodes::ElectorSpec& spec : schism::nodes::BuiltInElectors()) {
    electors.push_back(std::make_unique<ElectorCommand>());
    electors.back()->spec = &spec;
    AddElectorCommand(app, *electors.back());
  }
  CLI::App* clock_probe = app.add_subcommand(
      "clock-probe", "Print this process's clocks as JSON lines (clock self-test)");
  int watch_ms = 0, count = 1;
  clock_probe->add_option("--watch", watch_ms, "Milliseconds of real time between lines")
      ->check(CLI::Range(0, 60000));
  clock_probe->add_option("--count", count, "Number of lines")->check(CLI::Range(1, 100000));
  CLI::App* redis_lock = app.add_subcommand(
      "redis-lock", "Contend for a lock on redis-server and print what this client believes");
  schism::nodes::RedisLockOptions lock;
  std::string redis;
  redis_lock->add_option("--id", lock.id, "This client's id, e.g. n1")->required();
  redis_lock
      ->add_option("--redis", redis,
                   "redis-server as ADDRESS:PORT (or {service}: NAME=ADDRESS:PORT)")
      ->required();
  redis_lock->add_option("--ttl-ms", lock.ttl_ms, "The lock's expiry")
      ->check(CLI::Range(10, 600000));
  redis_lock->add_option("--work-ms", lock.work_ms, "Time in the critical section")
      ->check(CLI::Range(1, 600000));
  redis_lock->add_option("--poll-ms", lock.poll_ms, "How often a waiting client tries")
      ->check(CLI::Range(1, 600000));
  redis_lock->add_option("--timeout-ms", lock.timeout_ms, "How long a request may take")
      ->check(CLI::Range(1, 600000));
  CLI::App* keepalived =
      app.add_subcommand("keepalived", "Run a keepalived VRRP router and print what it believes");
  schism::nodes::KeepalivedOptions router;
  std::string router_listen, router_peers;
  keepalived->add_option("--id", router.id, "This node's id, e.g. n1")->required();
  keepalived->add_option("--index", router.index, "This node's index (n1 has the highest priority)")
      ->required()
      ->check(CLI::Range(1, 199));
  keepalived->add_option("--listen", router_listen, "This node's IPv4 ADDRESS:PORT")->required();
  keepalived->add_option("--peers", router_peers, "The other nodes: n2=ADDRESS:PORT,n3=...");
  keepalived->add_option("--data", router.data_dir, "Existing directory for its files")->required();
  keepalived->add_option("--program", router.program, "The keepalived to run");
  // CLI11 would only say "A subcommand is required": name the choices instead.
  if (argc > 1 && argv[1][0] != '-' && std::string_view(argv[1]) != "clock-probe" &&
      std::string_view(argv[1]) != "redis-lock" && std::string_view(argv[1]) != "keepalived" &&
      schism::nodes::FindElector(argv[1]) == nullptr) {
    return Usage("unknown elector \"" + std::string(argv[1]) + "\"; built-in: " +
                     schism::nodes::ElectorNames() + " (or clock-probe, redis-lock, keepalived)",
                 "");
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);  // Prints the help of the right (sub)command on stdout, returns 0.
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::string command;
    for (const CLI::App* sub : app.get_subcommands()) command = sub->get_name();
    return Usage(e.what(), command);
  }

  if (*clock_probe) {
    InstallSignalHandlers();
    return RunClockProbe(watch_ms, count);
  }
  if (*redis_lock) {
    std::string error;
    const std::size_t eq = redis.find('=');
    const auto endpoint = schism::nodes::ParseEndpoint(
        eq == std::string::npos ? redis : redis.substr(eq + 1), &error);
    if (!endpoint || redis.find(',') != std::string::npos) {
      return Usage("--redis: " + (endpoint ? "one server, not a list" : error), "redis-lock");
    }
    char address[INET_ADDRSTRLEN];
    ::inet_ntop(AF_INET, &endpoint->address, address, sizeof address);
    lock.host = address;
    lock.port = endpoint->port;
    if (lock.work_ms >= lock.ttl_ms)
      return Usage("--work-ms must be less than --ttl-ms", "redis-lock");
    InstallSignalHandlers();
    return schism::nodes::RunRedisLock(lock, &g_stop);
  }
  if (*keepalived) {
    std::string error;
    const auto endpoint = schism::nodes::ParseEndpoint(router_listen, &error);
    if (!endpoint) return Usage("--listen: " + error, "keepalived");
    auto peers = schism::nodes::ParsePeers(router_peers, &error);
    if (!peers) return Usage("--peers: " + error, "keepalived");
    router.listen = *endpoint;
    router.peers = std::move(*peers);
    InstallSignalHandlers();
    return schism::nodes::RunKeepalived(router, &g_stop);
  }
  for (const auto& elector : electors) {
    if (*elector->app) return RunElector(*elector);
  }
  return Usage("no elector given", "");  // Unreachable: require_subcommand(1).
}
