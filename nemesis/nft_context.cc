#include "nemesis/nft_context.h"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "nemesis/netns_guard.h"

namespace schism::nemesis {
namespace {

constexpr std::size_t kMaxIfnameLength = 15;  // IFNAMSIZ - 1

}  // namespace

void CheckIfname(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxIfnameLength;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    ok = ok && allowed;
  }
  if (!ok) throw std::invalid_argument("nft: bad bridge port name \"" + name + "\"");
}

NftContext::NftContext(int netns_fd) {
  netns_fd_ = ::fcntl(netns_fd, F_DUPFD_CLOEXEC, 0);
  if (netns_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "dup of the hub namespace fd");
  }
  try {
    ScopedNetns inside(netns_fd_);
    ctx_ = nft_ctx_new(NFT_CTX_DEFAULT);
  } catch (...) {
    ::close(netns_fd_);
    throw;
  }
  if (ctx_ == nullptr) {
    ::close(netns_fd_);
    throw NftError("nft: cannot create a libnftables context");
  }
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
}

NftContext::~NftContext() {
  nft_ctx_free(ctx_);
  ::close(netns_fd_);
}

std::string NftContext::Run(const std::string& commands) {
  ScopedNetns inside(netns_fd_);
  const int rc = nft_run_cmd_from_buffer(ctx_, commands.c_str());
  // Both buffers are read every time: reading rewinds them for the next call.
  std::string output = nft_ctx_get_output_buffer(ctx_);
  std::string error = nft_ctx_get_error_buffer(ctx_);
  if (rc != 0) {
    while (!error.empty() && error.back() == '\n') error.pop_back();
    if (error.empty()) error = "nft failed (rc " + std::to_string(rc) + ")";
    throw NftError("nft: " + error + "\nwhile running:\n" + commands);
  }
  return output;
}

std::string NftContext::RunWithFlags(const std::string& commands, unsigned int flags) {
  const unsigned int before = nft_ctx_output_get_flags(ctx_);
  nft_ctx_output_set_flags(ctx_, before | flags);
  std::string output;
  try {
    output = Run(commands);
  } catch (...) {
    nft_ctx_output_set_flags(ctx_, before);
    throw;
  }
  nft_ctx_output_set_flags(ctx_, before);
  return output;
}

nlohmann::json NftContext::RunJson(const std::string& commands) {
  const std::string output = RunWithFlags(commands, NFT_CTX_OUTPUT_JSON);
  try {
    return nlohmann::json::parse(output);
  } catch (const nlohmann::json::exception& e) {
    throw NftError(std::string("nft: cannot parse JSON output: ") + e.what());
  }
}

std::string NftContext::RunStateless(const std::string& commands) {
  return RunWithFlags(commands, NFT_CTX_OUTPUT_STATELESS);
}

}  // namespace schism::nemesis
