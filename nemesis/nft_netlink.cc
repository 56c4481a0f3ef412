#include "nemesis/nft_netlink.h"

// Before the kernel's headers, whose linux/in.h would clash with netinet/in.h.
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/if_ether.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "nemesis/netns_guard.h"
#include "nemesis/nft_context.h"

namespace schism::nemesis {
namespace {

// An interface name field of a concatenated key: IFNAMSIZ bytes, NUL padded.
constexpr std::size_t kIfnameField = 16;
// Room for one read of a dump: the kernel fills what fits.
constexpr std::size_t kReceiveBuffer = 64 * 1024;
// How long the kernel may take to answer before the read is given up.
constexpr int kAnswerTimeoutS = 5;

struct SetDeleter {
  void operator()(nftnl_set* s) const { nftnl_set_free(s); }
};
struct ObjDeleter {
  void operator()(nftnl_obj* o) const { nftnl_obj_free(o); }
};

int ParseElements(const nlmsghdr* nlh, void* data) {
  return nftnl_set_elems_nlmsg_parse(nlh, static_cast<nftnl_set*>(data)) < 0 ? MNL_CB_ERROR
                                                                              : MNL_CB_OK;
}

int ParseObject(const nlmsghdr* nlh, void* data) {
  return nftnl_obj_nlmsg_parse(nlh, static_cast<nftnl_obj*>(data)) < 0 ? MNL_CB_ERROR : MNL_CB_OK;
}

int AddCounter(nftnl_expr* expr, void* data) {
  const char* name = nftnl_expr_get_str(expr, NFTNL_EXPR_NAME);
  if (name && std::strcmp(name, "counter") == 0) {
    *static_cast<std::uint64_t*>(data) += nftnl_expr_get_u64(expr, NFTNL_EXPR_CTR_PACKETS);
  }
  return 0;
}

std::string Field(const char* bytes) { return std::string(bytes, strnlen(bytes, kIfnameField)); }

// nft's datatypes of set keys (TYPE_IFNAME, TYPE_IPADDR), and of their
// concatenations: each type takes 6 bits, the first the highest.
constexpr std::uint32_t kIfnameType = 41;
constexpr std::uint32_t kIpv4Type = 7;
constexpr std::uint32_t kIfnamePair = kIfnameType << 6 | kIfnameType;
constexpr std::uint32_t kIpv4PairAndIfname = (kIpv4Type << 12) | (kIpv4Type << 6) | kIfnameType;
// Registers: two 16-byte ones for two interface names; 4-byte ones (the
// first two make up register 1) for addresses and numbers.
constexpr std::uint32_t kReg1 = NFT_REG_1;
constexpr std::uint32_t kReg2 = NFT_REG_2;
constexpr std::uint32_t kReg32First = NFT_REG32_00;
constexpr std::uint32_t kReg32Second = NFT_REG32_01;
constexpr std::uint32_t kReg32Third = NFT_REG32_02;

std::string PortPairKey(const std::string& in, const std::string& out) {
  if (in.size() >= kIfnameField || out.size() >= kIfnameField) {
    throw NftError("nft: \"" + in + "\" . \"" + out + "\" is not a pair of interface names");
  }
  std::string key(2 * kIfnameField, '\0');
  key.replace(0, in.size(), in);
  key.replace(kIfnameField, out.size(), out);
  return key;
}

// The expressions of one percent's rule (ShareRules in nft_netlink.h), as
// nft compiles the same rule written in its syntax.
std::vector<NftExpr> ShareRule(const ShareRules& rules, int percent, std::uint32_t set_id) {
  using namespace nft_expr;
  std::vector<NftExpr> e;
  if (rules.action == ShareRules::Action::kDuplicate) {
    e.push_back(MetaLoad(NFT_META_MARK, kReg32First));
    e.push_back(Compare(NFT_CMP_NEQ, kReg32First, &rules.mark, sizeof rules.mark));
  }
  if (rules.key == ShareRules::Key::kBridgePorts) {
    e.push_back(MetaLoad(NFT_META_IIFNAME, kReg1));
    e.push_back(MetaLoad(NFT_META_OIFNAME, kReg2));
  } else {
    const std::uint16_t ipv4 = htons(ETH_P_IP);
    e.push_back(MetaLoad(NFT_META_PROTOCOL, kReg32First));
    e.push_back(Compare(NFT_CMP_EQ, kReg32First, &ipv4, sizeof ipv4));
    e.push_back(PayloadLoad(NFT_PAYLOAD_NETWORK_HEADER, 12, 4, kReg32First));   // saddr
    e.push_back(PayloadLoad(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, kReg32Second));  // daddr
    e.push_back(MetaLoad(NFT_META_OIFNAME, kReg32Third));
  }
  e.push_back(Lookup(rules.SetName(percent), set_id, kReg1));
  e.push_back(CounterRef(rules.SeenCounter(percent)));
  if (percent == 0) return e;
  if (percent < 100) {
    const std::uint32_t below = htonl(static_cast<std::uint32_t>(percent));
    e.push_back(RandomMod(100, kReg32First));
    e.push_back(HostToNet32(kReg32First));
    e.push_back(Compare(NFT_CMP_LT, kReg32First, &below, sizeof below));
  }
  e.push_back(CounterRef(rules.HitCounter(percent)));
  if (rules.action == ShareRules::Action::kDrop) {
    e.push_back(Verdict(NF_DROP));
  } else {
    e.push_back(Immediate32(rules.mark, kReg32First));
    e.push_back(MetaSet(NFT_META_MARK, kReg32First));
    e.push_back(MetaLoad(NFT_META_OIF, kReg32First));
    e.push_back(DupToDevice(kReg32First));
  }
  return e;
}

// What the kernel keeps of a socket's send buffer for itself.
constexpr std::size_t kSendSlack = 4096;

}  // namespace

std::string ShareRules::SetName(int percent) const {
  return prefix + "_" + std::to_string(percent);
}

std::string ShareRules::SeenCounter(int percent) const { return SetName(percent) + "_seen"; }

std::string ShareRules::HitCounter(int percent) const { return SetName(percent) + "_" + hit; }

std::string ShareRules::MakeKey(const std::string& from, const std::string& to,
                                const std::string& to_port) const {
  if (key == Key::kBridgePorts) return PortPairKey(from, to);
  if (to_port.size() >= kIfnameField) {
    throw NftError("nft: \"" + to_port + "\" is not an interface name");
  }
  std::string bytes(8 + kIfnameField, '\0');
  for (const auto& [address, at] : {std::pair{&from, 0}, std::pair{&to, 4}}) {
    if (::inet_pton(AF_INET, address->c_str(), bytes.data() + at) != 1) {
      throw NftError("nft: \"" + *address + "\" is not an IPv4 address");
    }
  }
  bytes.replace(8, to_port.size(), to_port);
  return bytes;
}

NftNetlink::NftNetlink(int netns_fd, std::string table, std::uint8_t family)
    : table_(std::move(table)), family_(family), buffer_(kReceiveBuffer) {
  {
    ScopedNetns inside(netns_fd);  // the socket belongs to the namespace it is made in
    socket_ = mnl_socket_open(NETLINK_NETFILTER);
  }
  if (!socket_) {
    throw std::system_error(errno, std::generic_category(), "nft: cannot open a netlink socket");
  }
  if (mnl_socket_bind(socket_, 0, MNL_SOCKET_AUTOPID) < 0) {
    const int error = errno;
    mnl_socket_close(socket_);
    throw std::system_error(error, std::generic_category(), "nft: cannot bind a netlink socket");
  }
  const timeval timeout{kAnswerTimeoutS, 0};
  setsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  port_id_ = mnl_socket_get_portid(socket_);
  int buffer = 0;
  socklen_t len = sizeof buffer;
  getsockopt(mnl_socket_get_fd(socket_), SOL_SOCKET, SO_SNDBUF, &buffer, &len);
  send_buffer_ = static_cast<std::size_t>(buffer);
}

NftNetlink::~NftNetlink() { mnl_socket_close(socket_); }

int NftNetlink::Exchange(std::uint32_t seq, int (*parse)(const nlmsghdr*, void*),
                               void* data) {
  const auto* request = reinterpret_cast<const nlmsghdr*>(buffer_.data());
  if (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) return errno;
  // What the kernel still sends for a request that failed half-way must not
  // be taken for the answer to the next one.
  const auto failed = [this](int error) {
    Drain();
    return error;
  };
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (got < 0) return failed(errno);
    const int ret = mnl_cb_run(buffer_.data(), static_cast<std::size_t>(got), seq, port_id_,
                               parse, data);
    if (ret < 0) return failed(errno ? errno : EPROTO);
    if (ret == MNL_CB_STOP) return 0;
  }
}

