#include "checkers/token_log.h"

#include <algorithm>

namespace schism::checkers {
namespace {

void PutVarint(std::vector<std::uint8_t>& out, std::uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<std::uint8_t>(value | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<std::uint8_t>(value));
}

std::uint64_t GetVarint(const std::uint8_t*& in) {
  std::uint64_t value = 0;
  for (int shift = 0;; shift += 7) {
    const std::uint8_t byte = *in++;
    value |= static_cast<std::uint64_t>(byte & 0x7f) << shift;
    if (byte < 0x80) return value;
  }
}

}  // namespace

void TokenLog::Add(const Owner& owner) {
  if (!blocks_.empty() && owner.token <= blocks_.back().last.token) {
    out_of_order_.emplace(owner.token, owner);
    return;
  }
  if (blocks_.empty() || blocks_.back().count == kBlockSize) {
    if (!blocks_.empty()) blocks_.back().bytes.shrink_to_fit();
    blocks_.push_back({owner, owner, 1, {}});
    // Room for a full block of the usual one-byte deltas and holders: one
    // allocation now and one to shrink it, not one each time it grows.
    blocks_.back().bytes.reserve(kBlockSize * kUsualBytes);
    return;
  }
  Block& block = blocks_.back();
  // Indexes may go back (a lease re-shown out of order never lands here, but
  // callers need not promise it), so the index delta is stored zigzagged.
  const auto index_delta = static_cast<std::int64_t>(owner.index - block.last.index);
  PutVarint(block.bytes, owner.token - block.last.token);
  PutVarint(block.bytes, (static_cast<std::uint64_t>(index_delta) << 1) ^
                             static_cast<std::uint64_t>(index_delta >> 63));
  PutVarint(block.bytes, owner.holder);
  block.last = owner;
  ++block.count;
}

std::optional<TokenLog::Owner> TokenLog::Find(std::uint64_t token) const {
  if (auto it = out_of_order_.find(token); it != out_of_order_.end()) return it->second;
  // The first block whose last token is not below `token` is the only one
  // that can hold it.
  auto block = std::lower_bound(blocks_.begin(), blocks_.end(), token,
                                [](const Block& b, std::uint64_t t) { return b.last.token < t; });
  if (block == blocks_.end()) return std::nullopt;
  return FindInBlock(*block, token);
}

std::optional<TokenLog::Owner> TokenLog::FindInBlock(const Block& block, std::uint64_t token) {
  if (token == block.last.token) return block.last;
  Owner owner = block.first;
  const std::uint8_t* in = block.bytes.data();
  for (std::size_t k = 1; owner.token < token && k < block.count; ++k) {
    owner.token += GetVarint(in);
    const std::uint64_t zigzag = GetVarint(in);
    owner.index += (zigzag >> 1) ^ (~(zigzag & 1) + 1);
    owner.holder = static_cast<NodeTable::Id>(GetVarint(in));
  }
  if (owner.token == token) return owner;
  return std::nullopt;
}

}  // namespace schism::checkers
