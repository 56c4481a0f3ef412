#pragma once
// Script-style tests for any built-in elector, a thin parser over the
// simulator of tests/sim/cluster.h, in the spirit of etcd-io/raft's
// interaction tests: a short text script says which node ticks and which
// in-flight message is delivered or dropped, and the test compares the
// transcript (every contract line printed and every message sent) with the
// expected one. Nothing here sleeps, opens a socket or reads a clock.
//
// Commands, one a line (blank lines and lines starting with # are skipped):
//   tick NODE [N]             ticks NODE N times (default 1)
//   tick-all [N]              ticks every live node once, N times, in id order
//   deliver [FROM [TO [TYPE]]] delivers, once each and in order, the in-flight
//                             messages that match ("*" matches anything)
//   drop [FROM [TO [TYPE]]]   forgets the matching in-flight messages
//   stabilize                 delivers messages, and those they cause, until none is left
//   crash NODE                NODE stops: no ticks, messages to it are lost
//   restart NODE              NODE comes back from the state it persisted
// The transcript has one line per effect, in the order they happened:
//   n3: {"event":"role","role":"leader"}      a contract line
//   n3 -> n1 coordinator                      a message sent
//   n2: persist {"term":1,"votedFor":"n2"}    a state written

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "nodes/codec.h"
#include "tests/sim/cluster.h"

namespace schism::nodes::testing {

// The cluster a script runs on.
using ScriptCluster = sim::ClusterSpec;

class ElectorScript {
 public:
  // Throws std::invalid_argument for an unknown elector or bug.
  explicit ElectorScript(ScriptCluster cluster) : cluster_(std::move(cluster)) {}

  // What the nodes printed and sent while they were built.
  std::string TakeStartTranscript() { return Transcript(); }

  Elector& node(const std::string& id) { return cluster_.node(id); }

  // Runs `script` and returns its transcript.
  std::string Run(const std::string& script) {
    Transcript();  // Forget what happened between scripts.
    std::istringstream lines(script);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::vector<std::string> w;
      for (std::string word; words >> word;) w.push_back(word);
      if (w.empty() || w[0][0] == '#') continue;
      Command(w, line);
      for (const std::string& complaint : cluster_.TakeComplaints()) ADD_FAILURE() << complaint;
    }
    return Transcript();
  }

 private:
  void Command(const std::vector<std::string>& w, const std::string& line) {
    const auto arg = [&](std::size_t i) { return i < w.size() ? w[i] : std::string("*"); };
    const auto times = [&](std::size_t i) { return i < w.size() ? std::stoi(w[i]) : 1; };
    const auto matches = [&](const Envelope& m) {
      return Matches(m.from, arg(1)) && Matches(m.to, arg(2)) && Matches(m.type, arg(3));
    };
    if (w[0] == "tick" && w.size() >= 2) {
      cluster_.Tick(w[1], times(2));
    } else if (w[0] == "tick-all") {
      cluster_.TickAll(times(1));
    } else if (w[0] == "deliver") {
      cluster_.DeliverIf(matches);
    } else if (w[0] == "drop") {
      cluster_.DropIf(matches);
    } else if (w[0] == "stabilize") {
      cluster_.Stabilize();
    } else if (w[0] == "crash" && w.size() == 2) {
      cluster_.Crash(w[1]);
    } else if (w[0] == "restart" && w.size() == 2) {
      cluster_.Restart(w[1]);
    } else {
      ADD_FAILURE() << "unknown script command: " << line;
    }
  }

  static bool Matches(const std::string& value, const std::string& pattern) {
    return pattern == "*" || pattern == value;
  }

  // The transcript of what the nodes did since the last call.
  std::string Transcript() {
    std::string out;
    for (const sim::NodeOutput& output : cluster_.TakeOutputs()) {
      const std::string& id = output.node;
      if (output.ready.state) out += id + ": persist " + output.ready.state->dump() + "\n";
      for (const ContractEvent& event : output.ready.events) {
        out += id + ": " + FormatEvent(event) + "\n";
      }
      for (const Envelope& m : output.ready.messages) {
        out += m.from + " -> " + m.to + " " + m.type;
        if (!m.fields.empty()) out += " " + m.fields.dump();
        out += "\n";
      }
    }
    return out;
  }

  sim::Cluster cluster_;
};

}  // namespace schism::nodes::testing
