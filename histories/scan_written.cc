// ScanWrittenLine: the line exactly as FormatEvent writes it, and nothing else.
//
// Every line of a long history is of this kind, so this is the path that sets
// the checker's speed. It knows the writer's spelling: no blanks, every key
// whole ("node": is one 8-byte word), numbers plain. It gives up on anything
// else, and ScanEventLine's general cursor reads the line instead. Because
// the line ends in '}', which is no digit, a run of digits stops before the
// end without a bounds check; a byte at a time took fewer instructions
// (callgrind) than eight at a time, as the general cursor reads them.

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include "histories/scan.h"

namespace schism::histories::internal {
namespace {

// The first N - 1 (at most 8) characters of `text` as the word that loading
// them from memory gives.
template <std::size_t N>
constexpr std::uint64_t Word(const char (&text)[N]) {
  static_assert(N - 1 <= 8);
  std::uint64_t word = 0;
  for (std::size_t k = 0; k + 1 < N; ++k) {
    const auto byte = static_cast<std::uint64_t>(static_cast<unsigned char>(text[k]));
    if constexpr (std::endian::native == std::endian::little) {
      word |= byte << (8 * k);
    } else {
      word |= byte << (8 * (7 - k));
    }
  }
  return word;
}

// A mask of the bytes that the first `bytes` characters of a loaded word hold.
constexpr std::uint64_t FirstBytes(std::size_t bytes) {
  const std::uint64_t low = bytes >= 8 ? ~std::uint64_t{0} : (std::uint64_t{1} << (8 * bytes)) - 1;
  if constexpr (std::endian::native == std::endian::little) {
    return low;
  } else {
    return bytes >= 8 ? low : ~((~std::uint64_t{0}) >> (8 * bytes));
  }
}

// A cursor over a line that ends in '}', which it never moves past. Each Take* moves past what it
// reads and returns true, or returns false when the line is not as the writer writes it (the cursor
// is then of no further use).
class WrittenCursor {
 public:
  explicit WrittenCursor(std::string_view line)
      : p_(line.data()), end_(line.data() + line.size()) {}

  std::size_t left() const { return static_cast<std::size_t>(end_ - p_); }
  bool AtLastByte() const { return end_ - p_ == 1; }
  char Peek() const { return *p_; }

  // The next eight bytes; the caller has checked that they are there.
  std::uint64_t Load() const {
    std::uint64_t word;
    std::memcpy(&word, p_, sizeof word);
    return word;
  }
  void Skip(std::size_t bytes) { p_ += bytes; }

  // Moves past `text` if the line goes on with it.
  template <std::size_t N>
  bool Take(const char (&text)[N]) {
    if (left() < N - 1 || std::memcmp(p_, text, N - 1) != 0) return false;
    p_ += N - 1;
    return true;
  }

  // A run of decimal digits; `count` says how many. It stops at the line's
  // closing '}' at the latest. `value` wraps beyond 19 digits.
  std::uint64_t TakeDigits(std::size_t& count) {
    const char* start = p_;
    std::uint64_t value = 0;
    for (unsigned digit; (digit = static_cast<unsigned char>(*p_) - unsigned{'0'}) < 10; ++p_) {
      value = value * 10 + digit;
    }
    count = static_cast<std::size_t>(p_ - start);
    return value;
  }

  // An integer as JSON spells it, without sign, of at most 19 digits (so it
  // fits 64 bits). Whoever reads on requires ',' or the closing '}' next,
  // which rules out a fraction or an exponent.
  bool TakeUint(std::uint64_t& out) {
    const char first = *p_;
    std::size_t count = 0;
    out = TakeDigits(count);
    return count != 0 && count < 20 && (count == 1 || first != '0');
  }

  // A number of at most 15 digits in all, without sign (nor exponent, as for
  // TakeUint): a mantissa below 2^53 over a power of ten that a double holds
  // exactly, so one division rounds it correctly, as the general scanner does.
  bool TakeTime(double& out) {
    const char first = *p_;
    std::size_t whole = 0;
    std::uint64_t mantissa = TakeDigits(whole);
    if (whole == 0 || (whole > 1 && first == '0')) return false;
    std::size_t decimals = 0;
    if (*p_ == '.') {
      ++p_;
      const std::uint64_t fraction = TakeDigits(decimals);
      if (decimals == 0 || whole + decimals > kExactDigits) return false;
      mantissa = mantissa * kPowersOfTen[decimals] + fraction;
    }
    if (whole + decimals > kExactDigits) return false;
    out = static_cast<double>(mantissa) / static_cast<double>(kPowersOfTen[decimals]);
    return true;
  }

