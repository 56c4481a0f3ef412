#include "harness/clock_probe.h"

#include <sys/types.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/asio/io_context.hpp>
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

// A temporary log file for the probe's stderr, removed at destruction.
class TempLog {
 public:
  TempLog() {
    std::string templ = "/tmp/schism-clock-probe-XXXXXX";
    int fd = mkstemp(templ.data());
    if (fd < 0) throw std::system_error(errno, std::generic_category(), "mkstemp " + templ);
    close(fd);
    path_ = templ;
  }
  ~TempLog() { unlink(path_.c_str()); }
  TempLog(const TempLog&) = delete;
  TempLog& operator=(const TempLog&) = delete;
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

}  // namespace

std::vector<ClockProbeSample> RunClockProbe(
    const ClockProbeCommand& command, int count, std::chrono::milliseconds every,
    std::chrono::milliseconds timeout,
    const std::function<void(const ClockProbeSample&)>& on_sample) {
  if (count < 1 || count > 100000) throw std::invalid_argument("RunClockProbe: count out of range");
  if (every.count() < 0 || every.count() > 60000) {
    throw std::invalid_argument("RunClockProbe: interval out of range");
  }
  TempLog log;
  boost::asio::io_context io;
  std::vector<ClockProbeSample> samples;
  std::string bad_line;
  bool exited = false;
  int exit_code = 0;
  std::vector<std::string> argv = {
      command.schism_node.string(), "clock-probe", "--count",
      std::to_string(count),        "--watch",     std::to_string(every.count())};
  NodeProcess probe(
      io, "clock-probe", argv, command.env, command.setup, log.path(),
      [&](const std::string& line) {
        // Stamp first: the controller's clocks when the line arrived.
        std::int64_t realtime = ClockNs(CLOCK_REALTIME);
        std::int64_t monotonic = ClockNs(CLOCK_MONOTONIC);
        std::optional<ClockProbeSample> sample = ParseProbeLine(line);
        if (!sample) {
          if (bad_line.empty()) bad_line = line.substr(0, 200);
          return;
        }
        sample->controller_realtime_ns = realtime;
        sample->controller_monotonic_ns = monotonic;
        samples.push_back(*sample);
        if (on_sample) on_sample(*sample);
      },
      [&](pid_t, int code) {
        exited = true;
        exit_code = code;
        io.stop();
      });
  probe.Start();  // throws std::runtime_error naming the node and the executable
  io.run_for(timeout);
  auto fail = [&](const std::string& what) {
    std::string tail = log.Tail();
    return std::runtime_error("clock probe " + what + (tail.empty() ? "" : ": " + tail));
  };
  if (!exited) {
    probe.KillAndReap();
    throw fail("did not finish within " + std::to_string(timeout.count()) + " ms");
  }
  if (!bad_line.empty()) throw fail("printed an unexpected line '" + bad_line + "'");
  if (exit_code != 0) throw fail("exited with code " + std::to_string(exit_code));
  if (static_cast<int>(samples.size()) != count) {
    throw fail("printed " + std::to_string(samples.size()) + " of " + std::to_string(count) +
               " lines");
  }
  return samples;
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

}  // namespace schism::harness
