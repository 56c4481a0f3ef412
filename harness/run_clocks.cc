// Run: choosing the clock mechanism before any node starts.
#include <signal.h>

#include <algorithm>
#include <random>

#include "harness/clock_probe.h"
#include "harness/rootless.h"
#include "harness/run.h"
#include "harness/spawn.h"
#include "nemesis/random.h"

namespace schism::harness {

bool Run::WantsClockFaults() const {
  if (!config_.timeline) {
    return std::find(config_.nemeses.begin(), config_.nemeses.end(), "clock") != config_.nemeses.end();
  }
  return std::any_of(config_.timeline->begin(), config_.timeline->end(),
                     [](const nemesis::Op& op) { return op.kind == nemesis::OpKind::kClock; });
}

// Chooses the clock mechanism before any node starts: libfaketime when the
// elector's binary can take it and a probe under the same wrapper reads the
// offset it was given; otherwise time namespaces (monotonic only, fixed at
// spawn), and every clock op is recorded as unsupported. This self-test only
// chooses: each clock op of the run is proven on its own (FaketimeClockFaults).
void Run::SetUpClocks(const std::filesystem::path& elector) {
  nemesis::ClockSupport support = nemesis::CheckClockSupport(elector);
  if (support.faketime) {
    try {
      nemesis::FaketimeOptions options;
      options.owner_uid = node_user_.uid;
      options.owner_gid = node_user_.gid;
      // A rootless run's /dev/shm is its own tmpfs, gone with it even after a SIGKILL.
      if (IsRootless()) options.parent_dir = "/dev/shm";
      clocks_ = std::make_unique<nemesis::FaketimeClocks>(names_, options);
      const std::string& probe_node = names_[0];
      clocks_->Set(probe_node, {5000, 1});
      // As the nodes will run: as their user, which must open the clock's files.
      ChildSetup as_node = NodeSetup(0);
      as_node.cgroup_procs_fd = -1;
      ClockSelfTestResult test = RunClockSelfTest(
          {config_.node_binary, clocks_->Environment(probe_node), as_node},
          clocks_->Expected(probe_node));
      clocks_->Set(probe_node, {});
      if (test.ok) {
        clock_mechanism_ = {{"clock", "faketime"}, {"clock_self_test", test.message}};
        return;
      }
      support.reason = test.message;
    } catch (const std::exception& e) {
      support.reason = std::string("libfaketime: ") + e.what();
    }
    clocks_.reset();
  }
  clock_unsupported_ = support.reason;
  progress_ << "schism: clock faults cannot be applied (" << clock_unsupported_
            << "); they will be recorded as unsupported and the verdict is at best unknown\n";
  SetUpTimeNamespaces();
}

// Starts every node with a monotonic clock of its own (a seeded offset of up
// to an hour), which any binary gets: an elector that compares monotonic
// readings across nodes is caught even where libfaketime cannot reach.
void Run::SetUpTimeNamespaces() {
  std::mt19937_64 rng(nemesis::StreamSeed(config_.seed, nemesis::Stream::kClockOffsets));
  std::vector<std::int64_t> offsets;
  nlohmann::json shown = nlohmann::json::object();
  for (const std::string& name : members_) {
    auto offset_s = static_cast<std::int64_t>(nemesis::UniformIndex(rng, 3600)) + 1;
    offsets.push_back(offset_s * 1'000'000'000);
    shown[name] = offset_s;
  }
  ClockSelfTestResult test =
      RunClockSelfTest({config_.node_binary, {},
                        ChildSetup{.netns_fd = sandbox_->nodes()[0].netns.fd(),
                                   .time_offset_ns = offsets[0]}},
                       nemesis::TimeNamespaceClocks(offsets[0]));
  clock_mechanism_ = {{"clock", nullptr}, {"clock_unsupported", clock_unsupported_}};
  if (!test.ok) {
    clock_mechanism_["time_namespace_self_test"] = test.message;
    return;
  }
  time_offsets_ns_ = offsets;
  clock_mechanism_["clock"] = "time-namespace";
  clock_mechanism_["monotonic_offsets_s"] = shown;
}

}  // namespace schism::harness
