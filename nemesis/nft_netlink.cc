#include "nemesis/nft_netlink.h"

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
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

// Elements per NEWSETELEM message: the kernel holds a message's elements in
// one nested attribute, whose length is 16 bits.
constexpr std::size_t kElementsPerMessage = 512;
// Bytes of one element in a message (key, its attribute headers, nesting),
// with room to spare, and of each message's own headers.
constexpr std::size_t kElementBytes = 96;
constexpr std::size_t kMessageBytes = 256;
// What the kernel keeps of a socket's send buffer for itself.
constexpr std::size_t kSendSlack = 4096;

// A set (by table and name) to put elements into.
std::unique_ptr<nftnl_set, SetDeleter> NamedSet(const std::string& table, const std::string& name) {
  std::unique_ptr<nftnl_set, SetDeleter> s(nftnl_set_alloc());
  if (!s) throw NftError("nft: out of memory");
  nftnl_set_set_str(s.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(s.get(), NFTNL_SET_NAME, name.c_str());
  return s;
}

// Ends the message just written at `nlh` in the batch buffer.
char* After(nlmsghdr* nlh) { return reinterpret_cast<char*>(nlh) + NLMSG_ALIGN(nlh->nlmsg_len); }

}  // namespace

NftNetlink::NftNetlink(int netns_fd, std::string table)
    : table_(std::move(table)), buffer_(kReceiveBuffer) {
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
  for (const PortPair& pair : pairs) {
    if (pair.first.size() >= kIfnameField || pair.second.size() >= kIfnameField) {
      throw NftError("nft: \"" + pair.first + "\" . \"" + pair.second +
                     "\" is not a pair of interface names");
    }
  }
  const std::size_t messages = 2 + 1 + (pairs.size() + kElementsPerMessage - 1) / kElementsPerMessage;
  std::vector<char> batch(messages * kMessageBytes + pairs.size() * kElementBytes);
  std::uint32_t seq = seq_;
  const std::uint32_t first = seq + 1;
  char* at = batch.data();
  at = After(nftnl_batch_begin(at, ++seq));
  // DELSETELEM without elements flushes the set.
  {
    const auto flush = NamedSet(table_, set);
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, NFT_MSG_DELSETELEM, NFPROTO_BRIDGE, NLM_F_ACK, ++seq);
    nftnl_set_elems_nlmsg_build_payload(nlh, flush.get());
    at = After(nlh);
  }
  for (std::size_t from = 0; from < pairs.size(); from += kElementsPerMessage) {
    const auto chunk = NamedSet(table_, set);
    const std::size_t to = std::min(pairs.size(), from + kElementsPerMessage);
    for (std::size_t i = from; i < to; ++i) {
      char key[2 * kIfnameField] = {};
      std::memcpy(key, pairs[i].first.data(), pairs[i].first.size());
      std::memcpy(key + kIfnameField, pairs[i].second.data(), pairs[i].second.size());
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      if (!e) throw NftError("nft: out of memory");
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, key, sizeof key);
      nftnl_set_elem_add(chunk.get(), e);  // the set owns it from here
    }
    nlmsghdr* nlh = nftnl_nlmsg_build_hdr(at, NFT_MSG_NEWSETELEM, NFPROTO_BRIDGE,
                                          NLM_F_CREATE | NLM_F_ACK, ++seq);
    nftnl_set_elems_nlmsg_build_payload(nlh, chunk.get());
    at = After(nlh);
  }
  at = After(nftnl_batch_end(at, ++seq));
  seq_ = seq;
  const std::size_t size = static_cast<std::size_t>(at - batch.data());
  RoomToSend(size);
  if (mnl_socket_sendto(socket_, batch.data(), size) < 0) {
    throw NftError("nft: cannot send the elements of set " + set + ": " + std::strerror(errno));
  }
  // One ack per message between begin and end; the first error aborts the
  // whole batch, and the kernel reports it on its message.
  std::size_t pending = seq - first - 1;
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
    throw NftError("nft: cannot replace the elements of set bridge " + table_ + " " + set + ": " +
                   std::strerror(error));
  }
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
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer_.data(), NFT_MSG_GETSETELEM, NFPROTO_BRIDGE,
                                        NLM_F_DUMP | NLM_F_ACK, seq);
  nftnl_set_elems_nlmsg_build_payload(nlh, s.get());
  if (const int error = Exchange(seq, ParseElements, s.get())) {
    throw NftError("nft: cannot read set bridge " + table_ + " " + set + ": " +
                   std::strerror(error));
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
  nlmsghdr* nlh = nftnl_nlmsg_build_hdr(buffer_.data(), NFT_MSG_GETOBJ, NFPROTO_BRIDGE,
                                        NLM_F_ACK, seq);
  nftnl_obj_nlmsg_build_payload(nlh, obj.get());
  if (const int error = Exchange(seq, ParseObject, obj.get())) {
    throw NftError("nft: cannot read counter bridge " + table_ + " " + name + ": " +
                   std::strerror(error));
  }
  return nftnl_obj_get_u64(obj.get(), NFTNL_OBJ_CTR_PKTS);
}

}  // namespace schism::nemesis
