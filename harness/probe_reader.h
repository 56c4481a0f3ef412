#pragma once
// What a probe prints, turned into what a node would have said: a role.
//
// A probe is a read-only command run inside a node's namespace (see
// harness/prober.h). Its stdout is read whole once it exits, by the reader of
// its kind: the documented JSON mapping of `--probe`, or a profile's reader of
// a real server's own status output (harness/profiles.h). Readers do no I/O.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "histories/event.h"

namespace schism::harness {

// One node's role as a probe saw it.
struct Observation {
  histories::Role role = histories::Role::kFollower;
  std::optional<std::uint64_t> term;
  std::string leader;  // the node it believes leads, by name; "" when unknown
};

class ProbeReader {
 public:
  virtual ~ProbeReader() = default;
  // The observation of node `k` (0 for n1) in `out`, a probe's whole stdout.
  // Throws std::invalid_argument with one line saying what is missing or wrong.
  virtual Observation Read(std::size_t k, std::string_view out) = 0;
};

// The mapping of `--probe`: stdout holds one JSON object (blank lines and
// surrounding whitespace aside) with "role" ("leader", "follower" or
// "candidate"), optionally "term" (an unsigned 64-bit integer) and "leader"
// (a node name of the cluster, or null when unknown). Other fields are
// ignored. A leader's own name stands for itself when "leader" is absent.
class JsonProbeReader final : public ProbeReader {
 public:
  explicit JsonProbeReader(std::vector<std::string> names) : names_(std::move(names)) {}
  Observation Read(std::size_t k, std::string_view out) override;

 private:
  std::vector<std::string> names_;
};

}  // namespace schism::harness
