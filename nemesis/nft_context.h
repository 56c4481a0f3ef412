#pragma once
// A libnftables context bound to one network namespace (the hub's), shared
// by the mechanisms that keep an nft table there: NftPartitioner (nft.h) and
// PacketDuplicator (duplicate.h).
//
// nft_ctx_new opens its netlink socket at once, and a socket stays in the
// namespace it was made in: the context is created while the calling thread
// is inside the namespace, so every command it runs lands there. Each Run
// also enters the namespace on the calling thread for its duration and
// returns afterwards (libnftables may open further sockets, e.g. for a cache).

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

struct nft_ctx;

namespace schism::nemesis {

// Thrown when nftables rejects a command. what() holds nft's own error text
// followed by the commands that failed.
class NftError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws std::invalid_argument ("nft: bad bridge port name \"x y\"") unless
// `name` is a valid interface name made of safe characters: 1-15 of
// [A-Za-z0-9_.-]. Table and chain names are held to the same alphabet, so
// they can be written into nft commands unquoted.
void CheckIfname(const std::string& name);

class NftContext {
 public:
  // Creates a context bound to the namespace of `netns_fd`, which is
  // duplicated (the caller may close its own). Throws std::system_error when
  // the fd cannot be duplicated or the namespace entered, NftError when
  // libnftables cannot make a context.
  explicit NftContext(int netns_fd);

  // Frees the context and closes the duplicated fd.
  ~NftContext();

  NftContext(const NftContext&) = delete;
  NftContext& operator=(const NftContext&) = delete;

  // Runs `commands` (nft syntax, one transaction) and returns nft's output.
  // Throws NftError with nft's error text and the commands on failure.
  std::string Run(const std::string& commands);

  // As Run, with the output as JSON (for reading counters). Throws NftError
  // also when the output does not parse.
  nlohmann::json RunJson(const std::string& commands);

  // As Run, with counters and other state left out of the output (for a
  // listing that only changes when the rules do).
  std::string RunStateless(const std::string& commands);

 private:
  // Runs `commands` with `flags` (NFT_CTX_OUTPUT_*) added to the output flags.
  std::string RunWithFlags(const std::string& commands, unsigned int flags);

  int netns_fd_ = -1;
  nft_ctx* ctx_ = nullptr;
};

}  // namespace schism::nemesis
