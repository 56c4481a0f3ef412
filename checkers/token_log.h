#pragma once
// Internal to checkers/: the fencing checker's memory of every token issued.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <vector>

#include "checkers/node_table.h"

namespace schism::checkers {

// Maps each fencing token ever issued to the lease that first showed it:
// holder and "i". A long history issues millions of tokens, nearly all in
// increasing order, so those are kept delta-encoded in blocks (a few bytes a
// token rather than a tree node of ~80); a token issued below the highest
// (itself a violation) goes to a plain map.
class TokenLog {
 public:
  struct Owner {
    NodeTable::Id holder;
    std::uint64_t token;
    std::uint64_t index;
  };

  TokenLog() = default;
  TokenLog(const TokenLog&) = delete;
  TokenLog& operator=(const TokenLog&) = delete;

  // Records `owner`, whose token must not have been added before.
  void Add(const Owner& owner);

  // The owner of `token`, or nullopt if it was never added.
  std::optional<Owner> Find(std::uint64_t token) const;

 private:
  // Up to kBlockSize owners in increasing token order: the first in full,
  // each later one as varints of token delta, index delta and holder.
  struct Block {
    Owner first;
    Owner last;
    std::size_t count = 0;
    std::vector<std::uint8_t> bytes;
  };
  static constexpr std::size_t kBlockSize = 256;
  // Bytes reserved per owner in a block: an owner is a varint each for the
  // token delta, the index delta and the holder, most often one byte each,
  // and one byte to spare.
  static constexpr std::size_t kUsualBytes = 4;

  static std::optional<Owner> FindInBlock(const Block& block, std::uint64_t token);

  std::vector<Block> blocks_;                    // In increasing token order.
  std::map<std::uint64_t, Owner> out_of_order_;  // Tokens added below the highest.
};

}  // namespace schism::checkers
