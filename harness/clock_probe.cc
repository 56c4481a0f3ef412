#include "harness/clock_probe.h"

#include <signal.h>
#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/post.hpp>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <system_error>

#include "harness/node_process.h"

namespace schism::harness {
namespace {

std::int64_t ClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::optional<ClockProbeSample> ParseProbeLine(const std::string& line) {
  nlohmann::json j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return std::nullopt;
  auto realtime = j.find("realtime_ns");
  auto monotonic = j.find("monotonic_ns");
  if (realtime == j.end() || monotonic == j.end() || !realtime->is_number_integer() ||
      !monotonic->is_number_integer()) {
    return std::nullopt;
  }
  ClockProbeSample sample;
  sample.node_realtime_ns = realtime->get<std::int64_t>();
  sample.node_monotonic_ns = monotonic->get<std::int64_t>();
  const auto raw = [&j](const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : std::int64_t{0};
  };
  sample.raw_realtime_ns = raw("raw_realtime_ns");
  sample.raw_monotonic_ns = raw("raw_monotonic_ns");
  sample.raw_spread_ns = raw("raw_spread_ns");
  return sample;
}

// "+5000 ms" / "-3000 ms" (rounded to whole ms).
std::string SignedMs(double ms) {
  long long rounded = std::llround(ms);
  return (rounded >= 0 ? "+" : "") + std::to_string(rounded) + " ms";
}

std::string Rate(double rate) {
  std::array<char, 32> buf;
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), rate, std::chars_format::fixed, 2);
  return "x" + (ec == std::errc() ? std::string(buf.data(), end) : std::string("?"));
}

double OffsetMs(std::int64_t node_ns, std::int64_t controller_ns) {
  return static_cast<double>(node_ns - controller_ns) / 1e6;
}

// One clock's verdict, appended to the message parts.
struct ClockCheck {
  bool ok = true;
  std::string text;
};

ClockCheck CheckClock(const char* clock, const std::vector<ClockProbeSample>& samples,
                      const nemesis::LinearClock& expected, bool realtime,
                      const ClockSelfTestOptions& options, double* first_offset,
                      std::optional<double>* measured_rate) {
  auto node = [&](const ClockProbeSample& s) {
    return realtime ? s.node_realtime_ns : s.node_monotonic_ns;
  };
  auto controller = [&](const ClockProbeSample& s) {
    return realtime ? s.controller_realtime_ns : s.controller_monotonic_ns;
  };
  ClockCheck check;
  // The sample farthest from what was asked speaks for all.
  std::size_t worst = 0;
  double worst_error = -1;
  for (std::size_t i = 0; i < samples.size(); ++i) {
    double error = std::abs(OffsetMs(node(samples[i]), controller(samples[i])) -
                            expected.OffsetAtMs(controller(samples[i])));
    if (error > worst_error) {
      worst_error = error;
      worst = i;
    }
  }
  *first_offset = OffsetMs(node(samples.front()), controller(samples.front()));
  double asked = expected.OffsetAtMs(controller(samples[worst]));
  double measured = OffsetMs(node(samples[worst]), controller(samples[worst]));
  check.ok = worst_error <= options.tolerance_ms;
  check.text = std::string(clock) + " offset " + SignedMs(asked) + " asked, " + SignedMs(measured) +
               " measured";

  const ClockProbeSample& first = samples.front();
  const ClockProbeSample& last = samples.back();
  double span_ns = static_cast<double>(controller(last) - controller(first));
  if (span_ns >= static_cast<double>(options.min_rate_span.count()) * 1e6) {
    double rate = static_cast<double>(node(last) - node(first)) / span_ns;
    *measured_rate = rate;
    bool rate_ok = std::abs(rate - expected.rate) <= options.rate_tolerance * expected.rate;
    if (!rate_ok || expected.rate != 1) {
      check.text += ", rate " + Rate(expected.rate) + " asked, " + Rate(rate) + " measured";
    }
    check.ok = check.ok && rate_ok;
  }
  return check;
}

void CheckProbeArgs(int count, std::chrono::milliseconds every) {
  if (count < 1 || count > 100000) throw std::invalid_argument("clock probe: count out of range");
  if (every.count() < 0 || every.count() > 60000) {
    throw std::invalid_argument("clock probe: interval out of range");
  }
}

double MsSince(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - since)
      .count();
}

}  // namespace

