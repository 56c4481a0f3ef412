#include "harness/probe_frame.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "nemesis/netns_guard.h"

namespace schism::harness {
namespace {

// The Internet checksum (RFC 1071) of `size` bytes.
std::uint16_t InternetChecksum(const unsigned char* bytes, std::size_t size) {
  std::uint32_t sum = 0;
  for (std::size_t i = 0; i + 1 < size; i += 2) sum += (bytes[i] << 8) | bytes[i + 1];
  if (size % 2) sum += bytes[size - 1] << 8;
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return static_cast<std::uint16_t>(~sum);
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

void SendEchoRequest(int netns_fd, const std::string& to_address) {
  sockaddr_in to{};
  to.sin_family = AF_INET;
  if (::inet_pton(AF_INET, to_address.c_str(), &to.sin_addr) != 1) {
    throw std::invalid_argument("probe frame: \"" + to_address + "\" is not an IPv4 address");
  }
  // The socket belongs to the namespace it is made in, for its whole life.
  const Fd socket = [&] {
    nemesis::ScopedNetns inside(netns_fd);
    return Fd(::socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_ICMP));
  }();
  if (socket.get() < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "probe frame: cannot make a raw ICMP socket");
  }
  unsigned char packet[16] = {};
  packet[0] = ICMP_ECHO;
  std::memcpy(packet + 8, "schism!", 8);  // a payload a capture can tell apart
  const std::uint16_t sum = InternetChecksum(packet, sizeof packet);
  packet[2] = static_cast<unsigned char>(sum >> 8);
  packet[3] = static_cast<unsigned char>(sum & 0xff);
  if (::sendto(socket.get(), packet, sizeof packet, MSG_DONTWAIT,
               reinterpret_cast<const sockaddr*>(&to), sizeof to) < 0) {
    throw std::system_error(errno, std::generic_category(),
                            "probe frame: cannot send to " + to_address);
  }
}

}  // namespace schism::harness
