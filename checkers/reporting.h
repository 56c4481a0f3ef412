#pragma once
// Internal to checkers/: how verdicts word their findings.

#include <cstddef>
#include <cstdio>
#include <string>

namespace schism::checkers {

// A checker lists at most this many violations in its evidence; the total
// count goes into its details.
inline constexpr std::size_t kMaxReported = 10;

// Seconds with millisecond precision, as reasons print them: "1.500".
inline std::string Seconds(double s) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.3f", s);
  return buffer;
}

}  // namespace schism::checkers
