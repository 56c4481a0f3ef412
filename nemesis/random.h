#pragma once
// Seeded random helpers whose results are the same with every standard library.
//
// std::mt19937_64 is fully specified by the standard, but std::shuffle and the
// std::*_distribution classes are not, so a timeline generated with them could
// differ between libstdc++ and libc++. Everything in nemesis/ draws through
// these helpers instead, which keeps a seed's schedule portable.

#include <cstddef>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

namespace schism::nemesis {

// The run's seed splits into one stream per purpose, named here once: no two
// parts of a run draw the same numbers by accident, and a change to how one
// part draws leaves every other part's draws (and so old seeds) alone.
enum class Stream : std::uint64_t {
  kSchedule = 0x5c415d0e3e515eedULL,      // the generated fault schedule
  kResolve = 0x9e3779b97f4a7c15ULL,       // targets resolved when an op fires, flap phases
  kClockOffsets = 0x71e5ULL,              // per-node time-namespace offsets
  kDelayJitter = 0xde1a7ULL,              // each held packet's delay
  kDelaySamples = 0x5c15de1a70000001ULL,  // which delays are kept as samples (of the jitter seed)
};

// The seed of `stream` within `seed`.
inline std::uint64_t StreamSeed(std::uint64_t seed, Stream stream) {
  return seed ^ static_cast<std::uint64_t>(stream);
}

// Returns a double uniformly distributed in [0, 1).
inline double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Returns a double uniformly distributed in [lo, hi).
inline double UniformReal(std::mt19937_64& rng, double lo, double hi) {
  return lo + (hi - lo) * Uniform01(rng);
}

// Returns an index uniformly distributed in [0, n). Requires n > 0. The modulo
// bias is below 2^-50 for any n we use, far below what a schedule can notice.
inline std::size_t UniformIndex(std::mt19937_64& rng, std::size_t n) {
  return static_cast<std::size_t>(rng() % n);
}

// Returns true with probability p.
inline bool Chance(std::mt19937_64& rng, double p) { return Uniform01(rng) < p; }

// Fisher-Yates shuffle of `items` in place.
template <typename T>
void Shuffle(std::vector<T>& items, std::mt19937_64& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::swap(items[i - 1], items[UniformIndex(rng, i)]);
  }
}

}  // namespace schism::nemesis
