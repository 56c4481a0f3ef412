#include "nemesis/proof.h"

#include <cmath>
#include <cstdio>

namespace schism::nemesis {
namespace {

// How far, in standard deviations, a random share may stray before the
// mechanism is suspected rather than bad luck: 4 sigma is about 1 in 16,000.
constexpr double kSigmas = 4.0;
// Timer and accounting slack of a token bucket.
constexpr double kBucketSlack = 0.02;
constexpr std::uint64_t kFrameBytes = 1514;

std::string Fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

std::string PairText(const DirectedPair& pair) { return pair.first + "->" + pair.second; }

// "n1->n2, n3->n1" (the first few).
std::string PairsText(const std::set<DirectedPair>& pairs) {
  std::string out;
  std::size_t shown = 0;
  for (const DirectedPair& pair : pairs) {
    if (shown++ == 4) return out + ", ...";
    out += (out.empty() ? "" : ", ") + PairText(pair);
  }
  return out;
}

std::set<DirectedPair> Minus(const std::set<DirectedPair>& a, const std::set<DirectedPair>& b) {
  std::set<DirectedPair> out;
  for (const DirectedPair& pair : a) {
    if (!b.count(pair)) out.insert(pair);
  }
  return out;
}

Proof NotProven(std::string why, nlohmann::json measured) {
  return Proof{false, std::move(why), std::move(measured)};
}

Proof Proven(std::string by, nlohmann::json measured) {
  return Proof{true, std::move(by), std::move(measured)};
}

}  // namespace

nlohmann::json Proof::ToJson() const {
  nlohmann::json out = measured.is_object() ? measured : nlohmann::json::object();
  out["proven"] = proven;
  out[proven ? "by" : "why"] = how;
  return out;
}

Proof JudgePartition(const PartitionMeasure& m) {
  const std::uint64_t dropped = m.dropped;
  nlohmann::json measured = {{"cut_pairs", m.asked.size()},
                             {"dropped", dropped},
                             {"forwarded", m.forwarded}};
  const std::string at = "partition at " + Fixed(m.start_s, 1) + " s";
  const std::set<DirectedPair> missing = Minus(m.asked, m.installed);
  const std::set<DirectedPair> extra = Minus(m.installed, m.asked);
  if (!missing.empty() || !extra.empty()) {
    std::string why = at + ": the kernel's set did not hold the grudge";
    if (!missing.empty()) why += "; missing " + PairsText(missing);
    if (!extra.empty()) why += "; extra " + PairsText(extra);
    return NotProven(why, measured);
  }
  if (m.asked.empty()) return Proven("the kernel's set read back empty, as asked", measured);
  const std::string held = "the kernel held its " + std::to_string(m.asked.size()) + " cut pairs";
  if (dropped > 0) {
    return Proven(held + " and dropped " + std::to_string(dropped) + " packet(s) between them",
                  measured);
  }
  const std::uint64_t passed = m.forwarded;  // nothing was dropped, so all of it passed
  if (passed > 0) {
    return Proven(held + "; the cut pairs sent nothing while it held, but " +
                      std::to_string(passed) + " frame(s) passed between the other pairs",
                  measured);
  }
  const std::string silent = "no frame crossed the bridge while it held";
  if (m.probe && m.probe_dropped) {
    measured["probe"] = PairText(*m.probe);
    return Proven(held + "; " + silent + ", so the harness sent a frame " + PairText(*m.probe) +
                      " itself, and the kernel dropped it",
                  measured);
  }
  if (m.probe) {
    measured["probe"] = PairText(*m.probe);
    return NotProven(at + " dropped no packet between cut pairs, and " + silent +
                         "; a frame the harness sent " + PairText(*m.probe) +
                         " itself was not dropped either",
                     measured);
  }
  if (!m.probe_error.empty()) {
    return NotProven(at + " dropped no packet between cut pairs, and " + silent +
                         "; the harness could not send a frame across it: " + m.probe_error,
                     measured);
  }
  return NotProven(at + " dropped no packet between cut pairs, and " + silent +
                       ": does this elector talk over the network?",
                   measured);
}

namespace {

// The proof of a fault whose pairs carried nothing: it was in force (its
// rules went in in one transaction) but had nothing to act on. That is fine
// while the elector talked elsewhere, and a sign that it does not use the
// network at all when nothing crossed the bridge.
Proof Idle(const std::string& nothing, std::uint64_t forwarded, nlohmann::json measured) {
  measured["forwarded"] = forwarded;
  if (forwarded > 0) {
    return Proven(nothing + " while it held, but " + std::to_string(forwarded) +
                      " frame(s) crossed the bridge between other pairs",
                  std::move(measured));
  }
  return NotProven(nothing + ", and no frame crossed the bridge while it held: does this "
                             "elector talk over the network?",
                   std::move(measured));
}

}  // namespace

Proof JudgeRandomShare(const ShareCounts& shares, const std::string& what,
                       std::uint64_t forwarded) {
  std::uint64_t seen = 0;
  std::uint64_t hit = 0;
  double expected = 0;
  double variance = 0;
  for (const ShareCount& share : shares) {
    const double p = share.percent / 100.0;
    seen += share.seen;
    hit += share.hit;
    expected += static_cast<double>(share.seen) * p;
    variance += static_cast<double>(share.seen) * p * (1 - p);
  }
  const double bound = kSigmas * std::sqrt(variance) + 1.0;
  nlohmann::json measured = {{"seen", seen}, {what, hit}, {"expected", expected}, {"bound", bound}};
  if (seen == 0) return Idle("its pairs carried no packet", forwarded, std::move(measured));
  const std::string counts = what + " " + std::to_string(hit) + " of " + std::to_string(seen) +
                             " packets (expected " + Fixed(expected, 0) + " ± " +
                             Fixed(bound, 0) + ")";
  if (std::fabs(static_cast<double>(hit) - expected) > bound) {
    return NotProven(counts + ": outside the bound, so the rules did not do what was asked",
                     measured);
  }
  return Proven(counts, measured);
}

Proof JudgeDelay(const std::vector<DelayCount>& pairs, double delay_ms, double jitter_ms,
                 std::uint64_t forwarded) {
  std::uint64_t packets = 0;
  double total_ms = 0;
  for (const DelayCount& pair : pairs) {
    packets += pair.packets;
    total_ms += pair.mean_ms * static_cast<double>(pair.packets);
  }
  const double mean = packets ? total_ms / static_cast<double>(packets) : 0.0;
  // Each hold is uniform in delay ± jitter (standard deviation jitter / √3),
  // so the mean of n of them strays by jitter / √(3n) on its own: 4 sigma of
  // that on top of the mechanism's 20 % + 5 ms. Two packets at 100 ± 50 ms
  // may average 67 ms by chance alone.
  const double spread =
      packets ? kSigmas * jitter_ms / std::sqrt(3.0 * static_cast<double>(packets)) : 0.0;
  const double tolerance = 0.2 * delay_ms + 5.0 + spread;
  nlohmann::json measured = {
      {"packets", packets}, {"mean_ms", mean}, {"asked_ms", delay_ms}, {"tolerance_ms", tolerance}};
  if (packets == 0) return Idle("its pairs carried no packet", forwarded, std::move(measured));
  const std::string text = "held " + std::to_string(packets) + " packets for " +
                           Fixed(mean, 1) + " ms on average (asked " + Fixed(delay_ms, 1) +
                           " ± " + Fixed(tolerance, 1) + " ms)";
  if (std::fabs(mean - delay_ms) > tolerance) return NotProven(text + ": outside the bound", measured);
  return Proven(text, measured);
}

Proof JudgeBandwidth(const BandwidthMeasure& m) {
  const double per_bucket = static_cast<double>(m.rate_kbit) * 1000.0 / 8.0 * m.held_s *
                                (1 + kBucketSlack) +
                            static_cast<double>(m.burst_bytes + kFrameBytes);
  const double allowed = per_bucket * static_cast<double>(m.directions);
  nlohmann::json measured = {{"sent_bytes", m.sent_bytes},
                             {"allowed_bytes", allowed},
                             {"held_s", m.held_s},
                             {"rate_kbit", m.rate_kbit}};
  if (m.sent_bytes == 0) return Idle("no byte passed the limit", m.forwarded, std::move(measured));
  const std::string text = std::to_string(m.sent_bytes) + " bytes passed in " +
                           Fixed(m.held_s, 1) + " s (at most " + Fixed(allowed, 0) +
                           " allowed at " + std::to_string(m.rate_kbit) + " kbit/s)";
  if (static_cast<double>(m.sent_bytes) > allowed) {
    return NotProven(text + ": more than the limit allows, so it was not in force", measured);
  }
  return Proven(text, measured);
}

}  // namespace schism::nemesis