// A temporary log file for the probe's stderr, removed at destruction.
class AsyncClockProbe::Log {
 public:
  Log() {
    std::string templ = "/tmp/schism-clock-probe-XXXXXX";
    int fd = mkstemp(templ.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp " + templ);
    close(fd);
    path_ = templ;
  }
  ~Log() { unlink(path_.c_str()); }
  Log(const Log&) = delete;
  Log& operator=(const Log&) = delete;
  const std::filesystem::path& path() const { return path_; }
  // The last `max` bytes, trimmed.
  std::string Tail(std::size_t max = 600) const {
    std::ifstream in(path_);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text.size() > max) text = "..." + text.substr(text.size() - max);
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }

 private:
  std::filesystem::path path_;
};

AsyncClockProbe::AsyncClockProbe(boost::asio::io_context& io, const ClockProbeCommand& command,
                                 int count, std::chrono::milliseconds every,
                                 std::chrono::milliseconds timeout, Done done, OnSample on_sample)
    : io_(io),
      count_(count),
      timeout_(timeout),
      done_(std::move(done)),
      on_sample_(std::move(on_sample)),
      timer_(io) {
  CheckProbeArgs(count, every);
  log_ = std::make_unique<Log>();
  std::vector<std::string> argv = {
      command.schism_node.string(), "clock-probe", "--count",
      std::to_string(count),        "--watch",     std::to_string(every.count())};
  process_ = std::make_unique<NodeProcess>(
      io, "clock-probe", argv, command.env, command.setup, log_->path(),
      [this](const std::string& line) { OnLine(line); }, [this](pid_t, int code) { OnExit(code); });
}

// The process first (it kills and reaps a probe still running), then the log.
AsyncClockProbe::~AsyncClockProbe() { process_.reset(); }

void AsyncClockProbe::Start() {
  started_ = std::chrono::steady_clock::now();
  process_->Start();  // throws std::runtime_error naming the node and the executable
  result_.spawn_ms = MsSince(started_);
  timer_.expires_after(timeout_);
  timer_.async_wait([this, alive = std::weak_ptr<int>(alive_)](boost::system::error_code ec) {
    if (ec || alive.expired() || !process_->running()) return;
    // Killed, not reaped here: its exit arrives as any other, and only then
    // is the NodeProcess free of pending work.
    timed_out_ = true;
    process_->Signal(SIGKILL);
  });
}

void AsyncClockProbe::OnLine(const std::string& line) {
  // Stamp first: the controller's clocks when the line arrived.
  std::int64_t realtime = ClockNs(CLOCK_REALTIME);
  std::int64_t monotonic = ClockNs(CLOCK_MONOTONIC);
  std::optional<ClockProbeSample> sample = ParseProbeLine(line);
  if (!sample) {
    if (bad_line_.empty()) bad_line_ = line.substr(0, 200);
    return;
  }
  sample->controller_realtime_ns = realtime;
  sample->controller_monotonic_ns = monotonic;
  result_.samples.push_back(*sample);
  if (on_sample_) on_sample_(*sample);
}

void AsyncClockProbe::OnExit(int code) {
  timer_.cancel();
  result_.took_ms = MsSince(started_);
  auto fail = [&](const std::string& what) {
    std::string tail = log_->Tail();
    result_.error = "clock probe " + what + (tail.empty() ? "" : ": " + tail);
  };
  if (timed_out_) {
    fail("did not finish within " + std::to_string(timeout_.count()) + " ms");
  } else if (!bad_line_.empty()) {
    fail("printed an unexpected line '" + bad_line_ + "'");
  } else if (code != 0) {
    fail("exited with code " + std::to_string(code));
  } else if (static_cast<int>(result_.samples.size()) != count_) {
    fail("printed " + std::to_string(result_.samples.size()) + " of " + std::to_string(count_) +
         " lines");
  }
  // Called from inside NodeProcess's handler, which must not see its object
  // destroyed under it: `done` (which may destroy this) runs a moment later.
  boost::asio::post(io_, [this, alive = std::weak_ptr<int>(alive_)] {
    if (alive.expired()) return;
    Done done = std::move(done_);  // this may be gone once it returns
    done(std::move(result_));
  });
}

std::vector<ClockProbeSample> RunClockProbe(
    const ClockProbeCommand& command, int count, std::chrono::milliseconds every,
    std::chrono::milliseconds timeout,
    const std::function<void(const ClockProbeSample&)>& on_sample) {
  boost::asio::io_context io;
  std::optional<AsyncClockProbe::Result> result;
  AsyncClockProbe probe(
      io, command, count, every, timeout,
      [&result](AsyncClockProbe::Result r) { result = std::move(r); }, on_sample);
  probe.Start();  // throws std::runtime_error naming the node and the executable
  io.run();       // until the probe has exited and `done` ran
  if (!result) throw std::runtime_error("clock probe: no result");  // io.run() ran out of work
  if (!result->error.empty()) throw std::runtime_error(result->error);
  return result->samples;
}

