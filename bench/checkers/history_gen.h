#pragma once
// Writes a synthetic, realistic-looking history.jsonl for benchmarks.

#include <cstdint>
#include <string>

namespace schism::bench {

// Writes about `events` events to `path` (truncating it): a 5-node cluster
// that elects a new leader every term (candidate, three votes, the claim,
// four followers), whose leader renews a fenced lease ten times per term, and
// a nemesis that isolates a follower every 20 terms and kills and restarts one
// every 37 terms. Every checker should find the history valid. Returns the
// number of events written; throws std::runtime_error when the file cannot be
// written.
std::uint64_t WriteSyntheticHistory(const std::string& path, std::uint64_t events);

}  // namespace schism::bench
