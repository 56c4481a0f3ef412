#include "harness/sockets.h"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <system_error>

namespace schism::harness {
namespace {

constexpr std::string_view kTcpListen = "0A";

std::uint32_t HexWord(std::string_view hex, std::size_t line) {
  std::uint32_t value = 0;
  for (char c : hex) {
    int digit = -1;
    if (c >= '0' && c <= '9') digit = c - '0';
    if (c >= 'A' && c <= 'F') digit = c - 'A' + 10;
    if (c >= 'a' && c <= 'f') digit = c - 'a' + 10;
    if (digit < 0) {
      throw std::invalid_argument("socket table line " + std::to_string(line) + ": \"" +
                                  std::string(hex) + "\" is not hex");
    }
    value = value << 4 | static_cast<std::uint32_t>(digit);
  }
  return value;
}

// The kernel prints each 32-bit word of the address as the hex of its value
// in host order: copying the values back in order restores the bytes.
std::string Address(std::string_view hex, std::size_t line) {
  char text[INET6_ADDRSTRLEN] = {};
  if (hex.size() == 8) {
    in_addr a{};
    a.s_addr = HexWord(hex, line);
    inet_ntop(AF_INET, &a, text, sizeof text);
  } else if (hex.size() == 32) {
    in6_addr a{};
    for (std::size_t w = 0; w < 4; ++w) {
      const std::uint32_t word = HexWord(hex.substr(w * 8, 8), line);
      std::memcpy(reinterpret_cast<unsigned char*>(&a) + w * 4, &word, 4);
    }
    inet_ntop(AF_INET6, &a, text, sizeof text);
  } else {
    throw std::invalid_argument("socket table line " + std::to_string(line) + ": address \"" +
                                std::string(hex) + "\" is neither IPv4 nor IPv6");
  }
  return text;
}

}  // namespace

std::string BoundSocket::ToString() const {
  const bool v6 = address.find(':') != std::string::npos;
  return proto + " " + (v6 ? "[" + address + "]" : address) + ":" + std::to_string(port);
}

std::vector<BoundSocket> ParseSocketTable(std::string_view text, std::string_view proto) {
  std::vector<BoundSocket> sockets;
  std::istringstream in{std::string(text)};
  std::string line;
  std::getline(in, line);  // the header
  for (std::size_t number = 2; std::getline(in, line); ++number) {
    std::istringstream fields(line);
    std::string slot, local, remote, state;
    if (!(fields >> slot)) continue;  // a blank line
    if (!(fields >> local >> remote >> state) || local.find(':') == std::string::npos) {
      throw std::invalid_argument("socket table line " + std::to_string(number) +
                                  ": not \"sl local_address rem_address st ...\"");
    }
    const std::size_t colon = local.find(':');
    const std::uint32_t port = HexWord(std::string_view(local).substr(colon + 1), number);
    const bool tcp = proto.substr(0, 3) == "tcp";
    if (port == 0 || port > 0xffff || (tcp && state != kTcpListen)) continue;
    sockets.push_back({std::string(proto), Address(std::string_view(local).substr(0, colon), number),
                       static_cast<std::uint16_t>(port)});
  }
  return sockets;
}

bool OnOwnAddress(const BoundSocket& socket, std::string_view own_address) {
  if (socket.address == own_address || socket.address == "::1") return true;
  if (socket.address.rfind("127.", 0) == 0) return true;
  // An IPv4 address as IPv6 sees it: ::ffff:10.241.0.1.
  constexpr std::string_view kMapped = "::ffff:";
  const std::string_view address = socket.address;
  return address.substr(0, kMapped.size()) == kMapped &&
         (address.substr(kMapped.size()) == own_address ||
          address.substr(kMapped.size(), 4) == "127.");
}

std::vector<BoundSocket> BoundSockets(pid_t pid) {
  const std::filesystem::path net = "/proc/" + std::to_string(pid) + "/net";
  if (!std::filesystem::exists("/proc/" + std::to_string(pid))) {
    throw std::system_error(ESRCH, std::generic_category(), "process " + std::to_string(pid));
  }
  std::vector<BoundSocket> all;
  for (const char* proto : {"tcp", "tcp6", "udp", "udp6"}) {
    std::ifstream in(net / proto);
    if (!in) continue;  // no such table (IPv6 off), or the process went
    std::stringstream text;
    text << in.rdbuf();
    for (BoundSocket& s : ParseSocketTable(text.str(), proto)) all.push_back(std::move(s));
  }
  return all;
}

}  // namespace schism::harness