void NftNetlink::ReplacePortPairs(const std::string& set, const std::vector<PortPair>& pairs) {
  std::vector<std::string> keys;
  keys.reserve(pairs.size());
  for (const PortPair& pair : pairs) keys.push_back(PortPairKey(pair.first, pair.second));
  NftBatch batch(table_, family_, seq_);
  batch.FlushSet(set);
  batch.AddElements(set, keys);
  Commit(batch, "replace the elements of set " + TableName() + " " + set);
}

void NftNetlink::ReplaceShares(const ShareRules& rules, const LossMap& in_force,
                               const LossMap& wanted,
                               const std::function<std::string(const DirectedPair&)>& key_of) {
  std::map<int, std::vector<std::string>> groups;  // percent -> its pairs' keys
  for (const auto& [pair, percent] : wanted) groups[percent].push_back(key_of(pair));
  NftBatch batch(table_, family_, seq_);
  // The rules go first, so that no set or counter is in use when it is
  // deleted; one made again under the same name in the same batch is a new
  // one, counting from 0.
  batch.FlushChain(rules.chain);
  for (const auto& [percent, pairs] : ByPercent(in_force)) {
    batch.DeleteSet(rules.SetName(percent));
    batch.DeleteCounter(rules.SeenCounter(percent));
    if (percent > 0) batch.DeleteCounter(rules.HitCounter(percent));
  }
  for (const auto& [percent, keys] : groups) {
    batch.AddCounter(rules.SeenCounter(percent));
    if (percent > 0) batch.AddCounter(rules.HitCounter(percent));
    const bool ports = rules.key == ShareRules::Key::kBridgePorts;
    const std::uint32_t id =
        batch.AddSet(rules.SetName(percent), ports ? kIfnamePair : kIpv4PairAndIfname,
                     ports ? 2 * kIfnameField : 8 + kIfnameField, keys.size());
    batch.AddElements(rules.SetName(percent), keys);
    batch.AddRule(rules.chain, ShareRule(rules, percent, id));
  }
  Commit(batch, "replace the " + rules.prefix + " rules of " + TableName());
}

