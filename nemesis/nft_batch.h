#pragma once
// One nftables transaction, built as binary netlink messages (libnftnl)
// between a batch begin and end, which the kernel applies all or nothing,
// as it does an `nft -f` file. NftNetlink (nft_netlink.h) sends it.
//
// Only what the nemesis changes on every fault is here: flushing a chain or
// a set, making and deleting sets and named counters, adding elements and
// rules. A rule is a list of expressions, as `nft --debug=netlink` shows
// them; the helpers below make the few kinds the nemesis's rules use.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

struct nftnl_expr;
struct nlmsghdr;

namespace schism::nemesis {

// Address families of the tables the nemesis owns (NFPROTO_*).
inline constexpr std::uint8_t kNftBridge = 7;
inline constexpr std::uint8_t kNftNetdev = 5;

// A rule's expression; the rule takes ownership when it is added.
struct NftExprDeleter {
  void operator()(nftnl_expr* e) const;
};
using NftExpr = std::unique_ptr<nftnl_expr, NftExprDeleter>;

// Expressions. Registers are the kernel's: 1..4 hold 16 bytes each, 8..23
// hold 4 bytes each (9 is the second 4 bytes of register 1).
namespace nft_expr {
NftExpr MetaLoad(std::uint32_t key, std::uint32_t reg);  // NFT_META_* into reg
NftExpr MetaSet(std::uint32_t key, std::uint32_t reg);   // NFT_META_* from reg
NftExpr PayloadLoad(std::uint32_t base, std::uint32_t offset, std::uint32_t len, std::uint32_t reg);
// Compares reg with `data` (NFT_CMP_*), as big-endian bytes for < and >.
NftExpr Compare(std::uint32_t op, std::uint32_t reg, const void* data, std::uint32_t len);
// Looks reg up in the set `name` (made in the same batch under `id`, or 0).
NftExpr Lookup(const std::string& name, std::uint32_t id, std::uint32_t reg);
NftExpr CounterRef(const std::string& name);                  // counter name "..."
NftExpr RandomMod(std::uint32_t modulus, std::uint32_t reg);  // numgen random mod m
NftExpr HostToNet32(std::uint32_t reg);                       // byteorder hton, 4 bytes
NftExpr Verdict(int verdict);                                 // NF_DROP, NF_ACCEPT
NftExpr Immediate32(std::uint32_t value, std::uint32_t reg);
NftExpr DupToDevice(std::uint32_t reg);  // dup to the ifindex in reg
}  // namespace nft_expr

class NftBatch {
 public:
  // A batch for the table `table` of `family`, whose messages are numbered
  // from `seq` + 1.
  NftBatch(std::string table, std::uint8_t family, std::uint32_t seq);

  NftBatch(const NftBatch&) = delete;
  NftBatch& operator=(const NftBatch&) = delete;

  // Deletes every rule of `chain`.
  void FlushChain(const std::string& chain);
  // Deletes every element of the set `name`.
  void FlushSet(const std::string& name);
  void DeleteSet(const std::string& name);
  void DeleteCounter(const std::string& name);
  // A named counter, at 0.
  void AddCounter(const std::string& name);
  // A set of keys of `key_len` bytes and nft's datatype `key_type` (a
  // concatenation's types are packed 6 bits each, the first highest), for up
  // to `size` elements (0: no bound); returns the id rules of this batch look
  // it up by.
  std::uint32_t AddSet(const std::string& name, std::uint32_t key_type, std::uint32_t key_len,
                       std::size_t size);
  // Adds `keys` (raw, each exactly the set's key length) to the set `name`.
  void AddElements(const std::string& set, const std::vector<std::string>& keys);
  // Appends a rule made of `exprs`, in order, to `chain`.
  void AddRule(const std::string& chain, std::vector<NftExpr> exprs);

  // Ends the batch; returns its bytes (valid until the batch goes).
  std::string_view Finish();
  // The messages the kernel acknowledges (all but begin and end), and the
  // sequence number of the last message (the end).
  std::size_t Acks() const { return acks_; }
  std::uint32_t LastSeq() const { return seq_; }
  const std::string& table() const { return table_; }
  std::uint8_t family() const { return family_; }

 private:
  // Room for a message of up to `bytes`; returns where it starts.
  char* Room(std::size_t bytes);
  // Takes the message just built at `nlh`.
  void Took(nlmsghdr* nlh);
  nlmsghdr* Header(std::uint16_t type, std::uint16_t flags, std::size_t bytes);

  std::string table_;
  std::uint8_t family_;
  std::uint32_t seq_;
  std::uint32_t next_set_id_ = 1;
  std::size_t acks_ = 0;
  std::vector<char> bytes_;
  std::size_t used_ = 0;
  std::size_t room_ = 0;  // what the message being built may take
};

}  // namespace schism::nemesis
