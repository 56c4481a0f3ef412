#include "tests/nemesis/netns_fixture.h"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <regex>
#include <sstream>
#include <stdexcept>

#include "nemesis/netns_guard.h"
#include "nemesis/run_in_netns.h"
#include "tests/requirements.h"

namespace schism::nemesis::testing {

int CurrentNetnsFd() { return ::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC); }

int NewNetnsFd() {
  const int original = CurrentNetnsFd();
  if (original < 0 || ::unshare(CLONE_NEWNET) != 0) {
    ADD_FAILURE() << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    std::abort();
  }
  // Not CLOEXEC: `ip` children reach it as /proc/<pid>/fd/<fd>.
  const int fd = ::open("/proc/thread-self/ns/net", O_RDONLY);
  if (fd < 0 || ::setns(original, CLONE_NEWNET) != 0) std::abort();
  ::close(original);
  return fd;
}

std::string NftIn(int netns_fd, const std::string& commands, bool json) {
  ScopedNetns in(netns_fd);
  nft_ctx* ctx = nft_ctx_new(NFT_CTX_DEFAULT);
  nft_ctx_buffer_output(ctx);
  nft_ctx_buffer_error(ctx);
  if (json) nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
  const int rc = nft_run_cmd_from_buffer(ctx, commands.c_str());
  std::string output = nft_ctx_get_output_buffer(ctx);
  std::string error = nft_ctx_get_error_buffer(ctx);
  nft_ctx_free(ctx);
  if (rc != 0) throw std::runtime_error(error);
  return output;
}

std::string WithoutCounts(const std::string& listing) {
  static const std::regex kCounts("\t\tpackets [0-9]+ bytes [0-9]+\n");
  return std::regex_replace(listing, kCounts, "");
}

int ShellIn(int netns_fd, const std::string& command) {
  ScopedNetns in(netns_fd);  // A child inherits the forking thread's namespace.
  return std::system(command.c_str());
}

std::string IptablesSaveIn(int netns_fd) {
  const ToolResult saved = RunInNetns(netns_fd, {"iptables-nft-save"});
  if (saved.exit_code != 0) throw std::runtime_error("iptables-nft-save: " + saved.output);
  std::istringstream lines(saved.output);
  std::string out;
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with("#")) out += line + "\n";
  }
  return out;
}

void PrivateNetnsTest::SetUp() {
  SCHISM_REQUIRE_ROOT();  // network namespaces and nftables
  host_fd_ = CurrentNetnsFd();
  ASSERT_GE(host_fd_, 0);
  std::string nft_error;
  try {
    host_tables_ = NftIn(host_fd_, "list tables");  // Read-only.
  } catch (const std::exception& e) {
    nft_error = e.what();
  }
  SCHISM_REQUIRE(nft_error.empty(),
                 "a working nftables (nft list tables failed: "
                     << nft_error << "); scripts/setup installs nftables and libnftables-dev");
  host_iptables_ = IptablesSaveIn(host_fd_);  // Read-only too.
  ASSERT_EQ(::unshare(CLONE_NEWNET), 0) << std::strerror(errno);
  private_fd_ = ::open("/proc/thread-self/ns/net", O_RDONLY);
  ASSERT_GE(private_fd_, 0);
}

void PrivateNetnsTest::TearDown() {
  if (host_fd_ < 0) return;
  if (::setns(host_fd_, CLONE_NEWNET) != 0) std::abort();
  EXPECT_EQ(NftIn(host_fd_, "list tables"), host_tables_) << "the host's nft tables changed";
  EXPECT_EQ(IptablesSaveIn(host_fd_), host_iptables_) << "the host's iptables rules changed";
  ::close(host_fd_);
  if (private_fd_ >= 0) ::close(private_fd_);
}

}  // namespace schism::nemesis::testing