ShareCounts NftNetlink::ReadShares(const ShareRules& rules, const LossMap& in_force) {
  ShareCounts counts;
  for (const auto& [percent, pairs] : ByPercent(in_force)) {
    ShareCount& count = counts.emplace_back();
    count.percent = percent;
    count.pairs = pairs.size();
    count.seen = CounterPackets(rules.SeenCounter(percent));
    if (percent > 0) count.hit = CounterPackets(rules.HitCounter(percent));
  }
  return counts;
}

void NftNetlink::Commit(NftBatch& batch, const std::string& what) {
  const std::string_view bytes = batch.Finish();
  seq_ = batch.LastSeq();
  RoomToSend(bytes.size());
  if (mnl_socket_sendto(socket_, bytes.data(), bytes.size()) < 0) {
    throw NftError("nft: cannot " + what + ": " + std::strerror(errno));
  }
  // One ack per message between begin and end; the first error aborts the
  // whole batch, and the kernel reports it on its message.
  std::size_t pending = batch.Acks();
  int error = 0;
  while (pending > 0) {
    const ssize_t got = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (got < 0) {
      error = errno;
      break;
    }
    int left = static_cast<int>(got);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buffer_.data());
         mnl_nlmsg_ok(nlh, left) && pending > 0; nlh = mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* ack = static_cast<const nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
      --pending;
      if (ack->error != 0 && error == 0) error = -ack->error;
    }
  }
  if (error != 0) {
    Drain();
    throw NftError("nft: cannot " + what + ": " + std::strerror(error));
  }
}

