#include "nemesis/nft.h"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

#include "nemesis/netns_guard.h"

namespace schism::nemesis {
namespace {

constexpr std::string_view kSet = "drop_pairs";
constexpr std::size_t kMaxIfnameLength = 15;  // IFNAMSIZ - 1

void CheckIfname(const std::string& name) {
  bool ok = !name.empty() && name.size() <= kMaxIfnameLength;
  for (char c : name) {
    const bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                         (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    ok = ok && allowed;
  }
  if (!ok) throw std::invalid_argument("nft: bad bridge port name \"" + name + "\"");
}

void CheckPorts(const PortMap& ports) {
  for (const auto& [node, port] : ports) CheckIfname(port);
}

const std::string& PortOf(const PortMap& ports, const std::string& node) {
  auto it = ports.find(node);
  if (it == ports.end()) {
    throw std::invalid_argument("nft: node " + node + " has no bridge port");
  }
  return it->second;
}

// The set's elements, e.g. "vn1" . "vn3", "vn3" . "vn1"; empty when nothing drops.
std::string Elements(const Grudge& grudge, const PortMap& ports) {
  std::string out;
  for (const auto& [src, dst] : grudge.drops) {
    if (!out.empty()) out += ", ";
    out += '"' + PortOf(ports, src) + "\" . \"" + PortOf(ports, dst) + '"';
  }
  return out;
}

std::string SetRef(std::string_view table) {
  return "bridge " + std::string(table) + " " + std::string(kSet);
}

}  // namespace

std::string RenderRuleset(const Grudge& grudge, const PortMap& ports, std::string_view table) {
  CheckPorts(ports);
  const std::string elements = Elements(grudge, ports);
  std::string out = "table bridge " + std::string(table) + " {\n";
  out += "\tset " + std::string(kSet) + " {\n";
  out += "\t\ttype ifname . ifname\n";
  if (!elements.empty()) out += "\t\telements = { " + elements + " }\n";
  out += "\t}\n\n";
  out += "\tchain forward {\n";
  out += "\t\ttype filter hook forward priority 0; policy accept;\n";
  out += "\t\tiifname . oifname @" + std::string(kSet) + " counter drop\n";
  out += "\t}\n}\n";
  return out;
}

std::string RenderApplyCommands(const Grudge& grudge, const PortMap& ports,
                                std::string_view table) {
  CheckPorts(ports);
  const std::string elements = Elements(grudge, ports);
  std::string out = "flush set " + SetRef(table) + "\n";
  if (!elements.empty()) out += "add element " + SetRef(table) + " { " + elements + " }\n";
  return out;
}

std::string Fnv1aHex(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(hash));
  return buf;
}

NftPartitioner::NftPartitioner(int hub_netns_fd, PortMap ports, std::string table)
    : ports_(std::move(ports)), table_(std::move(table)) {
  CheckPorts(ports_);
  CheckIfname(table_);  // Table names follow the same safe alphabet.
  hub_fd_ = ::fcntl(hub_netns_fd, F_DUPFD_CLOEXEC, 0);
  if (hub_fd_ < 0) {
    throw std::system_error(errno, std::generic_category(), "dup of the hub namespace fd");
  }
  {
    // nft_ctx_new opens its netlink socket right away, so the context stays
    // bound to the namespace it was created in: create it inside the hub.
    ScopedNetns in_hub(hub_fd_);
    ctx_ = nft_ctx_new(NFT_CTX_DEFAULT);
  }
  if (ctx_ == nullptr) {
    ::close(hub_fd_);
    throw NftError("nft: cannot create a libnftables context");
  }
  nft_ctx_buffer_output(ctx_);
  nft_ctx_buffer_error(ctx_);
  const Grudge healed;
  const std::string ruleset = RenderRuleset(healed, ports_, table_);
  try {
    // "add" then "delete" makes a stale table from an earlier run disappear
    // without failing when there is none; all three steps are one transaction.
    Run("add table bridge " + table_ + "\ndelete table bridge " + table_ + "\n" + ruleset);
  } catch (...) {
    nft_ctx_free(ctx_);
    ::close(hub_fd_);
    throw;
  }
  ruleset_ = ruleset;
}

NftPartitioner::~NftPartitioner() {
  try {
    Run("delete table bridge " + table_);
  } catch (...) {
    // The hub may be gone or the table removed by hand: nothing left to undo.
  }
  nft_ctx_free(ctx_);
  ::close(hub_fd_);
}

void NftPartitioner::Apply(const Grudge& grudge) {
  std::string ruleset = RenderRuleset(grudge, ports_, table_);
  Run(RenderApplyCommands(grudge, ports_, table_));
  ruleset_ = std::move(ruleset);
}

void NftPartitioner::Heal() { Apply(Grudge{}); }

std::string NftPartitioner::Run(const std::string& commands) {
  ScopedNetns in_hub(hub_fd_);
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

}  // namespace schism::nemesis
