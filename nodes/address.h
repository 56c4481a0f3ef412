#pragma once
// Parsing of the addresses given on the schism-node command line.

#include <netinet/in.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace schism::nodes {

// An IPv4 UDP endpoint.
struct Endpoint {
  in_addr address{};       // Network byte order.
  std::uint16_t port = 0;  // Host byte order.

  // Returns the endpoint as a socket address for bind() and sendto().
  sockaddr_in ToSockaddr() const;
  // Returns "A.B.C.D:PORT".
  std::string ToString() const;
};

// A peer as given by --peers: an id and where it listens.
struct Peer {
  std::string id;
  Endpoint endpoint;
};

// Parses "A.B.C.D:PORT" (a dotted-quad IPv4 address, a port in 1..65535).
// Returns nullopt and sets *error to a one-line reason on failure.
std::optional<Endpoint> ParseEndpoint(std::string_view text, std::string* error);

// Parses "n2=10.1.0.3:7000,n3=10.1.0.4:7000". An empty text is an empty list.
// Returns nullopt and sets *error on a malformed entry or a repeated id.
std::optional<std::vector<Peer>> ParsePeers(std::string_view text, std::string* error);

}  // namespace schism::nodes
