#pragma once
// An in-memory network of Raft state machines for deterministic tests, in the
// spirit of etcd-io/raft's interaction tests: the test decides when each node
// ticks and which in-flight message is delivered or dropped. Nothing here
// sleeps, opens a socket or reads a clock.

#include <algorithm>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nodes/raft.h"

namespace schism::nodes::testing {

class Network {
 public:
  // Builds nodes n1..n<size> from `base` (id, peers and seed are filled in;
  // node i gets seed base.seed + i, so that timeouts differ).
  Network(int size, Config base) : base_(std::move(base)) {
    for (int i = 1; i <= size; ++i) ids_.push_back("n" + std::to_string(i));
    for (const std::string& id : ids_) Start(id);
  }

  Raft& node(const std::string& id) { return *nodes_.at(id); }
  const std::vector<std::string>& ids() const { return ids_; }

  // What a node has durably written so far (the last hard state of a batch).
  const HardState& persisted(const std::string& id) { return persisted_[id]; }
  // Every report a node has made, across restarts.
  const std::vector<Report>& reports(const std::string& id) { return reports_[id]; }
  // The messages sent and not yet delivered or dropped.
  std::deque<Message>& in_flight() { return in_flight_; }

  // Ticks one node `times` times, collecting what it produces.
  void Tick(const std::string& id, int times = 1) {
    for (int i = 0; i < times; ++i) {
      node(id).Tick();
      Collect(id);
    }
  }

  // Delivers one message to its addressee (unless the link is cut) and collects the output.
  void Deliver(const Message& m) {
    if (Cut(m.from, m.to)) return;
    node(m.to).Step(m);
    Collect(m.to);
  }

  // Delivers the in-flight messages that match `pred` (in FIFO order, once each) and keeps the
  // rest.
  void DeliverIf(const std::function<bool(const Message&)>& pred) {
    std::deque<Message> batch;
    std::swap(batch, in_flight_);
    std::deque<Message> kept;
    for (const Message& m : batch) {
      if (pred(m)) {
        Deliver(m);
      } else {
        kept.push_back(m);
      }
    }
    for (Message& m : in_flight_) kept.push_back(std::move(m));
    in_flight_ = std::move(kept);
  }

  // Delivers messages (and their consequences) until none is in flight.
  void Stabilize() {
    while (!in_flight_.empty()) {
      Message m = std::move(in_flight_.front());
      in_flight_.pop_front();
      Deliver(m);
    }
  }

  // Ticks every node once and stabilizes, `rounds` times.
  void Run(int rounds) {
    for (int r = 0; r < rounds; ++r) {
      for (const std::string& id : ids_) Tick(id);
      Stabilize();
    }
  }

  // Drops every message between `id` and anyone else until Heal().
  void Isolate(const std::string& id) {
    for (const std::string& other : ids_) {
      if (other != id) CutLink(id, other);
    }
  }
  void CutLink(const std::string& a, const std::string& b) {
    cut_.insert({std::min(a, b), std::max(a, b)});
  }
  void Heal() { cut_.clear(); }

  // Rebuilds a node from what it persisted, as after a crash and restart.
  void Restart(const std::string& id) {
    in_flight_.erase(std::remove_if(in_flight_.begin(), in_flight_.end(),
                                    [&](const Message& m) { return m.to == id; }),
                     in_flight_.end());
    Start(id);
  }

  // The ids of the nodes that currently consider themselves leader.
  std::vector<std::string> Leaders() {
    std::vector<std::string> leaders;
    for (const std::string& id : ids_) {
      if (node(id).role() == Role::kLeader) leaders.push_back(id);
    }
    return leaders;
  }

  // Every (term -> nodes) that ever reported leadership; safety means one node per term.
  const std::map<std::uint64_t, std::set<std::string>>& leaders_by_term() const {
    return leaders_by_term_;
  }

  // How many vote reports `id` made for `term` (across restarts).
  int VotesReported(const std::string& id, std::uint64_t term) {
    return static_cast<int>(std::count_if(
        reports_[id].begin(), reports_[id].end(),
        [&](const Report& r) { return r.kind == Report::Kind::kVote && r.term == term; }));
  }

 private:
  void Start(const std::string& id) {
    Config config = base_;
    config.id = id;
    config.peers.clear();
    for (const std::string& other : ids_) {
      if (other != id) config.peers.push_back(other);
    }
    config.seed = base_.seed + static_cast<std::uint64_t>(std::stoi(id.substr(1)));
    nodes_[id] = std::make_unique<Raft>(config, persisted_[id]);
    Collect(id);
  }

  bool Cut(const std::string& a, const std::string& b) const {
    return cut_.count({std::min(a, b), std::max(a, b)}) != 0;
  }

  void Collect(const std::string& id) {
    Ready ready = node(id).TakeReady();
    if (ready.hard_state) persisted_[id] = *ready.hard_state;
    for (const Report& r : ready.reports) {
      if (r.kind == Report::Kind::kRole && r.role == Role::kLeader) {
        leaders_by_term_[r.term].insert(id);
      }
      reports_[id].push_back(r);
    }
    for (Message& m : ready.messages) {
      if (!Cut(m.from, m.to)) in_flight_.push_back(std::move(m));
    }
  }

  Config base_;
  std::vector<std::string> ids_;
  std::map<std::string, std::unique_ptr<Raft>> nodes_;
  std::map<std::string, HardState> persisted_;
  std::map<std::string, std::vector<Report>> reports_;
  std::map<std::uint64_t, std::set<std::string>> leaders_by_term_;
  std::deque<Message> in_flight_;
  std::set<std::pair<std::string, std::string>> cut_;
};

}  // namespace schism::nodes::testing
