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

// Sets `out` to the `size` bytes at `text`. `out` holds the same field of an
// earlier event, most often one of the same size (n1, n2, ...): its bytes are
// then overwritten in place, a few byte copies where assign() takes a call
// or two.
void Assign(std::string& out, const char* text, std::size_t size) {
  if (out.size() != size) {
    out.assign(text, size);
    return;
  }
  char* to = out.data();
  for (std::size_t k = 0; k < size; ++k) to[k] = text[k];
}

// Words are loaded from the line with memcpy and compared with constants
// made the same way, and digits are read from them in place: the first byte
// is the lowest.
static_assert(std::endian::native == std::endian::little);

// The first N - 1 (at most 8) characters of `text` as the word that loading
// them from memory gives.
template <std::size_t N>
constexpr std::uint64_t Word(const char (&text)[N]) {
  static_assert(N - 1 <= 8);
  std::uint64_t word = 0;
  for (std::size_t k = 0; k + 1 < N; ++k) {
    word |= std::uint64_t{static_cast<unsigned char>(text[k])} << (8 * k);
  }
  return word;
}

// A mask of the bytes that the first `bytes` (below 8) characters of a
// loaded word hold.
constexpr std::uint64_t FirstBytes(std::size_t bytes) {
  return (std::uint64_t{1} << (8 * bytes)) - 1;
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
    // A local pointer: the compiler must store a member it steps after each
    // byte read, as a char may alias it.
    const char* p = p_;
    std::uint64_t value = 0;
    for (unsigned digit; (digit = static_cast<unsigned char>(*p) - unsigned{'0'}) < 10; ++p) {
      value = value * 10 + digit;
    }
    count = static_cast<std::size_t>(p - p_);
    p_ = p;
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
      std::uint64_t fraction = 0;
      if (TakeSixDigits(fraction)) {
        decimals = 6;
      } else {
        fraction = TakeDigits(decimals);
      }
      if (decimals == 0 || whole + decimals > kExactDigits) return false;
      mantissa = mantissa * kPowersOfTen[decimals] + fraction;
    }
    if (whole + decimals > kExactDigits) return false;
    out = static_cast<double>(mantissa) / static_cast<double>(kPowersOfTen[decimals]);
    return true;
  }

  // Exactly six digits, as the writer writes a time's decimals, converted
  // from one 8-byte load; false, and the cursor stays, if there are more or
  // fewer (or fewer than eight bytes left).
  bool TakeSixDigits(std::uint64_t& out) {
    if (left() < 8) return false;
    const auto [x, stops] = ReadDigitBytes(Load());
    // Six digits, then a byte that is none.
    if ((stops & 0x0000'8080'8080'8080) != 0 || (stops & 0x0080'0000'0000'0000) == 0) return false;
    out = EightDigits(x << 16);  // The six moved to the top, two zeros below them.
    p_ += 6;
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
    const char* p = p_;  // Local, as in TakeDigits.
    while (p != end_ && kPlainChars[static_cast<unsigned char>(*p)]) ++p;
    if (p == end_ || *p != '"') return false;  // An escape, a control or non-ASCII byte.
    Assign(out, p_, static_cast<std::size_t>(p - p_));
    p_ = p + 1;
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

// The fields after the first three, as bits of a mask of those a line has.
enum Field : unsigned {
  kF = 1 << 0,
  kNode = 1 << 1,
  kRole = 1 << 2,
  kTerm = 1 << 3,
  kLeader = 1 << 4,
  kFor = 1 << 5,
  kToken = 1 << 6,
  kLeaseMs = 1 << 7,
};

// One typed field after the first three, added to `present`: the cursor is
// at its ','.
bool TakeField(WrittenCursor& in, Event& out, unsigned& present) {
  if (in.left() < 8) return false;  // `,"f":""}` is the shortest field and end.
  const std::uint64_t word = in.Load();
  // Whole keys that fill the word, the commonest first.
  if (word == Word(",\"node\":")) {
    in.Skip(8);
    present |= kNode;
    return in.TakeString(out.node);
  }
  if (word == Word(",\"term\":")) {
    in.Skip(8);
    present |= kTerm;
    return TakeUintField(in, out.term);
  }
  if (word == Word(",\"token\"")) {
    in.Skip(8);
    present |= kToken;
    return in.Take(":") && TakeUintField(in, out.token);
  }
  if (word == Word(",\"lease_")) {
    in.Skip(8);
    present |= kLeaseMs;
    return in.Take("ms\":") && TakeUintField(in, out.lease_ms);
  }
  if (word == Word(",\"role\":")) {
    in.Skip(8);
    present |= kRole;
    return TakeRole(in, out.role);
  }
  if (word == Word(",\"leader")) {
    in.Skip(8);
    present |= kLeader;
    return in.Take("\":\"") && in.TakeStringRest(out.leader);
  }
  if (word == Word(",\"for\":\"")) {
    in.Skip(8);
    present |= kFor;
    return in.TakeStringRest(out.vote_for);
  }
  if ((word & FirstBytes(6)) == Word(",\"f\":\"")) {
    in.Skip(6);
    present |= kF;
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
  unsigned present = 0;
  while (!in.AtLastByte()) {
    if (!TakeField(in, out, present)) return false;
  }
  // `out` may hold an earlier event: what this line lacks goes.
  if ((present & kF) == 0) out.f.clear();
  if ((present & kNode) == 0) out.node.clear();
  if ((present & kRole) == 0) out.role.reset();
  if ((present & kTerm) == 0) out.term.reset();
  if ((present & kLeader) == 0) out.leader.clear();
  if ((present & kFor) == 0) out.vote_for.clear();
  if ((present & kToken) == 0) out.token.reset();
  if ((present & kLeaseMs) == 0) out.lease_ms.reset();
  if (!out.detail.is_null()) out.detail = nullptr;
  return in.Peek() == '}';
}

}  // namespace schism::histories::internal
