// Run: watching nodes with probes (--probe, or a profile's own), and
// checking what a profile needs before anything is built.
#include <chrono>
#include <cmath>
#include <filesystem>
#include <memory>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "checkers/node_status.h"
#include "harness/elector.h"
#include "harness/errors.h"
#include "harness/prober.h"
#include "harness/run.h"
#include "harness/sandbox.h"
#include "harness/spawn.h"

namespace schism::harness {
namespace {

// A node's probe must observe it this soon after the run starts it, or the
// server never came up (a JVM and an election fit well within).
constexpr std::chrono::seconds kFirstObservation(20);
// Answers in a row that a node's probe printed and its reader could not read,
// before it ever observed the node, that make the run a setup error.
constexpr int kUnreadableAnswers = 3;

// Seconds rounded to the microsecond, as the history writes "t".
double Microseconds(double s) { return std::round(s * 1e6) / 1e6; }

}  // namespace

void CheckInstalled(const Server& server, std::string_view kind,
                    const std::vector<std::string>& more) {
  const NodeVars any = ClusterVars({NodeAddress(1)}, 7000, "/", 0)[0];
  std::vector<std::string> programs = {server.ServerCommand(any, {any})[0]};
  programs.insert(programs.end(), more.begin(), more.end());
  std::vector<std::string> missing;
  for (const std::string& program : programs) {
    // "schism-node" is the run's own (--node-bin), checked where it is used.
    if (program != "schism-node" && FindExecutable(program).empty()) missing.push_back(program);
  }
  for (const std::string& file : server.RequiredFiles()) {
    if (!std::filesystem::exists(file)) missing.push_back(file);
  }
  if (missing.empty()) return;
  std::string names;
  for (const std::string& m : missing) names += (names.empty() ? "" : ", ") + m;
  throw std::runtime_error("the " + std::string(server.name()) + " " + std::string(kind) +
                           " needs " + names + ", not installed (Debian packages: " +
                           std::string(server.packages()) +
                           "; scripts/setup --servers installs them)");
}

void Run::CheckProfilePrograms() {
  const NodeVars any = ClusterVars({NodeAddress(1)}, config_.port, "/", config_.seed)[0];
  std::vector<std::string> probe = profile_->ProbeCommand(any);
  CheckInstalled(*profile_, "profile", probe.empty() ? probe : std::vector{probe[0]});
}

// The --probe template with its program found and its placeholders checked
// (empty without --probe). Throws UsageError naming the problem.
std::vector<std::string> Run::ProbeTemplate(const std::vector<std::string>& addresses) {
  if (config_.probe_cmd.empty()) return {};
  std::vector<std::string> probe;
  try {
    probe = SplitCommandLine(config_.probe_cmd);
    ExpandTemplate(probe, ClusterVars(addresses, config_.port, "/", config_.seed)[0]);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--probe: ") + e.what());
  }
  const std::filesystem::path program = FindExecutable(probe[0]);
  if (program.empty()) throw UsageError("--probe: no executable file \"" + probe[0] + "\"");
  probe[0] = program.string();
  return probe;
}

// Starts watching every node with the --probe template or the profile's probe.
void Run::StartProbes(const std::vector<std::string>& probe, const std::vector<NodeVars>& vars) {
  std::vector<ProbeTarget> targets;
  for (std::size_t k = 0; k < vars.size(); ++k) {
    ProbeTarget t;
    if (profile_) {
      t.argv = profile_->ProbeCommand(vars[k]);
      t.argv[0] = FindExecutable(t.argv[0]).string();
      t.env = profile_->ProbeEnvironment();
    } else {
      t.argv = ExpandTemplate(probe, vars[k]);
      t.env = ContractEnvironment(vars[k]);
    }
    t.setup = ChildSetup{.netns_fd = sandbox_->nodes()[k].netns.fd()};
    t.log = dir_->NodeLog(names_[k]).replace_extension(".probe.log");
    targets.push_back(std::move(t));
  }
  using std::chrono::milliseconds;
  const milliseconds every = config_.probe_every_ms > 0 ? milliseconds(config_.probe_every_ms)
                             : profile_                 ? profile_->probe_every()
                                                        : kDefaultProbeEvery;
  const milliseconds timeout = config_.probe_timeout_ms > 0
                                   ? milliseconds(config_.probe_timeout_ms)
                               : profile_ ? profile_->probe_timeout()
                                          : kDefaultProbeTimeout;
  reader_ = profile_ ? profile_->MakeReader(names_) : std::make_unique<JsonProbeReader>(names_);
  prober_ = std::make_unique<Prober>(
      io_, *timers_, std::move(targets), every, timeout, *reader_,
      [this](std::size_t k, const Observation& seen, double sent) { OnSeen(k, seen, sent); },
      [this](std::size_t k, const std::string& why, bool timed_out, double sent) {
        OnProbeFailed(k, why, timed_out, sent);
      });
  unanswered_.assign(vars.size(), 0);
  observed_.assign(vars.size(), false);
  prober_->Start();
  // A member that no probe could observe in all this time never came up.
  timers_->After(kFirstObservation.count(), [this] {
    for (std::size_t k = 0; k < names_.size(); ++k) {
      if (observed_[k] || !nodes_[k]->running()) continue;
      FailProbes(k, names_[k] + " was not observed by its probe within " +
                        std::to_string(kFirstObservation.count()) + " s of its start");
      return;
    }
  });
}

void Run::OnProbeFailed(std::size_t k, const std::string& why, bool timed_out, double sent) {
  if (stopping_) return;
  nlohmann::json detail = {{"sent", Microseconds(sent)}, {"why", why}};
  if (timed_out) detail["timed_out"] = true;
  Note(EventType::kProcess, std::string(checkers::kProbeFailed), names_[k], std::move(detail));
  // A probe that answers, but with nothing it can read, is a probe (or
  // profile) that does not fit this server: no use watching a whole run.
  if (observed_[k] || why.rfind(kNoObservation, 0) != 0) {
    unanswered_[k] = 0;
    return;
  }
  if (++unanswered_[k] < kUnreadableAnswers) return;
  FailProbes(k, "the probe of " + names_[k] + " printed no observation " +
                    std::to_string(kUnreadableAnswers) + " times in a row (" +
                    why.substr(kNoObservation.size()) + ")");
}

void Run::FailProbes(std::size_t k, const std::string& why) {
  if (!setup_error_.empty()) return;
  setup_error_ = why;
  setup_log_ = dir_->NodeLog(names_[k]).replace_extension(".probe.log");
  Stop(false);
}

// A probe's observation of node k: a role event, stamped when the answer was
// read, with the moment the probe was sent.
void Run::OnSeen(std::size_t k, const Observation& seen, double sent) {
  if (stopping_) return;
  Event e;
  e.type = EventType::kRole;
  e.node = names_[k];
  e.role = seen.role;
  e.term = seen.term;
  e.leader = seen.leader;
  e.detail = {{"sent", Microseconds(sent)}};
  spoke_[k] = true;
  observed_[k] = true;
  const Event recorded = e;
  recorder_->Record(std::move(e));
  faults_->OnEvent(k, recorded);
}

}  // namespace schism::harness
