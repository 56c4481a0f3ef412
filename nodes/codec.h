#pragma once
// Wire and report formats of the built-in Raft elector.
//
// A message travels as one UDP datagram holding one compact JSON object:
//   {"type":"request-vote","from":"n1","to":"n2","term":5}
//   {"type":"request-vote-response","from":"n2","to":"n1","term":5,"granted":true}
// A report leaves the node as one line of the elector contract v1 (DESIGN.md §2):
//   {"event":"role","role":"follower","term":7,"leader":"n3"}
//   {"event":"vote","term":8,"for":"n2"}

#include <optional>
#include <string>
#include <string_view>

#include "nodes/raft.h"

namespace schism::nodes {

// Renders `message` as the JSON text of one datagram.
std::string EncodeMessage(const Message& message);

// Parses one datagram. Returns nullopt for anything that is not a well-formed
// message (not JSON, unknown type, a field missing or of the wrong type, a term
// that is not an unsigned integer); never throws.
std::optional<Message> DecodeMessage(std::string_view datagram);

// Renders `report` as one contract v1 line without the trailing newline. A role
// line carries "leader" only for followers that know their leader.
std::string FormatReport(const Report& report);

}  // namespace schism::nodes
