#pragma once
// How far back in terms the per-term checkers keep their state.

#include <cstdint>

namespace schism::checkers {

// Checkers that keep state per term (election-safety, quorum, vote-once,
// agreement) forget a term once it is more than kTermWindow terms older than
// the newest term seen, so that their memory does not grow with the length of
// the history. An event about a forgotten term is counted as "late" and not
// judged. Real electors report a term within moments of entering it, long
// before a thousand newer terms have started, so nothing real is lost.
inline constexpr std::uint64_t kTermWindow = 1024;

// True when `term` has fallen out of the window below `newest`.
inline bool OutOfWindow(std::uint64_t term, std::uint64_t newest) {
  return term + kTermWindow < newest;
}

}  // namespace schism::checkers