ClockSelfTestResult JudgeClockSamples(const std::vector<ClockProbeSample>& samples,
                                      const nemesis::ExpectedClocks& expected,
                                      const ClockSelfTestOptions& options) {
  ClockSelfTestResult result;
  std::string prefix = "clock self-test (" + expected.mechanism + "): ";
  if (samples.empty()) {
    result.message = prefix + "the probe reported no clock reading";
    return result;
  }
  ClockCheck realtime = CheckClock("realtime", samples, expected.realtime, true, options,
                                   &result.realtime_offset_ms, &result.realtime_rate);
  ClockCheck monotonic = CheckClock("monotonic", samples, expected.monotonic, false, options,
                                    &result.monotonic_offset_ms, &result.monotonic_rate);
  result.ok = realtime.ok && monotonic.ok;
  // A failing clock comes first: it is what a report must show.
  if (!realtime.ok || monotonic.ok) {
    result.message = prefix + realtime.text + "; " + monotonic.text;
  } else {
    result.message = prefix + monotonic.text + "; " + realtime.text;
  }
  if (!result.ok) {
    result.message += " (tolerance ±" + std::to_string(std::llround(options.tolerance_ms)) +
                      " ms, rate ±" + std::to_string(std::llround(options.rate_tolerance * 100)) +
                      " %)";
  }
  return result;
}

ClockSelfTestResult RunClockSelfTest(const ClockProbeCommand& command,
                                     const nemesis::ExpectedClocks& expected,
                                     const ClockSelfTestOptions& options) {
  try {
    return JudgeClockSamples(
        RunClockProbe(command, options.samples, options.every, options.timeout), expected, options);
  } catch (const std::exception& e) {
    ClockSelfTestResult result;
    result.message = "clock self-test (" + expected.mechanism + "): " + e.what();
    return result;
  }
}

nemesis::ClockMeasure MeasureClockOp(const std::vector<ClockProbeSample>& samples,
                                     const nemesis::ExpectedClocks& expected,
                                     std::int64_t changed_at_ns) {
  nemesis::ClockMeasure m;
  m.asked_rate = expected.realtime.rate;
  m.monotonic = expected.monotonic.offset_ms != 0 || expected.monotonic.rate != 1;
  std::vector<ClockProbeSample> own;  // the readings under the op's setting
  for (const ClockProbeSample& s : samples) {
    if (s.raw_monotonic_ns == 0) {
      m.error = "the probe printed no raw clock reading (is schism-node older than schism?)";
      return m;
    }
    if (changed_at_ns == 0 || s.raw_monotonic_ns + s.raw_spread_ns < changed_at_ns) {
      own.push_back(s);
    }
  }
  if (own.empty()) {
    m.error = samples.empty() ? "the probe took no reading"
                              : "the node's clock was changed again (a strobe's flip or a newer "
                                "clock op) before the probe read it";
    return m;
  }
  double worst = -1;
  for (const ClockProbeSample& s : own) {
    const double asked = expected.realtime.OffsetAtMs(s.raw_realtime_ns);
    const double read = OffsetMs(s.node_realtime_ns, s.raw_realtime_ns);
    const double error = std::abs(read - asked);
    m.spread_ms = std::max(m.spread_ms, static_cast<double>(s.raw_spread_ns) / 1e6);
    if (error <= worst) continue;
    worst = error;
    m.asked_offset_ms = asked;
    m.read_offset_ms = read;
    m.asked_monotonic_offset_ms = expected.monotonic.OffsetAtMs(s.raw_monotonic_ns);
    m.read_monotonic_offset_ms = OffsetMs(s.node_monotonic_ns, s.raw_monotonic_ns);
  }
  if (m.monotonic) {  // a monotonic clock off more than the realtime one speaks instead
    for (const ClockProbeSample& s : own) {
      const double asked = expected.monotonic.OffsetAtMs(s.raw_monotonic_ns);
      const double read = OffsetMs(s.node_monotonic_ns, s.raw_monotonic_ns);
      if (std::abs(read - asked) >
          std::abs(m.read_monotonic_offset_ms - m.asked_monotonic_offset_ms)) {
        m.asked_monotonic_offset_ms = asked;
        m.read_monotonic_offset_ms = read;
      }
    }
  }
  if (own.size() >= 2) {
    const ClockProbeSample& first = own.front();
    const ClockProbeSample& last = own.back();
    const double span_ns = static_cast<double>(last.raw_realtime_ns - first.raw_realtime_ns);
    if (span_ns > 0) {
      m.read_rate = static_cast<double>(last.node_realtime_ns - first.node_realtime_ns) / span_ns;
      m.rate_span_ms = span_ns / 1e6;
    }
  }
  return m;
}

}  // namespace schism::harness
