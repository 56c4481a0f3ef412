#include "nodes/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <set>

namespace schism::nodes {

sockaddr_in Endpoint::ToSockaddr() const {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr = address;
  addr.sin_port = htons(port);
  return addr;
}

std::string Endpoint::ToString() const {
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &address, text, sizeof(text));
  return std::string(text) + ":" + std::to_string(port);
}

std::optional<Endpoint> ParseEndpoint(std::string_view text, std::string* error) {
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) {
    *error = "'" + std::string(text) + "' is not ADDRESS:PORT";
    return std::nullopt;
  }
  const std::string host(text.substr(0, colon));
  const std::string_view port_text = text.substr(colon + 1);
  Endpoint endpoint;
  if (inet_pton(AF_INET, host.c_str(), &endpoint.address) != 1) {
    *error = "'" + host + "' is not an IPv4 address";
    return std::nullopt;
  }
  unsigned port = 0;
  const auto [end, ec] = std::from_chars(port_text.begin(), port_text.end(), port);
  if (ec != std::errc() || end != port_text.end() || port == 0 || port > 65535) {
    *error = "'" + std::string(port_text) + "' is not a port (1..65535)";
    return std::nullopt;
  }
  endpoint.port = static_cast<std::uint16_t>(port);
  return endpoint;
}

std::optional<std::vector<Peer>> ParsePeers(std::string_view text, std::string* error) {
  std::vector<Peer> peers;
  std::set<std::string> seen;
  if (text.empty()) return peers;
  for (bool more = true; more;) {
    const auto comma = text.find(',');
    const std::string_view entry = text.substr(0, comma);
    more = comma != std::string_view::npos;
    if (more) text.remove_prefix(comma + 1);
    const auto equals = entry.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      *error = "peer '" + std::string(entry) + "' is not ID=ADDRESS:PORT";
      return std::nullopt;
    }
    Peer peer{std::string(entry.substr(0, equals)), {}};
    auto endpoint = ParseEndpoint(entry.substr(equals + 1), error);
    if (!endpoint) {
      *error = "peer " + peer.id + ": " + *error;
      return std::nullopt;
    }
    if (!seen.insert(peer.id).second) {
      *error = "peer " + peer.id + " is listed twice";
      return std::nullopt;
    }
    peer.endpoint = *endpoint;
    peers.push_back(std::move(peer));
  }
  return peers;
}

}  // namespace schism::nodes
