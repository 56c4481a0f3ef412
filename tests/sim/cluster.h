#pragma once
// A deterministic in-memory cluster of any built-in elector (nodes/electors.h),
// in the spirit of etcd-io/raft's interaction tests: the caller decides when
// each node ticks and which in-flight message is delivered, dropped or held.
// Nothing here sleeps, opens a socket, reads a clock or writes a file.
//
// Each node is applied the way schism-node applies an ElectorReady: its state
// is "persisted" (kept here, and handed back to the elector on restart), its
// contract events are recorded, its messages go in flight. A crashed node
// neither ticks nor receives: a message reaching it is lost, and so is one
// crossing a cut link. What the nodes produced is also kept, in order, for a
// transcript or a history (TakeOutputs()).

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "nodes/electors.h"

namespace schism::sim {

using nodes::ContractEvent;
using nodes::Elector;
using nodes::ElectorReady;
using nodes::Envelope;
using nodes::Json;

// What a cluster is built from.
struct ClusterSpec {
  std::string elector;  // A built-in elector's name, e.g. "raft".
  int size = 3;         // Nodes n1..n<size>.
  // Initialized, so that a brace-initialized spec may stop after any field.
  std::string bug = "";                              // "" or one of the elector's bugs.
  std::map<std::string, std::int64_t> options = {};  // Overrides of the elector's defaults.
  std::uint64_t seed = 1;                            // Node i gets seed + i, on every start.
  int tick_ms = 10;
  // Round-trips every delivered message through the wire codec and complains
  // when it changes; off only where speed matters more (random schedules).
  bool check_wire = true;
};

// One ElectorReady as a node produced it.
struct NodeOutput {
  std::string node;
  ElectorReady ready;
};

// What becomes of an in-flight message in a Sweep().
enum class Fate { kDeliver, kDrop, kHold };

class Cluster {
 public:
  // Builds and starts n1..n<size>. Throws std::invalid_argument for an
  // unknown elector, a bug it does not have or options it refuses.
  explicit Cluster(ClusterSpec spec);

  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  const ClusterSpec& spec() const { return spec_; }
  const std::vector<std::string>& ids() const { return ids_; }
  // The node's current instance, or its last one while it is down.
  Elector& node(const std::string& id) { return *nodes_.at(id); }
  bool up(const std::string& id) const { return up_.count(id) != 0; }

  // Ticks node `id` `times` times; nothing while it is down.
  void Tick(const std::string& id, int times = 1);
  // Ticks every live node once, in id order, `times` times.
  void TickAll(int times = 1);

  // The messages sent and neither delivered nor dropped yet, oldest first.
  const std::deque<Envelope>& in_flight() const { return in_flight_; }
  // Hands `m` to its addressee now, whether or not it is in flight. Returns
  // false when it is lost (addressee down, link cut) or refused by the elector.
  bool Deliver(const Envelope& m);
  // Decides the fate of each message in flight now, oldest first: delivered
  // ones are handed over, dropped ones forgotten; held ones stay in flight,
  // ahead of those sent meanwhile.
  void Sweep(const std::function<Fate(const Envelope&)>& decide);
  void DeliverIf(const std::function<bool(const Envelope&)>& pred);
  void DropIf(const std::function<bool(const Envelope&)>& pred);
  // Delivers the oldest message until none is left, at most `limit` times
  // (a complaint when that was not enough). Returns how many it delivered.
  int Stabilize(int limit = 100000);

  // Links: a cut link loses every message that tries to cross it.
  void Cut(const std::string& from, const std::string& to);     // One direction.
  void CutBetween(const std::string& a, const std::string& b);  // Both directions.
  void Isolate(const std::string& id);
  // Cuts every link between two different components (a node in none is alone).
  void Partition(const std::vector<std::vector<std::string>>& components);
  void Heal();
  bool Linked(const std::string& from, const std::string& to) const;

  // Processes: a crashed node keeps what it persisted; Restart() builds a
  // fresh instance from it (crashing the node first if it is up).
  void Crash(const std::string& id);
  void Restart(const std::string& id);

  // The state node `id` last persisted; nullopt if it never did.
  std::optional<Json> persisted(const std::string& id) const;
  // Every contract event node `id` reported, across restarts.
  const std::vector<ContractEvent>& events(const std::string& id) { return events_[id]; }
  // What the nodes produced since the last call, in order.
  std::vector<NodeOutput> TakeOutputs() { return std::exchange(outputs_, {}); }
  // Misbehaviour seen since the last call (a refused message, a message the
  // wire would change, a cluster that would not stabilize), one line each.
  std::vector<std::string> TakeComplaints() { return std::exchange(complaints_, {}); }

 private:
  void Start(const std::string& id);
  // Applies the node's pending ready: persist, record, send.
  void Collect(const std::string& id);

  const ClusterSpec spec_;
  const nodes::ElectorSpec* elector_;
  std::vector<std::string> ids_;
  std::map<std::string, std::unique_ptr<Elector>> nodes_;
  std::set<std::string> up_;
  std::map<std::string, Json> persisted_;
  std::map<std::string, std::vector<ContractEvent>> events_;
  std::set<std::pair<std::string, std::string>> cut_;  // (from, to)
  std::deque<Envelope> in_flight_;
  std::vector<NodeOutput> outputs_;
  std::vector<std::string> complaints_;
};

}  // namespace schism::sim
