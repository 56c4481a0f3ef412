#pragma once
// Counters of one nftables table, read straight from the kernel over netlink
// (libnftnl + libmnl), for the proofs that read them on every fault.
//
// Why not libnftables: version 1.0.6 fills its whole cache for any list
// command, every element of every set with its counter, rendered and parsed
// as text or JSON. Under loss on every pair of 51 nodes (5,100 counted
// elements) that is 80-120 ms for one counter, and a partition's proof read
// it twice. One netlink dump of one set, in binary, takes a few ms. Writes
// stay with libnftables (nft_context.h): its transactions are what make a
// partition atomic, and its syntax is what the docs show.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

struct mnl_socket;
struct nlmsghdr;

namespace schism::nemesis {

// One element of a set of type `ifname . ifname`, and its counter.
struct CountedPortPair {
  std::string in_port, out_port;
  std::uint64_t packets = 0;
};

class NftCounterReader {
 public:
  // Opens a netfilter netlink socket in the namespace of `netns_fd` (the
  // calling thread returns to its own at once) for the bridge-family table
  // `table`. Throws std::system_error when the namespace cannot be entered or
  // the socket cannot be made.
  NftCounterReader(int netns_fd, std::string table);
  ~NftCounterReader();

  NftCounterReader(const NftCounterReader&) = delete;
  NftCounterReader& operator=(const NftCounterReader&) = delete;

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

  std::string table_;
  mnl_socket* socket_ = nullptr;
  std::uint32_t port_id_ = 0;
  std::uint32_t seq_ = 0;
  std::vector<char> buffer_;
};

}  // namespace schism::nemesis