  // A plain string: printable ASCII without escapes.
  bool TakeString(std::string& out) {
    if (*p_ != '"') return false;
    ++p_;
    return TakeStringRest(out);
  }

  // The rest of a plain string whose opening quote the cursor is past, up to
  // and past its closing quote.
  bool TakeStringRest(std::string& out) {
    const char* start = p_;
    while (p_ != end_ && kPlainChars[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_ || *p_ != '"') return false;  // An escape, a control or non-ASCII byte.
    out.assign(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }

 private:
  const char* p_;
  const char* end_;
};

bool TakeType(WrittenCursor& in, EventType& out) {
  // The commonest first.
  if (in.Take("lease\"")) {
    out = EventType::kLease;
  } else if (in.Take("role\"")) {
    out = EventType::kRole;
  } else if (in.Take("vote\"")) {
    out = EventType::kVote;
  } else if (in.Take("nemesis\"")) {
    out = EventType::kNemesis;
  } else if (in.Take("process\"")) {
    out = EventType::kProcess;
  } else if (in.Take("run\"")) {
    out = EventType::kRun;
  } else {
    return false;
  }
  return true;
}

bool TakeRole(WrittenCursor& in, std::optional<Role>& out) {
  if (in.left() < 8) return false;
  const std::uint64_t word = in.Load();
  if (word == Word("\"followe")) {
    in.Skip(8);
    out = Role::kFollower;
    return in.Take("r\"");
  }
  if (word == Word("\"leader\"")) {
    in.Skip(8);
    out = Role::kLeader;
    return true;
  }
  if (word == Word("\"candida")) {
    in.Skip(8);
    out = Role::kCandidate;
    return in.Take("te\"");
  }
  return false;
}

bool TakeUintField(WrittenCursor& in, std::optional<std::uint64_t>& out) {
  std::uint64_t value = 0;
  if (!in.TakeUint(value)) return false;
  out = value;
  return true;
}

// One typed field after the first three: the cursor is at its ','.
bool TakeField(WrittenCursor& in, Event& out) {
  if (in.left() < 8) return false;  // `,"f":""}` is the shortest field and end.
  const std::uint64_t word = in.Load();
  // Whole keys that fill the word, the commonest first.
  if (word == Word(",\"node\":")) {
    in.Skip(8);
    return in.TakeString(out.node);
  }
  if (word == Word(",\"term\":")) {
    in.Skip(8);
    return TakeUintField(in, out.term);
  }
  if (word == Word(",\"token\"")) {
    in.Skip(8);
    return in.Take(":") && TakeUintField(in, out.token);
  }
  if (word == Word(",\"lease_")) {
    in.Skip(8);
    return in.Take("ms\":") && TakeUintField(in, out.lease_ms);
  }
  if (word == Word(",\"role\":")) {
    in.Skip(8);
    return TakeRole(in, out.role);
  }
  if (word == Word(",\"leader")) {
    in.Skip(8);
    return in.Take("\":\"") && in.TakeStringRest(out.leader);
  }
  if (word == Word(",\"for\":\"")) {
    in.Skip(8);
    return in.TakeStringRest(out.vote_for);
  }
  if ((word & FirstBytes(6)) == Word(",\"f\":\"")) {
    in.Skip(6);
    return in.TakeStringRest(out.f);
  }
  return false;  // A key the writer puts in `detail`, or one spelled otherwise.
}

}  // namespace

bool ScanWrittenLine(std::string_view line, Event& out) {
  if (line.empty() || line.back() != '}') return false;
  WrittenCursor in(line);
  if (!in.Take("{\"i\":") || !in.TakeUint(out.index)) return false;
  if (!in.Take(",\"t\":") || !in.TakeTime(out.time)) return false;
  if (!in.Take(",\"type\":\"") || !TakeType(in, out.type)) return false;
  while (!in.AtLastByte()) {
    if (!TakeField(in, out)) return false;
  }
  return in.Peek() == '}';
}

}  // namespace schism::histories::internal
