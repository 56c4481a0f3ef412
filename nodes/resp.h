#pragma once
// RESP, the protocol of redis: commands out, replies in. Pure: no sockets.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schism::nodes::resp {

struct Reply {
  enum class Kind { kStatus, kError, kInteger, kBulk, kNull, kArray };
  Kind kind = Kind::kNull;
  std::string text;          // kStatus, kError, kBulk
  std::int64_t integer = 0;  // kInteger
  std::vector<Reply> items;  // kArray
};

// A command as redis reads it: an array of bulk strings.
std::string Encode(const std::vector<std::string>& words);

// Parses one reply from the front of `buffer`: the reply and the bytes it
// took, or nullopt when the buffer holds only part of one. Throws
// std::runtime_error naming what is malformed.
std::optional<std::pair<Reply, std::size_t>> Parse(std::string_view buffer);

}  // namespace schism::nodes::resp
