#pragma once
// A bounded set of duration samples with percentiles.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace schism::checkers {

// Keeps every sample up to kCapacity of them, and beyond that a uniform
// reservoir of kCapacity (Vitter's algorithm R, driven by a fixed-seed
// generator so that the same history always gives the same figures). The
// count, the maximum and the mean are always exact; percentiles are exact
// while count() <= kCapacity. Memory: at most kCapacity doubles.
class Samples {
 public:
  static constexpr std::size_t kCapacity = 4096;

  void Add(double value);

  std::uint64_t count() const { return count_; }
  bool exact() const { return count_ <= kCapacity; }
  double max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_); }
  // The nearest-rank q-quantile (0 < q <= 1) of the kept samples; 0 when empty.
  double Percentile(double q) const;

 private:
  std::uint64_t Next();

  std::vector<double> kept_;
  std::uint64_t count_ = 0;
  double max_ = 0.0;
  double sum_ = 0.0;
  std::uint64_t rng_ = 0x9e3779b97f4a7c15ULL;
};

}  // namespace schism::checkers
