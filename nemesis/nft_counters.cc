#include "nemesis/nft_counters.h"

#include <libmnl/libmnl.h>
#include <libnftnl/expr.h>
#include <libnftnl/object.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <sys/socket.h>
#include <sys/time.h>

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

}  // namespace

NftCounterReader::NftCounterReader(int netns_fd, std::string table)
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
}

NftCounterReader::~NftCounterReader() { mnl_socket_close(socket_); }

int NftCounterReader::Exchange(std::uint32_t seq, int (*parse)(const nlmsghdr*, void*),
                               void* data) {
  const auto* request = reinterpret_cast<const nlmsghdr*>(buffer_.data());
  if (mnl_socket_sendto(socket_, request, request->nlmsg_len) < 0) return errno;
  for (;;) {
    const ssize_t got = mnl_socket_recvfrom(socket_, buffer_.data(), buffer_.size());
    if (got < 0) return errno;
    const int ret = mnl_cb_run(buffer_.data(), static_cast<std::size_t>(got), seq, port_id_,
                               parse, data);
    if (ret < 0) return errno ? errno : EPROTO;
    if (ret == MNL_CB_STOP) return 0;
  }
}

std::vector<CountedPortPair> NftCounterReader::PortPairs(const std::string& set) {
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

std::uint64_t NftCounterReader::CounterPackets(const std::string& name) {
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
