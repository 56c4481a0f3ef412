#include "nemesis/nft_batch.h"

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "nemesis/nft_context.h"

namespace schism::nemesis {
namespace {

static_assert(kNftBridge == NFPROTO_BRIDGE && kNftNetdev == NFPROTO_NETDEV);

// Elements per NEWSETELEM message: the kernel holds a message's elements in
// one nested attribute, whose length is 16 bits.
constexpr std::size_t kElementsPerMessage = 512;
// Bounds on what a message takes in the batch, with room to spare: its
// headers and names; one element (its key up to 32 bytes, attribute headers,
// nesting); one expression of a rule (its name, a register or two, and a
// set's or counter's name, or up to 16 bytes of data). libnftnl writes a
// message where it is told to, so the room must be there before it starts.
constexpr std::size_t kMessageBytes = 1024;
constexpr std::size_t kElementBytes = 96;
constexpr std::size_t kExprBytes = 256;

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using Set = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;
using Obj = std::unique_ptr<nftnl_obj, Deleter<nftnl_obj, nftnl_obj_free>>;
using Rule = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;

template <typename T>
T Checked(T p) {
  if (!p) throw NftError("nft: out of memory");
  return p;
}

NftExpr Expr(const char* name) { return NftExpr(Checked(nftnl_expr_alloc(name))); }

Set NamedSet(const std::string& table, const std::string& name) {
  Set s(Checked(nftnl_set_alloc()));
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  return s;
}

Obj NamedCounter(const std::string& table, const std::string& name) {
  Obj o(Checked(nftnl_obj_alloc()));
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_TABLE, table.c_str());
  nftnl_obj_set_str(o.get(), NFTNL_OBJ_NAME, name.c_str());
  nftnl_obj_set_u32(o.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  return o;
}

}  // namespace

void NftExprDeleter::operator()(nftnl_expr* e) const { nftnl_expr_free(e); }

namespace nft_expr {

NftExpr MetaLoad(std::uint32_t key, std::uint32_t reg) {
  NftExpr e = Expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_DREG, reg);
  return e;
}

NftExpr MetaSet(std::uint32_t key, std::uint32_t reg) {
  NftExpr e = Expr("meta");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_KEY, key);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_META_SREG, reg);
  return e;
}

NftExpr PayloadLoad(std::uint32_t base, std::uint32_t offset, std::uint32_t len,
                    std::uint32_t reg) {
  NftExpr e = Expr("payload");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_BASE, base);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_LEN, len);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_PAYLOAD_DREG, reg);
  return e;
}

NftExpr Compare(std::uint32_t op, std::uint32_t reg, const void* data, std::uint32_t len) {
  NftExpr e = Expr("cmp");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_SREG, reg);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_CMP_OP, op);
  nftnl_expr_set(e.get(), NFTNL_EXPR_CMP_DATA, data, len);
  return e;
}

NftExpr Lookup(const std::string& name, std::uint32_t id, std::uint32_t reg) {
  NftExpr e = Expr("lookup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SREG, reg);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_LOOKUP_SET, name.c_str());
  if (id != 0) nftnl_expr_set_u32(e.get(), NFTNL_EXPR_LOOKUP_SET_ID, id);
  return e;
}

NftExpr CounterRef(const std::string& name) {
  NftExpr e = Expr("objref");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_OBJREF_IMM_TYPE, NFT_OBJECT_COUNTER);
  nftnl_expr_set_str(e.get(), NFTNL_EXPR_OBJREF_IMM_NAME, name.c_str());
  return e;
}

NftExpr RandomMod(std::uint32_t modulus, std::uint32_t reg) {
  NftExpr e = Expr("numgen");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_DREG, reg);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_MODULUS, modulus);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_NG_TYPE, NFT_NG_RANDOM);
  return e;
}

NftExpr HostToNet32(std::uint32_t reg) {
  NftExpr e = Expr("byteorder");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_SREG, reg);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_DREG, reg);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_LEN, 4);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_BYTEORDER_SIZE, 4);
  return e;
}

NftExpr Verdict(int verdict) {
  NftExpr e = Expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(verdict));
  return e;
}

NftExpr Immediate32(std::uint32_t value, std::uint32_t reg) {
  NftExpr e = Expr("immediate");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_IMM_DREG, reg);
  nftnl_expr_set(e.get(), NFTNL_EXPR_IMM_DATA, &value, sizeof value);
  return e;
}

NftExpr DupToDevice(std::uint32_t reg) {
  NftExpr e = Expr("dup");
  nftnl_expr_set_u32(e.get(), NFTNL_EXPR_DUP_SREG_DEV, reg);
  return e;
}

}  // namespace nft_expr

NftBatch::NftBatch(std::string table, std::uint8_t family, std::uint32_t seq)
    : table_(std::move(table)), family_(family), seq_(seq) {
  Room(kMessageBytes);
  used_ += NLMSG_ALIGN(nftnl_batch_begin(bytes_.data() + used_, ++seq_)->nlmsg_len);
}