namespace schism::nemesis {
namespace {

// "+1.500 s", "-0.003 s".
std::string SignedSeconds(double ms) {
  double s = std::round(ms) / 1000.0;
  if (s == 0) s = 0;  // no "-0.000"
  return (s >= 0 ? "+" : "") + Fixed(s, 3) + " s";
}

std::string OpText(const ClockMeasure& m) {
  if (m.mode == "rate") return "a rate of x" + Fixed(m.op_value, 3);
  if (m.mode == "strobe") return "a strobe starting at " + SignedSeconds(m.op_value);
  return "a " + m.mode + " of " + SignedSeconds(m.op_value);
}

}  // namespace

Proof JudgeClock(const ClockMeasure& m) {
  const double tolerance = kClockOffsetToleranceMs + m.spread_ms;
  const double real_error = std::fabs(m.read_offset_ms - m.asked_offset_ms);
  const double mono_error =
      m.monotonic ? std::fabs(m.read_monotonic_offset_ms - m.asked_monotonic_offset_ms) : 0.0;
  nlohmann::json measured = {{"asked_offset_ms", m.asked_offset_ms},
                             {"read_offset_ms", m.read_offset_ms},
                             {"tolerance_ms", tolerance},
                             {"asked_rate", m.asked_rate},
                             {"spread_ms", m.spread_ms}};
  if (m.monotonic) measured["monotonic_error_ms"] = mono_error;
  if (m.changed_after_ms) measured["changed_after_ms"] = *m.changed_after_ms;
  double rate_tolerance = kClockRateTolerance;
  if (m.read_rate) {
    if (m.rate_span_ms > 0) rate_tolerance += 2 * m.spread_ms / m.rate_span_ms;
    measured["read_rate"] = *m.read_rate;
    measured["rate_tolerance"] = rate_tolerance;
    measured["rate_span_ms"] = m.rate_span_ms;
  }
  const std::string op = OpText(m);
  const std::string probe = "a probe in " + m.node + "'s clock environment";
  if (!m.error.empty()) {
    measured.erase("read_offset_ms");  // nothing was read
    return NotProven(m.node + "'s clock after " + op + " could not be checked: " + m.error,
                     measured);
  }
  const std::string read =
      m.node + "'s clock read " + SignedSeconds(m.read_offset_ms) + " after " + op;
  const std::string not_asked =
      ", not " + SignedSeconds(m.asked_offset_ms) + " ± " + Fixed(tolerance, 1) + " ms";
  if (m.monotonic && mono_error > tolerance && std::fabs(m.read_monotonic_offset_ms) <= tolerance) {
    const std::string cause = "libfaketime was not loaded in " + probe +
                              " (is LD_PRELOAD's library there, for this architecture?)";
    return NotProven(read + " and its monotonic clock was the true one: " + cause, measured);
  }
  if (real_error > tolerance) {
    // Nearer the true clock than a tenth of the way to the asked one.
    const bool untouched = std::fabs(m.read_offset_ms) <= tolerance ||
                           std::fabs(m.read_offset_ms) < 0.1 * std::fabs(m.asked_offset_ms);
    const std::string cause =
        untouched ? "libfaketime did not change the clock of " + probe +
                        " (does it read the node's FAKETIME_TIMESTAMP_FILE?)"
                  : "libfaketime did not apply the setting the harness wrote to the node's file";
    return NotProven(read + not_asked + ": " + cause, measured);
  }
  if (mono_error > tolerance) {
    return NotProven(m.node + "'s monotonic clock was " + Fixed(mono_error, 1) +
                         " ms off what libfaketime should give after " + op + " (± " +
                         Fixed(tolerance, 1) + " ms)",
                     measured);
  }
  std::string by = probe + " read " + SignedSeconds(m.read_offset_ms) + " after " + op +
                   " (asked " + SignedSeconds(m.asked_offset_ms) + " ± " + Fixed(tolerance, 1) +
                   " ms" + (m.monotonic ? ", monotonic too" : "") + ")";
  if (m.read_rate) {
    const double rate_error = std::fabs(*m.read_rate / m.asked_rate - 1);
    const std::string ran = "x" + Fixed(*m.read_rate, 3) + " (asked x" + Fixed(m.asked_rate, 3) +
                            " ± " + Fixed(rate_tolerance * 100, 1) + " %)";
    if (rate_error > rate_tolerance) {
      return NotProven(m.node + "'s clock ran " + ran + " after " + op +
                           ": libfaketime did not apply the rate the harness wrote",
                       measured);
    }
    by += " and ran " + ran;
  } else if (m.mode == "rate") {
    if (m.changed_after_ms) {
      const std::string when = Fixed(*m.changed_after_ms, 0) + " ms after " + op;
      return NotProven(m.node + "'s clock was set again " + when +
                           ", before the probe's second reading, so its rate was not timed "
                           "(leave 0.1 s between clock ops on one node)",
                       measured);
    }
    return NotProven(
        m.node + "'s clock after " + op + " was not timed (the probe took one reading)", measured);
  }
  return Proven(by, measured);
}

}  // namespace schism::nemesis
