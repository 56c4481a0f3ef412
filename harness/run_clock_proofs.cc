// Run: proving each clock op on the node's own clock.
//
// Just after a clock op rewrote node X's timestamp file, a probe
// (`schism-node clock-probe`) starts with X's libfaketime variables
// (FaketimeClocks::Environment) in X's network namespace, and reads the clocks
// libc gives it between raw readings of the kernel's. What it read against
// what X's setting gives at that instant is the op's proof
// (nemesis::JudgeClock); a rate op is timed over two readings 50 ms apart.
// The probe is not in X's cgroup, so a node frozen or killed meanwhile
// neither stalls nor takes it. It runs on the run's io_context: the run
// waits only for its fork and exec.
#include <time.h>

#include <chrono>
#include <string>

#include "harness/run.h"

namespace schism::harness {
namespace {

// A probe takes a few ms; one still running after this is killed (and its
// op not proven).
constexpr auto kProbeTimeout = std::chrono::seconds(1);
// Between the two readings that time a rate op.
constexpr auto kRateSpan = std::chrono::milliseconds(50);

std::int64_t MonotonicNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

// The judge's words for the op: its mode and the value it asked.
void DescribeOp(const nemesis::Op& op, nemesis::ClockMeasure& m) {
  switch (op.clock_mode) {
    case nemesis::ClockMode::kBump:
      m.mode = "bump";
      m.op_value = op.clock_offset_ms;
      break;
    case nemesis::ClockMode::kStrobe:
      m.mode = "strobe";
      m.op_value = op.clock_offset_ms;
      break;
    case nemesis::ClockMode::kRate:
      m.mode = "rate";
      m.op_value = op.clock_rate;
      break;
  }
}

}  // namespace

void Run::ProveClock(std::size_t k, std::uint64_t of, const nemesis::Op& op) {
  const std::string& node = names_[k];
  OpenClockProof open{k, op, clocks_->Expected(node), MonotonicNs(), 0, nullptr};
  const bool rate = op.clock_mode == nemesis::ClockMode::kRate;
  try {
    open.probe = std::make_unique<AsyncClockProbe>(
        io_,
        ClockProbeCommand{config_.node_binary, clocks_->Environment(node),
                          ChildSetup{.netns_fd = sandbox_->nodes()[k].netns.fd()}},
        rate ? 2 : 1, rate ? kRateSpan : std::chrono::milliseconds(0), kProbeTimeout,
        [this, of](const AsyncClockProbe::Result& result) { FinishClockProof(of, result); });
    open.probe->Start();
  } catch (const std::exception& e) {
    nemesis::ClockMeasure m;
    m.node = node;
    DescribeOp(op, m);
    m.error = e.what();
    NoteVerified(of, "clock", node, nemesis::JudgeClock(m));
    return;
  }
  clock_proofs_.emplace(of, std::move(open));
}

void Run::FinishClockProof(std::uint64_t of, const AsyncClockProbe::Result& result) {
  const auto it = clock_proofs_.find(of);
  if (it == clock_proofs_.end()) return;
  const OpenClockProof open = std::move(it->second);
  clock_proofs_.erase(it);  // the probe has exited: nothing of it is left
  nemesis::ClockMeasure m;
  if (result.error.empty()) {
    m = MeasureClockOp(result.samples, open.expected, open.changed_at_ns);
  } else {
    m.error = result.error;
  }
  m.node = names_[open.node];
  DescribeOp(open.op, m);
  if (open.changed_at_ns != 0) {
    m.changed_after_ms = static_cast<double>(open.changed_at_ns - open.applied_ns) / 1e6;
  }
  nemesis::Proof proof = nemesis::JudgeClock(m);
  proof.measured["probe_ms"] = result.took_ms;
  proof.measured["spawn_ms"] = result.spawn_ms;
  NoteVerified(of, "clock", m.node, proof);
}

void Run::ClockRewritten(std::size_t k) {
  const std::int64_t now = MonotonicNs();
  for (auto& [of, open] : clock_proofs_) {
    if (open.node == k && open.changed_at_ns == 0) open.changed_at_ns = now;
  }
}

}  // namespace schism::harness
