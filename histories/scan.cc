#include "histories/scan.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <optional>
#include <string>

namespace schism::histories::internal {
namespace {

// A cursor over one line. Every Read* returns false (and the scan gives up)
// unless the input is exactly what it expects.
class Cursor {
 public:
  explicit Cursor(std::string_view text) : text_(text) {}

  bool AtEnd() const { return pos_ == text_.size(); }
  char Peek() const { return AtEnd() ? '\0' : text_[pos_]; }

  void SkipSpace() {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\r' || Peek() == '\n')) {
      ++pos_;
    }
  }

  bool Consume(char c) {
    SkipSpace();
    if (Peek() != c) return false;
    ++pos_;
    return true;
  }

  // A string of printable ASCII without escapes; `out` views the input.
  bool ReadPlainString(std::string_view& out) {
    SkipSpace();
    if (Peek() != '"') return false;
    const std::size_t start = ++pos_;
    while (!AtEnd()) {
      const auto c = static_cast<unsigned char>(text_[pos_]);
      if (c == '"') {
        out = text_.substr(start, pos_ - start);
        ++pos_;
        return true;
      }
      if (c == '\\' || c < 0x20 || c >= 0x80) return false;
      ++pos_;
    }
    return false;
  }

  bool ReadLiteral(std::string_view word) {
    SkipSpace();
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // A JSON integer without sign, fraction or exponent that fits 64 bits.
  bool ReadUint(std::uint64_t& out) {
    SkipSpace();
    const std::size_t start = pos_;
    std::uint64_t value = 0;
    while (!AtEnd() && Peek() >= '0' && Peek() <= '9') {
      value = value * 10 + static_cast<std::uint64_t>(Peek() - '0');
      ++pos_;
    }
    const std::string_view digits = text_.substr(start, pos_ - start);
    if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return false;
    const char next = Peek();
    if (next == '.' || next == 'e' || next == 'E') return false;
    if (digits.size() < kSafeDigits) {
      out = value;
      return true;
    }
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
    return ec == std::errc() && end == digits.data() + digits.size();
  }

  // A non-negative JSON number.
  bool ReadNumber(double& out) {
    SkipSpace();
    const std::size_t start = pos_;
    auto digits = [this] {
      const std::size_t from = pos_;
      while (!AtEnd() && Peek() >= '0' && Peek() <= '9') ++pos_;
      return pos_ - from;
    };
    const std::size_t whole = digits();
    if (whole == 0 || (whole > 1 && text_[start] == '0')) return false;
    if (Peek() == '.') {
      ++pos_;
      if (digits() == 0) return false;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (digits() == 0) return false;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (ExactDecimal(text_.substr(start, pos_ - start), out)) return true;
    auto [end, ec] = std::from_chars(first, last, out);
    return ec == std::errc() && end == last && std::isfinite(out);
  }

  // Any JSON value, located but not checked: nlohmann::json checks it.
  bool SkipValue(std::string_view& out) {
    SkipSpace();
    const std::size_t start = pos_;
    int depth = 0;
    bool in_string = false;
    while (!AtEnd()) {
      const char c = text_[pos_];
      if (in_string) {
        if (c == '\\') {
          if (pos_ + 1 == text_.size()) return false;  // A line ending in a lone backslash.
          ++pos_;
        } else if (c == '"') {
          in_string = false;
          if (depth == 0) {
            ++pos_;
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
          ++pos_;
          break;
        }
      } else if (depth == 0 && (c == ',' || c == ' ' || c == '\t' || c == '\r' || c == '\n')) {
        break;
      }
      ++pos_;
    }
    if (in_string || depth != 0 || pos_ == start) return false;
    out = text_.substr(start, pos_ - start);
    return true;
  }

 private:
  // Fewer decimal digits than this always fit 64 bits (10^19 < 2^64).
  static constexpr std::size_t kSafeDigits = 20;

  // Sets `out` to the value of `number` ("123" or "123.456", already checked
  // as JSON) when that can be done exactly, as from_chars would round it: a
  // mantissa below 2^53 divided by a power of ten that a double holds exactly
  // is rounded once, correctly (Clinger's fast path). Returns false otherwise.
  static bool ExactDecimal(std::string_view number, double& out) {
    static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                         1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                         1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    std::uint64_t mantissa = 0;
    std::size_t digits = 0;
    std::size_t decimals = 0;
    bool fraction = false;
    for (char c : number) {
      if (c == '.') {
        fraction = true;
        continue;
      }
      if (c < '0' || c > '9' || ++digits > 15) return false;  // An exponent, or too long.
      mantissa = mantissa * 10 + static_cast<std::uint64_t>(c - '0');
      if (fraction) ++decimals;
    }
    out = static_cast<double>(mantissa) / kPowers[decimals];
    return true;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
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

bool ReadField(Cursor& in, std::string_view key, Event& out, SeenFields& seen) {
  switch (KeyOf(key)) {
    case Key::kIndex:
      seen.index = true;
      return in.ReadUint(out.index);
    case Key::kTime:
      seen.time = true;
      return in.ReadNumber(out.time);
    case Key::kType: {
      seen.type = true;
      std::string_view name;
      if (!in.ReadPlainString(name)) return false;
      std::optional<EventType> type = ParseEventType(name);
      if (!type) return false;
      out.type = *type;
      return true;
    }
    case Key::kRole: {
      std::string_view name;
      if (in.ReadPlainString(name)) {
        out.role = ParseRole(name);
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
  out.detail[std::string(key)] = std::move(value);
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
  out.detail = nullptr;
}

bool ScanEventLine(std::string_view line, Event& out, SeenFields& seen) {
  Cursor in(line);
  if (!in.Consume('{')) return false;
  in.SkipSpace();
  if (in.Peek() != '}') {
    do {
      std::string_view key;
      if (!in.ReadPlainString(key) || !in.Consume(':')) return false;
      if (!ReadField(in, key, out, seen)) return false;
    } while (in.Consume(','));
  }
  if (!in.Consume('}')) return false;
  in.SkipSpace();
  return in.AtEnd();
}

}  // namespace schism::histories::internal
