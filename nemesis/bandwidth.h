#pragma once
// A bandwidth limit per node: a token bucket (tbf) on both ends of the node's
// veth.
//
//   node namespace nI               hub namespace
//   eth0  root tbf  ----veth----    vnI  root tbf   (bridge port)
//   (egress: what nI sends)         (egress: what the bridge delivers to nI)
//
// So the limit applies to each direction separately: what the node sends and
// what it receives are each at most `kbit_per_s`. The qdiscs are set with the
// `tc` tool, run by nemesis/run_in_netns.h (fork after entering the namespace
// on the calling thread) rather than through a runner passed in: nemesis/
// cannot depend on harness/, and fork/exec of a short-lived tool is all that
// is needed.
//
// tbf's parameters besides the rate are fixed: burst = max(4096 bytes, 10 ms
// at the rate) (at least two full frames, so a frame is never larger than the
// bucket) and latency = kTbfLatencyMs (how long a packet may wait in the
// bucket's queue before tbf drops it; the queue is rate * latency + burst
// bytes). Rates count whole Ethernet frames, so TCP goodput is about 95 % of
// the rate (1448 payload bytes per 1514-byte frame).

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace schism::nemesis {

struct BandwidthNode {
  std::string name;          // "n2"
  int netns_fd = -1;         // the node's namespace
  std::string hub_port;      // its veth end on the hub's bridge, "vn2"
  std::string dev = "eth0";  // its veth end inside its namespace
};

inline constexpr int kTbfLatencyMs = 50;
// Limits outside this range are refused (tbf's own range is wider).
inline constexpr std::uint64_t kMinKbit = 8;
inline constexpr std::uint64_t kMaxKbit = 100'000'000;  // 100 Gbit/s

// Returns the tc command that sets a tbf of `kbit_per_s` as `dev`'s root
// qdisc (`tc qdisc replace dev DEV root tbf rate Rkbit burst B latency Lms`).
// Pure. Throws std::invalid_argument for a rate outside kMinKbit..kMaxKbit.
std::vector<std::string> TbfCommand(const std::string& dev, std::uint64_t kbit_per_s);

// The bucket size TbfCommand gives a rate: max(4096 bytes, 10 ms at the rate).
std::uint64_t TbfBurstBytes(std::uint64_t kbit_per_s);

// Returns the bytes the root tbf sent, from `tc -s -j qdisc show` output for
// one device; nullopt when the output holds no root tbf. Pure.
std::optional<std::uint64_t> TbfSentBytes(const std::string& tc_json);

class BandwidthLimiter {
 public:
  // Limits nothing yet. The fds are duplicated, so the caller may close its
  // own. Throws std::invalid_argument for an empty or repeated node name or a
  // missing fd, std::system_error when an fd cannot be duplicated.
  BandwidthLimiter(int hub_netns_fd, std::vector<BandwidthNode> nodes);

  // Removes every limit it set; errors go to stderr.
  ~BandwidthLimiter();

  BandwidthLimiter(const BandwidthLimiter&) = delete;
  BandwidthLimiter& operator=(const BandwidthLimiter&) = delete;

  // Limits what `node` receives and what it sends to `kbit_per_s` each
  // (1 kbit = 1000 bits), replacing its previous limit. Throws
  // std::invalid_argument for an unknown node or a rate outside
  // kMinKbit..kMaxKbit ("bandwidth n2: rate 0 kbit/s is outside 8..100000000"),
  // and std::runtime_error quoting tc when tc fails; the node then has no
  // limit at all.
  void Set(const std::string& node, std::uint64_t kbit_per_s);

  // Removes `node`'s limit (nothing happens when it has none). Throws
  // std::invalid_argument for an unknown node, std::runtime_error quoting tc.
  void Clear(const std::string& node);

  // Removes every limit, trying every node before it throws the first error.
  void ClearAll();

  // Returns the bytes both of `node`'s buckets have sent since its limit was
  // set (read with `tc -s -j qdisc show`). Throws std::invalid_argument for an
  // unknown node or one without a limit, std::runtime_error quoting tc when
  // tc fails or a bucket is missing.
  std::uint64_t SentBytes(const std::string& node);

  // Returns node -> kbit/s of the limits in force.
  const std::map<std::string, std::uint64_t>& Limits() const { return limits_; }

 private:
  const BandwidthNode& Find(const std::string& node) const;
  // Runs tc in `netns_fd`; throws std::runtime_error with its output on failure.
  void Tc(int netns_fd, const std::string& where, const std::vector<std::string>& argv);
  // Deletes both root qdiscs of `node`; keeps going past a failure, rethrows the first.
  void Remove(const BandwidthNode& node);

  int hub_fd_ = -1;
  std::vector<BandwidthNode> nodes_;  // with our own duplicated fds
  std::map<std::string, std::uint64_t> limits_;
};

}  // namespace schism::nemesis
