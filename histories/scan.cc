#include "histories/scan.h"

#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>

namespace schism::histories::internal {
namespace {

// The typed keys of a history line. kOther: a key kept in `detail`.
enum class Key {
  kIndex,
  kTime,
  kType,
  kRole,
  kF,
  kNode,
  kLeader,
  kFor,
  kTerm,
  kToken,
  kLeaseMs,
  kOther
};

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// A cursor over one line. Every Read* returns false (and the scan gives up)
// unless the input is exactly what it expects. It walks a pointer, not an
// index: the scan is most of what reading a history costs.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool AtEnd() const { return p_ == end_; }
  char Peek() const { return AtEnd() ? '\0' : *p_; }

  void SkipSpace() {
    // The writer puts no blanks between tokens: one compare answers nearly always.
    if (p_ != end_ && static_cast<unsigned char>(*p_) > ' ') return;
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\r' || *p_ == '\n')) ++p_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A string of printable ASCII without escapes; `out` views the input.
  bool ReadPlainString(std::string_view& out) {
    SkipSpace();
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = ++p_;
    SkipPlainWords();
    while (p_ != end_ && kPlainChars[static_cast<unsigned char>(*p_)]) ++p_;
    if (p_ == end_ || *p_ != '"') return false;  // An escape, a control or non-ASCII byte.
    out = std::string_view(start, static_cast<std::size_t>(p_ - start));
    ++p_;
    return true;
  }

  bool ReadLiteral(std::string_view word) {
    SkipSpace();
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  // A JSON integer without sign, fraction or exponent that fits 64 bits.
  bool ReadUint(std::uint64_t& out) {
    SkipSpace();
    const char* start = p_;
    std::uint64_t value = 0;
    const std::size_t digits = ReadDigits(value);
    if (digits == 0 || (digits > 1 && *start == '0')) return false;
    const char next = Peek();
    if (next == '.' || next == 'e' || next == 'E') return false;
    if (digits < kSafeDigits) {
      out = value;
      return true;
    }
    auto [last, ec] = std::from_chars(start, p_, out);
    return ec == std::errc() && last == p_;
  }

  // A non-negative JSON number. One of at most 15 digits and no exponent is
  // a mantissa below 2^53 over a power of ten that a double holds exactly:
  // divided once, it is rounded correctly, as from_chars would round it
  // (Clinger's fast path). Others go to from_chars.
  bool ReadNumber(double& out) {
    SkipSpace();
    const char* start = p_;
    std::uint64_t mantissa = 0;
    const std::size_t whole = ReadDigits(mantissa);
    if (whole == 0 || (whole > 1 && *start == '0')) return false;
    std::size_t decimals = 0;
    if (p_ != end_ && *p_ == '.') {
      ++p_;
      std::uint64_t fraction = 0;
      decimals = ReadDigits(fraction);
      if (decimals == 0) return false;
      if (decimals <= kExactDigits) mantissa = mantissa * kPowersOfTen[decimals] + fraction;
    }
    bool exponent = false;
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      exponent = true;
      ++p_;
      if (p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      std::uint64_t ignored = 0;
      if (ReadDigits(ignored) == 0) return false;
    }
    if (!exponent && whole + decimals <= kExactDigits) {
      out = static_cast<double>(mantissa) / static_cast<double>(kPowersOfTen[decimals]);
      return true;
    }
    auto [last, ec] = std::from_chars(start, p_, out);
    return ec == std::errc() && last == p_ && std::isfinite(out);
  }

  // Moves past `"name":` and returns its key if the cursor is at one of the
  // typed keys, written as the writer writes it (no blanks); otherwise stays
  // and returns Key::kOther. Compares whole words, not byte by byte.
  Key TryTypedKey() {
    if (end_ - p_ < kLongestTypedKey || *p_ != '"') return Key::kOther;
    switch (p_[1]) {
      case 'i':
        if (TryKeyRest("i\":")) return Key::kIndex;
        break;
      case 't':
        if (TryKeyRest("t\":")) return Key::kTime;
        if (TryKeyRest("type\":")) return Key::kType;
        if (TryKeyRest("term\":")) return Key::kTerm;
        if (TryKeyRest("token\":")) return Key::kToken;
        break;
      case 'f':
        if (TryKeyRest("f\":")) return Key::kF;
        if (TryKeyRest("for\":")) return Key::kFor;
        break;
      case 'n':
        if (TryKeyRest("node\":")) return Key::kNode;
        break;
      case 'r':
        if (TryKeyRest("role\":")) return Key::kRole;
        break;
      case 'l':
        if (TryKeyRest("leader\":")) return Key::kLeader;
        if (TryKeyRest("lease_ms\":")) return Key::kLeaseMs;
        break;
      default:
        break;
    }
    return Key::kOther;
  }

  // Moves past the opening quote and `rest` (the name, closing quote and
  // colon) when they are next, and returns true; else stays. The caller has
  // checked that the bytes are there.
  template <std::size_t N>
  bool TryKeyRest(const char (&rest)[N]) {
    if (!StartsWith(p_ + 1, rest)) return false;
    p_ += N;  // The quote, and the N - 1 characters of `rest`.
    return true;
  }

  // Moves past `word` and returns true if the cursor is at it; else stays.
  template <std::size_t N>
  bool TryWord(const char (&word)[N]) {
    if (static_cast<std::size_t>(end_ - p_) < N - 1 || !StartsWith(p_, word)) return false;
    p_ += N - 1;
    return true;
  }

  // Any JSON value, located but not checked: nlohmann::json checks it.
  bool SkipValue(std::string_view& out) {
    SkipSpace();
    const char* start = p_;
    int depth = 0;
    bool in_string = false;
    while (p_ != end_) {
      const char c = *p_;
      if (in_string) {
        if (c == '\\') {
          if (p_ + 1 == end_) return false;  // A line ending in a lone backslash.
          ++p_;
        } else if (c == '"') {
          in_string = false;
          if (depth == 0) {
            ++p_;
            break;
          }
        }
      } else if (c == '"') {
        in_string = true;
      } else if (c == '{' || c == '[') {
        ++depth;
      } else if (c == '}' || c == ']') {
        if (depth == 0) break;
        if (--depth == 0) {
          ++p_;
          break;
        }
      } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        break;
      }
      ++p_;
    }
    if (in_string || depth != 0 || p_ == start) return false;
    out = std::string_view(start, static_cast<std::size_t>(p_ - start));
    return true;
  }

 private:
  // Moves past plain characters eight at a time while eight bytes are left,
  // stopping at the word that holds the first other one: the loop after it
  // finds that byte.
  void SkipPlainWords() {
    constexpr std::uint64_t kOnes = 0x0101010101010101;
    constexpr std::uint64_t kHighs = 0x8080808080808080;
    while (end_ - p_ >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p_, sizeof word);
      // High bit of each byte that is '"', '\\', below 0x20, or 0x80 and up.
      // These tests flag nothing before the first such byte.
      const std::uint64_t quote = word ^ (kOnes * '"');
      const std::uint64_t backslash = word ^ (kOnes * '\\');
      const std::uint64_t special = ((quote - kOnes) & ~quote) |
                                    ((backslash - kOnes) & ~backslash) |
                                    ((word - kOnes * 0x20) & ~word) | word;
      if ((special & kHighs) != 0) return;
      p_ += 8;
    }
  }

