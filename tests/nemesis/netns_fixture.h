#pragma once
// Test support for nemesis/ tests that need network namespaces (label `root`).
//
// PrivateNetnsTest moves the test's thread into a fresh, empty network
// namespace before the test body runs and back afterwards, so nothing a test
// does can reach the host's network. It also lists the host's nft tables and
// its iptables-nft-save output (read-only) before and after, and fails if
// they changed.

#include <gtest/gtest.h>

#include <string>

namespace schism::nemesis::testing {

// Returns an fd of a new, empty network namespace without moving the calling
// thread into it. Aborts the test (fatal failure) when the kernel refuses.
int NewNetnsFd();

// Runs nft `commands` inside the namespace of `netns_fd` with a fresh
// libnftables context; returns the output (JSON when `json`). Throws
// std::runtime_error with nft's error text on failure.
std::string NftIn(int netns_fd, const std::string& commands, bool json = false);

// A listing without the values of its named counters (their "packets N bytes
// M" lines), as the nemesis renders what it meant.
std::string WithoutCounts(const std::string& listing);

// Runs a shell command (an `ip ...` line) inside the namespace of `netns_fd`;
// returns its exit status.
int ShellIn(int netns_fd, const std::string& command);

// Opens /proc/thread-self/ns/net.
int CurrentNetnsFd();

// Returns what `iptables-nft-save` prints inside the namespace of `netns_fd`,
// without its comment lines (they hold the time). Throws std::runtime_error
// when it cannot be run.
std::string IptablesSaveIn(int netns_fd);

class PrivateNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override;
  void TearDown() override;

  // The namespace the thread runs in during the test (the private one).
  int private_fd() const { return private_fd_; }

 private:
  int host_fd_ = -1;
  int private_fd_ = -1;
  std::string host_tables_;
  std::string host_iptables_;
};

}  // namespace schism::nemesis::testing
