// Clock faults through libfaketime, each proven on the node's own clock
// (harness/real_seams.h). What the probe read against what the node's
// setting gives at that instant is the op's proof (nemesis::JudgeClock); a
// rate op is timed over two readings 50 ms apart.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <string>

#include "harness/real_seams.h"

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

FaketimeClockFaults::FaketimeClockFaults(boost::asio::io_context& io,
                                         nemesis::FaketimeClocks& clocks,
                                         std::filesystem::path probe_binary,
                                         const Sandbox& sandbox, std::vector<std::string> names)
    : io_(io),
      clocks_(clocks),
      probe_binary_(std::move(probe_binary)),
      sandbox_(sandbox),
      names_(std::move(names)) {}

FaketimeClockFaults::~FaketimeClockFaults() = default;  // kills and reaps a probe still running

std::size_t FaketimeClockFaults::IndexOf(const std::string& node) const {
  return static_cast<std::size_t>(std::find(names_.begin(), names_.end(), node) - names_.begin());
}

std::string FaketimeClockFaults::Unreachable(const std::string& node) const {
  if (IndexOf(node) < names_.size()) return {};
  return node + " is a member of the service, whose servers run without libfaketime";
}

nemesis::ClockSetting FaketimeClockFaults::Apply(const std::string& node, const nemesis::Op& op) {
  Rewritten(node);
  switch (op.clock_mode) {
    case nemesis::ClockMode::kBump:
      return clocks_.Bump(node, op.clock_offset_ms);
    case nemesis::ClockMode::kRate:
      return clocks_.SetRate(node, op.clock_rate);
    case nemesis::ClockMode::kStrobe:
      break;
  }
  return clocks_.SetOffset(node, op.clock_offset_ms);
}

void FaketimeClockFaults::SetOffset(const std::string& node, double offset_ms) {
  Rewritten(node);
  clocks_.SetOffset(node, offset_ms);
}

void FaketimeClockFaults::Restore(const std::string& node) {
  Rewritten(node);
  clocks_.Set(node, {});
}

void FaketimeClockFaults::Prove(const std::string& node, const nemesis::Op& op,
                                std::function<void(nemesis::Proof)> done) {
  const std::uint64_t id = next_id_++;
  OpenProof open{node, op, clocks_.Expected(node), MonotonicNs(), 0, std::move(done), nullptr};
  const bool rate = op.clock_mode == nemesis::ClockMode::kRate;
  try {
    open.probe = std::make_unique<AsyncClockProbe>(
        io_,
        ClockProbeCommand{probe_binary_, clocks_.Environment(node),
                          ChildSetup{.netns_fd = sandbox_.nodes()[IndexOf(node)].netns.fd()}},
        rate ? 2 : 1, rate ? kRateSpan : std::chrono::milliseconds(0), kProbeTimeout,
        [this, id](const AsyncClockProbe::Result& result) { Finish(id, result); });
    open.probe->Start();
  } catch (const std::exception& e) {
    nemesis::ClockMeasure m;
    m.node = node;
    DescribeOp(op, m);
    m.error = e.what();
    open.done(nemesis::JudgeClock(m));
    return;
  }
  open_.emplace(id, std::move(open));
}

void FaketimeClockFaults::Finish(std::uint64_t id, const AsyncClockProbe::Result& result) {
  const auto it = open_.find(id);
  if (it == open_.end()) return;
  OpenProof open = std::move(it->second);
  open_.erase(it);  // the probe has exited: nothing of it is left
  nemesis::ClockMeasure m;
  if (result.error.empty()) {
    m = MeasureClockOp(result.samples, open.expected, open.changed_at_ns);
  } else {
    m.error = result.error;
  }
  m.node = open.node;
  DescribeOp(open.op, m);
  if (open.changed_at_ns != 0) {
    m.changed_after_ms = static_cast<double>(open.changed_at_ns - open.applied_ns) / 1e6;
  }
  nemesis::Proof proof = nemesis::JudgeClock(m);
  proof.measured["probe_ms"] = result.took_ms;
  proof.measured["spawn_ms"] = result.spawn_ms;
  open.done(proof);
}

void FaketimeClockFaults::Rewritten(const std::string& node) {
  const std::int64_t now = MonotonicNs();
  for (auto& [id, open] : open_) {
    if (open.node == node && open.changed_at_ns == 0) open.changed_at_ns = now;
  }
}

}  // namespace schism::harness
