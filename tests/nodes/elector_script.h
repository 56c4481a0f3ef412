#pragma once
// Script-style tests for any built-in elector, in the spirit of etcd-io/raft's
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

#include <deque>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "nodes/codec.h"
#include "nodes/electors.h"

namespace schism::nodes::testing {

// The cluster a script runs on.
struct ScriptCluster {
  std::string elector;                          // A built-in elector's name, e.g. "bully".
  int size = 3;                                 // Nodes n1..n<size>.
  std::string bug;                              // "" or one of the elector's bugs.
  std::map<std::string, std::int64_t> options;  // Overrides of the elector's defaults.
  std::uint64_t seed = 1;                       // Node i gets seed + i.
  int tick_ms = 10;
};

class ElectorScript {
 public:
  explicit ElectorScript(ScriptCluster cluster)
      : cluster_(std::move(cluster)), spec_(FindElector(cluster_.elector)) {
    if (spec_ == nullptr) throw std::invalid_argument("no built-in elector " + cluster_.elector);
    for (int i = 1; i <= cluster_.size; ++i) ids_.push_back("n" + std::to_string(i));
    for (const std::string& id : ids_) Start(id);
  }

  // What the nodes printed and sent while they were built.
  std::string TakeStartTranscript() { return std::exchange(transcript_, ""); }

  Elector& node(const std::string& id) { return *nodes_.at(id); }

  // Runs `script` and returns its transcript.
  std::string Run(const std::string& script) {
    transcript_.clear();
    std::istringstream lines(script);
    for (std::string line; std::getline(lines, line);) {
      std::istringstream words(line);
      std::vector<std::string> w;
      for (std::string word; words >> word;) w.push_back(word);
      if (w.empty() || w[0][0] == '#') continue;
      Command(w, line);
    }
    return transcript_;
  }

 private:
  void Command(const std::vector<std::string>& w, const std::string& line) {
    const auto arg = [&](std::size_t i) { return i < w.size() ? w[i] : std::string("*"); };
    if (w[0] == "tick" && w.size() >= 2) {
      const int times = w.size() > 2 ? std::stoi(w[2]) : 1;
      for (int i = 0; i < times && !crashed_.count(w[1]); ++i) {
        node(w[1]).Tick();
        Collect(w[1]);
      }
    } else if (w[0] == "tick-all") {
      const int times = w.size() > 1 ? std::stoi(w[1]) : 1;
      for (int i = 0; i < times; ++i) {
        for (const std::string& id : ids_) {
          if (crashed_.count(id)) continue;
          node(id).Tick();
          Collect(id);
        }
      }
    } else if (w[0] == "deliver" || w[0] == "drop") {
      std::deque<Envelope> batch;
      std::swap(batch, in_flight_);
      std::deque<Envelope> kept;
      for (Envelope& m : batch) {
        if (!Matches(m, arg(1), arg(2), arg(3))) {
          kept.push_back(std::move(m));
        } else if (w[0] == "deliver") {
          Deliver(m);
        }
      }
      for (Envelope& m : in_flight_) kept.push_back(std::move(m));
      in_flight_ = std::move(kept);
    } else if (w[0] == "stabilize") {
      while (!in_flight_.empty()) {
        Envelope m = std::move(in_flight_.front());
        in_flight_.pop_front();
        Deliver(m);
      }
    } else if (w[0] == "crash" && w.size() == 2) {
      crashed_.insert(w[1]);
    } else if (w[0] == "restart" && w.size() == 2) {
      crashed_.erase(w[1]);
      Start(w[1]);
    } else {
      ADD_FAILURE() << "unknown script command: " << line;
    }
  }

  static bool Matches(const Envelope& m, const std::string& from, const std::string& to,
                      const std::string& type) {
    return (from == "*" || from == m.from) && (to == "*" || to == m.to) &&
           (type == "*" || type == m.type);
  }

  void Deliver(const Envelope& m) {
    if (crashed_.count(m.to)) return;
    // Every message an elector sends must survive the wire unchanged.
    const auto wire = DecodeEnvelope(EncodeEnvelope(m));
    EXPECT_EQ(wire, m) << EncodeEnvelope(m);
    EXPECT_TRUE(node(m.to).Step(m)) << m.type;
    Collect(m.to);
  }

  void Start(const std::string& id) {
    ElectorSetup setup = DefaultSetup(*spec_);
    for (const auto& [name, value] : cluster_.options) setup.options[name] = value;
    setup.bug = cluster_.bug;
    setup.id = id;
    for (const std::string& other : ids_) {
      if (other != id) setup.peers.push_back(other);
    }
    setup.seed = cluster_.seed + static_cast<std::uint64_t>(std::stoi(id.substr(1)));
    setup.tick_ms = cluster_.tick_ms;
    std::optional<Json> restored;
    if (auto it = persisted_.find(id); it != persisted_.end()) restored = it->second;
    std::string error;
    nodes_[id] = spec_->make(setup, restored, &error);
    ASSERT_NE(nodes_[id], nullptr) << error;
    Collect(id);
  }

  void Collect(const std::string& id) {
    ElectorReady ready = node(id).TakeReady();
    if (ready.state) {
      persisted_[id] = *ready.state;
      transcript_ += id + ": persist " + ready.state->dump() + "\n";
    }
    for (const ContractEvent& event : ready.events) {
      transcript_ += id + ": " + FormatEvent(event) + "\n";
    }
    for (Envelope& m : ready.messages) {
      transcript_ += m.from + " -> " + m.to + " " + m.type;
      if (!m.fields.empty()) transcript_ += " " + m.fields.dump();
      transcript_ += "\n";
      in_flight_.push_back(std::move(m));
    }
  }

 private:
  const ScriptCluster cluster_;
  const ElectorSpec* spec_;
  std::vector<std::string> ids_;
  std::map<std::string, std::unique_ptr<Elector>> nodes_;
  std::map<std::string, Json> persisted_;
  std::set<std::string> crashed_;
  std::deque<Envelope> in_flight_;
  std::string transcript_;
};

}  // namespace schism::nodes::testing