char* NftBatch::Room(std::size_t bytes) {
  if (bytes_.size() < used_ + bytes) bytes_.resize(2 * (used_ + bytes));
  return bytes_.data() + used_;
}

nlmsghdr* NftBatch::Header(std::uint16_t type, std::uint16_t flags, std::size_t bytes) {
  room_ = bytes;
  return nftnl_nlmsg_build_hdr(Room(bytes), type, family_, flags | NLM_F_ACK, ++seq_);
}

void NftBatch::Took(nlmsghdr* nlh) {
  if (nlh->nlmsg_len > room_) {
    // libnftnl wrote past the room made for it: memory is already spoilt.
    std::fprintf(stderr, "schism: nft batch message of %u bytes overran its %zu\n",
                 nlh->nlmsg_len, room_);
    std::abort();
  }
  used_ += NLMSG_ALIGN(nlh->nlmsg_len);
  ++acks_;
}

void NftBatch::FlushChain(const std::string& chain) {
  Rule r(Checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nlmsghdr* nlh = Header(NFT_MSG_DELRULE, 0, kMessageBytes);  // no handle: every rule
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  Took(nlh);
}

void NftBatch::FlushSet(const std::string& name) {
  const Set s = NamedSet(table_, name);
  nlmsghdr* nlh = Header(NFT_MSG_DELSETELEM, 0, kMessageBytes);  // no elements: every one
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  Took(nlh);
}

void NftBatch::DeleteSet(const std::string& name) {
  const Set s = NamedSet(table_, name);
  nlmsghdr* nlh = Header(NFT_MSG_DELSET, 0, kMessageBytes);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  Took(nlh);
}

void NftBatch::DeleteCounter(const std::string& name) {
  const Obj o = NamedCounter(table_, name);
  nlmsghdr* nlh = Header(NFT_MSG_DELOBJ, 0, kMessageBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  Took(nlh);
}

void NftBatch::AddCounter(const std::string& name) {
  const Obj o = NamedCounter(table_, name);
  nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_PKTS, 0);
  nftnl_obj_set_u64(o.get(), NFTNL_OBJ_CTR_BYTES, 0);
  nlmsghdr* nlh = Header(NFT_MSG_NEWOBJ, NLM_F_CREATE, kMessageBytes);
  nftnl_obj_nlmsg_build_payload(nlh, o.get());
  Took(nlh);
}

std::uint32_t NftBatch::AddSet(const std::string& name, std::uint32_t key_type,
                               std::uint32_t key_len, std::size_t size) {
  const std::uint32_t id = next_set_id_++;
  const Set s = NamedSet(table_, name);
  nftnl_set_set_u32(s.get(), NFTNL_SET_FAMILY, family_);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_TYPE, key_type);
  nftnl_set_set_u32(s.get(), NFTNL_SET_KEY_LEN, key_len);
  nftnl_set_set_u32(s.get(), NFTNL_SET_ID, id);
  // Sized for its elements, the kernel makes a hash table of the right size
  // at once rather than one that grows as they come: a 2,550-element set
  // went in 40 % faster.
  if (size > 0) nftnl_set_set_u32(s.get(), NFTNL_SET_DESC_SIZE, static_cast<std::uint32_t>(size));
  nlmsghdr* nlh = Header(NFT_MSG_NEWSET, NLM_F_CREATE, kMessageBytes);
  nftnl_set_nlmsg_build_payload(nlh, s.get());
  Took(nlh);
  return id;
}

void NftBatch::AddElements(const std::string& set, const std::vector<std::string>& keys) {
  for (std::size_t from = 0; from < keys.size(); from += kElementsPerMessage) {
    const Set chunk = NamedSet(table_, set);
    const std::size_t to = std::min(keys.size(), from + kElementsPerMessage);
    for (std::size_t i = from; i < to; ++i) {
      nftnl_set_elem* e = Checked(nftnl_set_elem_alloc());
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[i].data(),
                         static_cast<std::uint32_t>(keys[i].size()));
      nftnl_set_elem_add(chunk.get(), e);  // the set owns it from here
    }
    nlmsghdr* nlh =
        Header(NFT_MSG_NEWSETELEM, NLM_F_CREATE, kMessageBytes + (to - from) * kElementBytes);
    nftnl_set_elems_nlmsg_build_payload(nlh, chunk.get());
    Took(nlh);
  }
}

void NftBatch::AddRule(const std::string& chain, std::vector<NftExpr> exprs) {
  Rule r(Checked(nftnl_rule_alloc()));
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table_.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, family_);
  for (NftExpr& e : exprs) nftnl_rule_add_expr(r.get(), e.release());  // the rule owns it
  nlmsghdr* nlh = Header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                         kMessageBytes + exprs.size() * kExprBytes);
  nftnl_rule_nlmsg_build_payload(nlh, r.get());
  Took(nlh);
}

std::string_view NftBatch::Finish() {
  Room(kMessageBytes);
  used_ += NLMSG_ALIGN(nftnl_batch_end(bytes_.data() + used_, ++seq_)->nlmsg_len);
  return {bytes_.data(), used_};
}

}  // namespace schism::nemesis
