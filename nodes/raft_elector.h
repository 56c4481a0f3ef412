#pragma once
// Raft (nodes/raft.h) behind the Elector interface: its messages, hard state
// and reports translated to and from the generic forms, and its factory for
// the table of built-in electors (nodes/electors.h).
//
// Wire fields: "term" (unsigned) on every message, "granted" (bool) on vote and
// pre-vote responses. State file: {"term":7,"votedFor":"n2"}, "votedFor" null
// when there is no vote.

#include <memory>
#include <optional>
#include <string>

#include "nodes/elector.h"
#include "nodes/raft.h"

namespace schism::nodes {

class RaftElector final : public Elector {
 public:
  // See Raft::Raft().
  RaftElector(Config config, HardState restored);

  void Tick() override;
  bool Step(const Envelope& message) override;
  ElectorReady TakeReady() override;
  bool HasReady() const override;

  const Raft& raft() const { return raft_; }

 private:
  Raft raft_;
};

// Translations between Raft's types and the generic ones; the From* functions
// return nullopt (or false, with *why set to one line) for input that is not
// a well-formed Raft message or hard state.
Envelope ToEnvelope(const Message& message);
std::optional<Message> FromEnvelope(const Envelope& envelope);
ContractEvent ToContractEvent(const Report& report);
Json ToJson(const HardState& state);
bool FromJson(const Json& json, HardState* state, std::string* why);

// The table's hooks (nodes/electors.cc). CheckRaftSetup returns "" or a one-line
// usage error about option values that contradict each other. MakeRaftElector
// returns nullptr and sets *error (the reason, without the file name) when
// `restored` is not a hard state.
std::string CheckRaftSetup(const ElectorSetup& setup);
std::unique_ptr<Elector> MakeRaftElector(const ElectorSetup& setup,
                                         const std::optional<Json>& restored, std::string* error);

}  // namespace schism::nodes
