#pragma once
// Internal to histories/: a fast path for parsing the common history line.
//
// nlohmann::json builds a tree of allocations for every line, which caps the
// reader well below the 1M events/s that checkers can take. Nearly every line
// the writer produces is a flat object of plain strings and numbers, which
// ScanEventLine() reads directly. Anything unusual (escapes, non-ASCII text,
// an ill-typed field, a syntax error) makes it give up, and the caller parses
// the line with nlohmann::json, which also produces the precise error message.
//
// simdjson's On Demand API was measured in its place (2026-12-02) and read
// these short lines at half this scanner's rate: its per-document set-up and
// string copies outweigh its SIMD scan. docs/performance.md has the numbers.

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "histories/event.h"

namespace schism::histories::internal {

// Which of the required fields a parse has seen.
struct SeenFields {
  bool index = false;
  bool time = false;
  bool type = false;
};

// Whether `c` may stand unescaped in a plain string: printable ASCII but '"'
// and '\\'. A table, as nearly every byte of a line is read through it.
inline constexpr std::array<bool, 256> kPlainChars = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<std::size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// At most this many decimal digits always fit a double's 53-bit mantissa.
inline constexpr std::size_t kExactDigits = 15;
inline constexpr std::array<std::uint64_t, kExactDigits + 1> kPowersOfTen = [] {
  std::array<std::uint64_t, kExactDigits + 1> powers{};
  std::uint64_t power = 1;
  for (std::uint64_t& p : powers) {
    p = power;
    power *= 10;
  }
  return powers;
}();

// Eight bytes of a line, loaded with the first byte lowest, as digits:
// `values` holds each byte's digit value, and `stops` the high bit of each
// byte that is no digit (below '0', or 10 and up). Borrows and carries reach
// only the bytes after the first non-digit, so everything up to and including
// that byte is exact.
struct DigitBytes {
  std::uint64_t values;
  std::uint64_t stops;
};
inline DigitBytes ReadDigitBytes(std::uint64_t word) {
  constexpr std::uint64_t kOnes = 0x0101010101010101;
  constexpr std::uint64_t kHighs = 0x8080808080808080;
  const std::uint64_t values = word - kOnes * '0';
  return {values, (values | (values + kOnes * 0x76)) & kHighs};
}

// The number that eight digit values (0-9, one per byte, the first digit in
// the lowest byte) spell: pairs, then fours, then all eight, each step one
// multiply.
inline std::uint64_t EightDigits(std::uint64_t x) {
  x = (x * 10 + (x >> 8)) & 0x00FF00FF00FF00FF;
  x = (x * 100 + (x >> 16)) & 0x0000FFFF0000FFFF;
  return (x * 10000 + (x >> 32)) & 0xFFFFFFFF;
}

// Makes `out` equal to a default-constructed Event, keeping the capacity of
// its strings.
void ResetEvent(Event& out);

// Parses `line` into `out`, which may hold an earlier event, and returns
// true, or returns false, leaving `out` and `seen` in an unspecified state,
// when the line is not of the simple kind. Never throws for bad input.
// Fields that are present are type-checked as ParseEventLine does; the
// presence of required fields is left to the caller. It tries
// ScanWrittenLine, then ScanGeneralLine.
bool ScanEventLine(std::string_view line, Event& out, SeenFields& seen);

// The two ways ScanEventLine reads, with its contract.
//
// The general one takes blanks, keys in any order, null for absent, numbers
// of any form and other keys (into `detail`); it wants `out` default or
// reset.
//
// The written one takes a line spelled exactly as FormatEvent spells one
// with no `detail`: no blanks, "i", "t" and "type" first, plain strings,
// numbers without sign or exponent (integers of at most 19 digits, a time of
// at most 15). It reads what it takes as the general one would, in fewer
// steps, into `out` as it is (an earlier event as a rule, whose strings it
// overwrites in place), and sets every field; the required three are always
// there when it returns true.
bool ScanGeneralLine(std::string_view line, Event& out, SeenFields& seen);
bool ScanWrittenLine(std::string_view line, Event& out);

}  // namespace schism::histories::internal