  // Reads the run of decimal digits at the cursor, eight at a time while
  // eight bytes are left, into `value` and returns how many there were.
  // `value` is exact for up to 19 digits; it wraps beyond.
  std::size_t ReadDigits(std::uint64_t& value) {
    const char* start = p_;
    std::uint64_t v = 0;
    while (end_ - p_ >= 8) {
      std::uint64_t word;
      std::memcpy(&word, p_, sizeof word);
      const auto [x, stops] = ReadDigitBytes(word);
      const int n = stops == 0 ? 8 : std::countr_zero(stops) / 8;
      if (n > 0) {
        // The n digits moved to the top, the bytes below them zero: leading zeros.
        v = v * kPowersOfTen[n] + EightDigits(x << (8 * (8 - n)));
        p_ += n;
      }
      if (n < 8) {
        value = v;
        return static_cast<std::size_t>(p_ - start);
      }
    }
    while (p_ != end_ && IsDigit(*p_)) v = v * 10 + static_cast<std::uint64_t>(*p_++ - '0');
    value = v;
    return static_cast<std::size_t>(p_ - start);
  }

  // Whether the N-1 characters of `word` start at `at`, which has that many.
  template <std::size_t N>
  static bool StartsWith(const char* at, const char (&word)[N]) {
    return std::memcmp(at, word, N - 1) == 0;
  }

  // The longest typed key as written, `"lease_ms":`, and the byte after it.
  static constexpr std::ptrdiff_t kLongestTypedKey = 12;

  // Fewer decimal digits than this always fit 64 bits (10^19 < 2^64).
  static constexpr std::size_t kSafeDigits = 20;

