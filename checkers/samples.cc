#include "checkers/samples.h"

#include <algorithm>
#include <cmath>

namespace schism::checkers {

std::uint64_t Samples::Next() {
  // splitmix64: small, fast and good enough to pick reservoir slots.
  std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void Samples::Add(double value) {
  ++count_;
  sum_ += value;
  max_ = count_ == 1 ? value : std::max(max_, value);
  if (kept_.size() < kCapacity) {
    kept_.push_back(value);
    return;
  }
  const std::uint64_t slot = Next() % count_;
  if (slot < kCapacity) kept_[slot] = value;
}

double Samples::Percentile(double q) const {
  if (kept_.empty()) return 0.0;
  std::vector<double> sorted = kept_;
  std::sort(sorted.begin(), sorted.end());
  const double rank = std::ceil(q * static_cast<double>(sorted.size()));
  const std::size_t k = rank < 1.0 ? 0 : static_cast<std::size_t>(rank) - 1;
  return sorted[std::min(k, sorted.size() - 1)];
}

}  // namespace schism::checkers