std::string NftNetlink::TableName() const {
  return std::string(family_ == kNftNetdev ? "netdev " : "bridge ") + table_;
}

void NftNetlink::RoomToSend(std::size_t bytes) {
  // The kernel takes a batch in one message, which must fit the socket's
  // send buffer (212,992 bytes by default: 5,100 elements do not). As nft
  // does, force a larger one (CAP_NET_ADMIN, which the harness has in the
  // hub); without it, the plain option within the system's maximum.
  if (bytes + kSendSlack <= send_buffer_) return;
  const int want = static_cast<int>(2 * bytes + kSendSlack);
  const int fd = mnl_socket_get_fd(socket_);
  if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &want, sizeof want) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &want, sizeof want);
  }
  int got = 0;
  socklen_t len = sizeof got;
  getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &got, &len);
  send_buffer_ = static_cast<std::size_t>(got);
}

void NftNetlink::Drain() {
  while (::recv(mnl_socket_get_fd(socket_), buffer_.data(), buffer_.size(), MSG_DONTWAIT) > 0) {
  }
}

std::vector<CountedPortPair> NftNetlink::PortPairs(const std::string& set) {
  const std::unique_ptr<nftnl_set, SetDeleter> s(nftnl_set_alloc());
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table_.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, set.c_str());
  const std::uint32_t seq = ++seq_;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer_.data(), NFT_MSG_GETSETELEM, family_,
                                        NLM_F_DUMP | NLM_F_ACK, seq);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  if (const int error = Exchange(seq, ParseElements, s.get())) {
    throw NftError("nft: cannot read set " + TableName() + " " + set + ": " + std::strerror(error));
  }
  std::vector<CountedPortPair> out;
  nftnl_set_elems_iter* it = nftnl_set_elems_iter_create(s.get());
  if (!it) throw NftError("nft: out of memory reading set " + set);
  for (nftnl_set_elem* e = nftnl_set_elems_iter_next(it); e; e = nftnl_set_elems_iter_next(it)) {
    std::uint32_t size = 0;
    const auto* key = static_cast<const char*>(nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &size));
    if (!key || size != 2 * kIfnameField) {
      nftnl_set_elems_iter_destroy(it);
      throw NftError("nft: set " + set + " holds a key of " + std::to_string(size) +
                     " bytes, not two interface names");
    }
    CountedPortPair pair{Field(key), Field(key + kIfnameField), 0};
    nftnl_set_elem_expr_foreach(e, AddCounter, &pair.packets);
    out.push_back(std::move(pair));
  }
  nftnl_set_elems_iter_destroy(it);
  return out;
}

std::uint64_t NftNetlink::CounterPackets(const std::string& name) {
  const std::unique_ptr<nftnl_obj, ObjDeleter> obj(nftnl_obj_alloc());
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_TABLE, table_.c_str());
  nftnl_obj_set_str(obj.get(), NFTNL_OBJ_NAME, name.c_str());
  nftnl_obj_set_u32(obj.get(), NFTNL_OBJ_TYPE, NFT_OBJECT_COUNTER);
  const std::uint32_t seq = ++seq_;
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer_.data(), NFT_MSG_GETOBJ, family_, NLM_F_ACK, seq);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  if (const int error = Exchange(seq, ParseObject, obj.get())) {
    throw NftError("nft: cannot read counter " + TableName() + " " + name + ": " +
                   std::strerror(error));
  }
  return nftnl_obj_get_u64(obj.get(), NFTNL_OBJ_CTR_PKTS);
}

}  // namespace schism::nemesis