  const char* p_;
  const char* end_;
};

// A string field: a plain string, or null for "absent".
bool ReadStringField(Cursor& in, std::string& out) {
  std::string_view text;
  if (in.ReadPlainString(text)) {
    out.assign(text);
    return true;
  }
  if (!in.ReadLiteral("null")) return false;
  out.clear();
  return true;
}

bool ReadUintField(Cursor& in, std::optional<std::uint64_t>& out) {
  std::uint64_t value = 0;
  if (in.ReadUint(value)) {
    out = value;
    return true;
  }
  if (!in.ReadLiteral("null")) return false;
  out.reset();
  return true;
}

Key KeyOf(std::string_view key) {
  // Checked by length first: the keys of nearly every line are typed ones.
  switch (key.size()) {
    case 1:
      if (key[0] == 'i') return Key::kIndex;
      if (key[0] == 't') return Key::kTime;
      if (key[0] == 'f') return Key::kF;
      break;
    case 3:
      if (key == "for") return Key::kFor;
      break;
    case 4:
      if (key == "type") return Key::kType;
      if (key == "role") return Key::kRole;
      if (key == "node") return Key::kNode;
      if (key == "term") return Key::kTerm;
      break;
    case 5:
      if (key == "token") return Key::kToken;
      break;
    case 6:
      if (key == "leader") return Key::kLeader;
      break;
    case 8:
      if (key == "lease_ms") return Key::kLeaseMs;
      break;
    default:
      break;
  }
  return Key::kOther;
}

// Reads the value of `key` (named `name` when not a typed key) into `out`.
bool ReadField(Cursor& in, Key key, std::string_view name, Event& out, SeenFields& seen) {
  switch (key) {
    case Key::kIndex:
      seen.index = true;
      return in.ReadUint(out.index);
    case Key::kTime:
      seen.time = true;
      return in.ReadNumber(out.time);
    case Key::kType: {
      seen.type = true;
      in.SkipSpace();
      // The commonest types first, as whole words; then any.
      if (in.TryWord("\"lease\"")) {
        out.type = EventType::kLease;
        return true;
      }
      if (in.TryWord("\"role\"")) {
        out.type = EventType::kRole;
        return true;
      }
      if (in.TryWord("\"vote\"")) {
        out.type = EventType::kVote;
        return true;
      }
      std::string_view text;
      if (!in.ReadPlainString(text)) return false;
      std::optional<EventType> type = ParseEventType(text);
      if (!type) return false;
      out.type = *type;
      return true;
    }
    case Key::kRole: {
      in.SkipSpace();
      if (in.TryWord("\"follower\"")) {
        out.role = Role::kFollower;
        return true;
      }
      if (in.TryWord("\"leader\"")) {
        out.role = Role::kLeader;
        return true;
      }
      if (in.TryWord("\"candidate\"")) {
        out.role = Role::kCandidate;
        return true;
      }
      std::string_view text;
      if (in.ReadPlainString(text)) {
        out.role = ParseRole(text);
        return out.role.has_value();
      }
      out.role.reset();
      return in.ReadLiteral("null");
    }
    case Key::kF:
      return ReadStringField(in, out.f);
    case Key::kNode:
      return ReadStringField(in, out.node);
    case Key::kLeader:
      return ReadStringField(in, out.leader);
    case Key::kFor:
      return ReadStringField(in, out.vote_for);
    case Key::kTerm:
      return ReadUintField(in, out.term);
    case Key::kToken:
      return ReadUintField(in, out.token);
    case Key::kLeaseMs:
      return ReadUintField(in, out.lease_ms);
    case Key::kOther:
      break;
  }

  std::string_view text;
  if (!in.SkipValue(text)) return false;
  nlohmann::json value = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded()) return false;
  out.detail[std::string(name)] = std::move(value);
  return true;
}

}  // namespace

void ResetEvent(Event& out) {
  out.index = 0;
  out.time = 0.0;
  out.type = EventType::kRun;
  out.f.clear();
  out.node.clear();
  out.role.reset();
  out.term.reset();
  out.leader.clear();
  out.vote_for.clear();
  out.token.reset();
  out.lease_ms.reset();
  if (!out.detail.is_null()) out.detail = nullptr;
}

bool ScanEventLine(std::string_view line, Event& out, SeenFields& seen) {
  if (ScanWrittenLine(line, out)) {
    seen = {.index = true, .time = true, .type = true};
    return true;
  }
  ResetEvent(out);  // It may have set some fields before it gave up.
  return ScanGeneralLine(line, out, seen);
}

bool ScanGeneralLine(std::string_view line, Event& out, SeenFields& seen) {
  Cursor in(line);
  if (!in.Consume('{')) return false;
  in.SkipSpace();
  if (in.Peek() != '}') {
    do {
      in.SkipSpace();
      Key key = in.TryTypedKey();
      std::string_view name;
      if (key == Key::kOther) {
        if (!in.ReadPlainString(name) || !in.Consume(':')) return false;
        key = KeyOf(name);
      }
      if (!ReadField(in, key, name, out, seen)) return false;
    } while (in.Consume(','));
  }
  if (!in.Consume('}')) return false;
  in.SkipSpace();
  return in.AtEnd();
}

}  // namespace schism::histories::internal
