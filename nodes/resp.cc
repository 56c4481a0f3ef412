#include "nodes/resp.h"

#include <charconv>
#include <stdexcept>

namespace schism::nodes::resp {
namespace {

constexpr std::size_t kMaxDepth = 8;

std::int64_t ToInteger(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) {
    throw std::runtime_error("redis reply: \"" + std::string(text) + "\" is not an integer");
  }
  return value;
}

// Parses the reply at `at`; advances `at` past it. nullopt: incomplete.
std::optional<Reply> ParseAt(std::string_view buf, std::size_t& at, std::size_t depth) {
  if (depth > kMaxDepth) throw std::runtime_error("redis reply: arrays nested too deep");
  const std::size_t eol = buf.find("\r\n", at);
  if (at >= buf.size() || eol == std::string_view::npos) return std::nullopt;
  const char type = buf[at];
  const std::string_view line = buf.substr(at + 1, eol - at - 1);
  std::size_t next = eol + 2;
  Reply reply;
  switch (type) {
    case '+':
      reply.kind = Reply::Kind::kStatus;
      reply.text = line;
      break;
    case '-':
      reply.kind = Reply::Kind::kError;
      reply.text = line;
      break;
    case ':':
      reply.kind = Reply::Kind::kInteger;
      reply.integer = ToInteger(line);
      break;
    case '$': {
      const std::int64_t size = ToInteger(line);
      if (size < 0) break;  // null bulk
      if (buf.size() < next + static_cast<std::size_t>(size) + 2) return std::nullopt;
      reply.kind = Reply::Kind::kBulk;
      reply.text = buf.substr(next, static_cast<std::size_t>(size));
      next += static_cast<std::size_t>(size) + 2;
      break;
    }
    case '*': {
      const std::int64_t count = ToInteger(line);
      if (count < 0) break;  // null array
      reply.kind = Reply::Kind::kArray;
      for (std::int64_t k = 0; k < count; ++k) {
        std::optional<Reply> item = ParseAt(buf, next, depth + 1);
        if (!item) return std::nullopt;
        reply.items.push_back(std::move(*item));
      }
      break;
    }
    default:
      throw std::runtime_error(std::string("redis reply: unknown type byte '") + type + "'");
  }
  at = next;
  return reply;
}

}  // namespace

std::string Encode(const std::vector<std::string>& words) {
  std::string out = "*" + std::to_string(words.size()) + "\r\n";
  for (const std::string& w : words) out += "$" + std::to_string(w.size()) + "\r\n" + w + "\r\n";
  return out;
}

std::optional<std::pair<Reply, std::size_t>> Parse(std::string_view buffer) {
  std::size_t at = 0;
  std::optional<Reply> reply = ParseAt(buffer, at, 0);
  if (!reply) return std::nullopt;
  return std::make_pair(std::move(*reply), at);
}

}  // namespace schism::nodes::resp
