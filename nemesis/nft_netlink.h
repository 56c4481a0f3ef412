#pragma once
// One nftables table of the bridge family, spoken to straight over netlink
// (libnftnl builds and parses the messages, libmnl runs the socket), for what
// the nemesis does on every fault: replace the partition's set, and read
// counters back.
//
// Why not libnftables for these: version 1.0.6 fills its whole cache for any
// list command, every element of every set with its counter, rendered and
// parsed as text or JSON (under loss on every pair of 51 nodes, 5,100
// counted elements, 117 ms for one counter), and it parses every element of
// a new set from text. Binary messages skip both. A set is replaced in one
// netlink batch, which the kernel applies as one transaction, as it does
// `nft -f`. Everything else (tables, chains, rules, the loss sets) stays with
// libnftables (nft_context.h), whose syntax is what the docs show.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace schism::nemesis {

// One element of a set of type `ifname . ifname`, and its counter.
struct CountedPortPair {
  std::string in_port, out_port;
  std::uint64_t packets = 0;
};

class NftNetlink {
 public:
  // A directed pair of bridge ports, as an element of a set of type
  // ifname . ifname holds it.
  using PortPair = std::pair<std::string, std::string>;

  // Opens a netfilter netlink socket in the namespace of `netns_fd` (the
  // calling thread returns to its own at once) for the bridge-family table
  // `table`. Throws std::system_error when the namespace cannot be entered or
  // the socket cannot be made.
  NftNetlink(int netns_fd, std::string table);
  ~NftNetlink();

  NftNetlink(const NftNetlink&) = delete;
  NftNetlink& operator=(const NftNetlink&) = delete;

  // Makes the set `set` (type ifname . ifname) hold exactly `pairs`, in one
  // batch: flush, then add (elements with a counter start it at 0 when the
  // set has the counter flag). All or nothing: on NftError the set holds what
  // it held. Throws NftError naming the set with the kernel's reason.
  void ReplacePortPairs(const std::string& set, const std::vector<PortPair>& pairs);

  // Every element of the set `set` (type ifname . ifname, with `counter`),
  // with the packets its counter holds (0 for an element without one).
  // Throws NftError naming the set when the kernel refuses (no such set:
  // "nft: cannot read set bridge schism loss_30: No such file or directory")
  // or an element's key is not two interface names.
  std::vector<CountedPortPair> PortPairs(const std::string& set);

  // The packets of the named counter `name`. Throws NftError naming it when
  // the kernel refuses.
  std::uint64_t CounterPackets(const std::string& name);

 private:
  // Sends the request in `buffer_`; runs `parse` on each answer until the
  // kernel's done or ack. Returns errno when the kernel refused, 0 else.
  int Exchange(std::uint32_t seq, int (*parse)(const ::nlmsghdr*, void*), void* data);

  // Reads what is left of the answers to a failed request, so that the next
  // request reads only its own.
  void Drain();
  // Makes the socket's send buffer hold a batch of `bytes`.
  void RoomToSend(std::size_t bytes);

  std::string table_;
  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 0;
  std::size_t send_buffer_ = 0;  // SO_SNDBUF as the kernel reports it
  std::vector<char> buffer_;
};

}  // namespace schism::nemesis
