#pragma once
// Wire and report formats of every built-in elector.
//
// A message travels as one UDP datagram holding one compact JSON object: the
// envelope's "type", "from" and "to", then the elector's own fields, e.g.
//   {"type":"request-vote","from":"n1","to":"n2","term":5}
//   {"type":"coordinator","from":"n3","to":"n1"}
// An event leaves the node as one line of the elector contract v1 (DESIGN.md §2):
//   {"event":"role","role":"follower","term":7,"leader":"n3"}
//   {"event":"vote","term":8,"for":"n2"}
//   {"event":"lease","term":8,"token":42,"lease_ms":2000}

#include <optional>
#include <string>
#include <string_view>

#include "nodes/elector.h"

namespace schism::nodes {

// Renders `envelope` as the JSON text of one datagram. Its fields must not use
// the keys "type", "from" or "to" (asserted).
std::string EncodeEnvelope(const Envelope& envelope);

// Parses one datagram. Returns nullopt for anything that is not a JSON object
// with string "type", "from" and "to"; every other key becomes a field, for
// the elector to judge. Never throws.
std::optional<Envelope> DecodeEnvelope(std::string_view datagram);

// Renders `event` as one contract v1 line without the trailing newline. "term"
// is left out when absent; a role line carries "leader" only for followers
// that know their leader.
std::string FormatEvent(const ContractEvent& event);

}  // namespace schism::nodes
