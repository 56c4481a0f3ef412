#pragma once
// Probes: the eyes of a run on an elector that prints no contract lines.
//
// Every `every` a read-only command is run inside each node's namespace (not
// in its cgroup: freezing or killing the node must not take the probe with
// it). Its stdout is read whole when it exits and turned into an Observation
// by a ProbeReader; the controller's run time when the probe was sent and
// when its answer was read go with it, since the node held that role at some
// instant between the two (checkers treat it so: see checkers/node_status.h,
// ProbeSent). A probe that exits non-zero, prints no observation or outlives
// `timeout` (it is then killed with its process group) is a failure, with a
// one-line reason. One probe per node is in flight at a time, so a node's
// observations arrive in the order they were made. Its stderr goes to the
// node's probe log.
//
//   Prober prober(io, timers, nodes, every, timeout, reader, on_seen, on_failed);
//   prober.Start();  ...  prober.Stop();  // kills probes still running

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/io_context.hpp>

#include "harness/probe_reader.h"
#include "harness/seams.h"
#include "harness/spawn.h"

namespace schism::harness {

// How one node is probed.
struct ProbeTarget {
  std::vector<std::string> argv;  // argv[0] an executable path
  std::vector<std::pair<std::string, std::string>> env;  // added to the controller's
  ChildSetup setup;                                      // its netns; no cgroup
  std::filesystem::path log;                             // stderr, appended
};

// How often a node is probed, and how long a probe may take, unless the run
// or a profile says otherwise.
inline constexpr std::chrono::milliseconds kDefaultProbeEvery{250};
inline constexpr std::chrono::milliseconds kDefaultProbeTimeout{1000};

// How the reason of a failure starts when the probe ran but printed nothing
// its reader could read.
inline constexpr std::string_view kNoObservation = "printed no observation: ";

class Prober {
 public:
  // Called with node k's observation and the run time the probe was sent.
  using SeenHandler = std::function<void(std::size_t k, const Observation&, double sent)>;
  // Called when node k's probe saw nothing, with why and when it was sent.
  using FailedHandler =
      std::function<void(std::size_t k, const std::string& why, bool timed_out, double sent)>;

  struct Counts {
    std::uint64_t sent = 0;
    std::uint64_t observed = 0;
    std::uint64_t failed = 0;     // including timed out
    std::uint64_t timed_out = 0;
  };

  // Opens each target's log for appending (throws std::system_error naming it).
  Prober(boost::asio::io_context& io, const Timers& timers, std::vector<ProbeTarget> targets,
         std::chrono::milliseconds every, std::chrono::milliseconds timeout, ProbeReader& reader,
         SeenHandler on_seen, FailedHandler on_failed);
  ~Prober();  // Stop()
  Prober(const Prober&) = delete;
  Prober& operator=(const Prober&) = delete;

  // Starts probing; node k's first probe goes out k*every/N after this call,
  // so the probes of a cluster are spread over the interval.
  void Start();
  // No probe is sent from now on; probes in flight are killed and reaped, and
  // their answers dropped.
  void Stop();

  const Counts& counts(std::size_t k) const;

  // Largest stdout kept of one probe; beyond it the probe fails.
  static constexpr std::size_t kMaxOutput = 1 << 20;

 private:
  struct Node;
  struct Exec;
  void Send(std::size_t k);
  void ReadMore(std::size_t k, const std::shared_ptr<Exec>& exec);
  void Finish(std::size_t k, const std::shared_ptr<Exec>& exec);
  void ScheduleNext(std::size_t k, double sent);
  // Kills a probe's process group and reaps it.
  static void KillExec(const std::shared_ptr<Exec>& exec);

  boost::asio::io_context& io_;
  const Timers& timers_;
  std::chrono::milliseconds every_;
  std::chrono::milliseconds timeout_;
  ProbeReader& reader_;
  SeenHandler on_seen_;
  FailedHandler on_failed_;
  std::vector<std::unique_ptr<Node>> nodes_;
  bool stopped_ = false;
};

}  // namespace schism::harness
