// Reading a node's bound sockets from the kernel's socket tables
// (harness/sockets.h).
#include "harness/sockets.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace schism::harness {
namespace {

std::vector<std::string> Strings(const std::vector<BoundSocket>& sockets) {
  std::vector<std::string> out;
  for (const BoundSocket& s : sockets) out.push_back(s.ToString());
  return out;
}

// As this kernel (little-endian) prints them: 10.241.0.1 is 0100F10A.
TEST(SocketTable, ListeningTcpAndBoundUdpWithTheirAddresses) {
  const std::string tcp =
      "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
      "   0: 0100F10A:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1\n"
      "   1: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2 1\n"
      "   2: 0100F10A:A3F2 0200F10A:1B58 01 00000000:00000000 00:00000000 00000000     0        0 3 1\n";
  EXPECT_EQ(Strings(ParseSocketTable(tcp, "tcp")),
            (std::vector<std::string>{"tcp 10.241.0.1:7000", "tcp 0.0.0.0:22"}));
  const std::string udp =
      "   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops\n"
      "  101: 0100007F:1B58 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 4 2 0 0\n";
  EXPECT_EQ(Strings(ParseSocketTable(udp, "udp")), std::vector<std::string>{"udp 127.0.0.1:7000"});
}

TEST(SocketTable, Ipv6AddressesAndTheWildcard) {
  const std::string udp6 =
      "  sl  local_address                         remote_address                        st\n"
      "   0: 00000000000000000000000000000000:1B58 00000000000000000000000000000000:0000 07 0\n"
      "   1: 00000000000000000000000001000000:1B59 00000000000000000000000000000000:0000 07 0\n"
      "   2: 0000000000000000FFFF00000100F10A:1B5A 00000000000000000000000000000000:0000 07 0\n";
  EXPECT_EQ(Strings(ParseSocketTable(udp6, "udp6")),
            (std::vector<std::string>{"udp6 [::]:7000", "udp6 [::1]:7001",
                                      "udp6 [::ffff:10.241.0.1]:7002"}));
}

TEST(SocketTable, TextInAnotherFormatIsAnErrorNamingTheLine) {
  try {
    ParseSocketTable("header\n   0: nonsense\n", "tcp");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()), "socket table line 2: not \"sl local_address rem_address st ...\"");
  }
}

TEST(SocketTable, OwnAddressMeansTheNodesAddressOrLoopback) {
  const std::string own = "10.241.0.1";
  EXPECT_TRUE(OnOwnAddress({"udp", "10.241.0.1", 7000}, own));
  EXPECT_TRUE(OnOwnAddress({"tcp", "127.0.0.1", 2379}, own));
  EXPECT_TRUE(OnOwnAddress({"tcp6", "::1", 2379}, own));
  EXPECT_TRUE(OnOwnAddress({"udp6", "::ffff:10.241.0.1", 7000}, own));
  EXPECT_FALSE(OnOwnAddress({"udp", "0.0.0.0", 7000}, own));
  EXPECT_FALSE(OnOwnAddress({"tcp6", "::", 7000}, own));
  EXPECT_FALSE(OnOwnAddress({"udp", "10.241.0.2", 7000}, own));
}

// The real tables of this process's namespace hold a socket it binds.
TEST(SocketTable, BoundSocketsOfAProcessListWhatItBound) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  const std::string mine = "udp 127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
  const auto bound = Strings(BoundSockets(getpid()));
  close(fd);
  EXPECT_NE(std::find(bound.begin(), bound.end(), mine), bound.end()) << mine;
}

}  // namespace
}  // namespace schism::harness
