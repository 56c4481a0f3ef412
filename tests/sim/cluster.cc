#include "tests/sim/cluster.h"

#include <algorithm>
#include <stdexcept>

#include "nodes/codec.h"

namespace schism::sim {
namespace {

bool HasBug(const nodes::ElectorSpec& spec, const std::string& bug) {
  return bug.empty() || std::any_of(spec.bugs.begin(), spec.bugs.end(),
                                    [&](const nodes::BugSpec& b) { return b.name == bug; });
}

}  // namespace

Cluster::Cluster(ClusterSpec spec)
    : spec_(std::move(spec)), elector_(nodes::FindElector(spec_.elector)) {
  if (elector_ == nullptr) {
    throw std::invalid_argument("no built-in elector " + spec_.elector + " (" +
                                nodes::ElectorNames() + ")");
  }
  if (!HasBug(*elector_, spec_.bug)) {
    throw std::invalid_argument(spec_.elector + " has no bug " + spec_.bug);
  }
  for (int i = 1; i <= spec_.size; ++i) ids_.push_back("n" + std::to_string(i));
  for (const std::string& id : ids_) Start(id);
}

void Cluster::Tick(const std::string& id, int times) {
  for (int i = 0; i < times && up(id); ++i) {
    node(id).Tick();
    Collect(id);
  }
}

void Cluster::TickAll(int times) {
  for (int i = 0; i < times; ++i) {
    for (const std::string& id : ids_) Tick(id);
  }
}

bool Cluster::Deliver(const Envelope& m) {
  if (!up(m.to) || !Linked(m.from, m.to)) return false;
  // Every message an elector sends must survive the wire unchanged.
  if (spec_.check_wire && nodes::DecodeEnvelope(nodes::EncodeEnvelope(m)) != m) {
    complaints_.push_back("the wire changes " + nodes::EncodeEnvelope(m));
  }
  const bool known = node(m.to).Step(m);
  if (!known) complaints_.push_back(m.to + " refused " + nodes::EncodeEnvelope(m));
  Collect(m.to);
  return known;
}

void Cluster::Sweep(const std::function<Fate(const Envelope&)>& decide) {
  std::deque<Envelope> batch;
  std::swap(batch, in_flight_);  // Messages sent while sweeping land in in_flight_.
  std::deque<Envelope> held;
  for (Envelope& m : batch) {
    switch (decide(m)) {
      case Fate::kDeliver:
        Deliver(m);
        break;
      case Fate::kHold:
        held.push_back(std::move(m));
        break;
      case Fate::kDrop:
        break;
    }
  }
  for (Envelope& m : in_flight_) held.push_back(std::move(m));
  in_flight_ = std::move(held);
}

void Cluster::DeliverIf(const std::function<bool(const Envelope&)>& pred) {
  Sweep([&](const Envelope& m) { return pred(m) ? Fate::kDeliver : Fate::kHold; });
}

void Cluster::DropIf(const std::function<bool(const Envelope&)>& pred) {
  Sweep([&](const Envelope& m) { return pred(m) ? Fate::kDrop : Fate::kHold; });
}

int Cluster::Stabilize(int limit) {
  int delivered = 0;
  for (; delivered < limit && !in_flight_.empty(); ++delivered) {
    Envelope m = std::move(in_flight_.front());
    in_flight_.pop_front();
    Deliver(m);
  }
  if (!in_flight_.empty()) {
    complaints_.push_back("still " + std::to_string(in_flight_.size()) +
                          " messages in flight after " + std::to_string(limit) + " deliveries");
  }
  return delivered;
}

void Cluster::Cut(const std::string& from, const std::string& to) { cut_.insert({from, to}); }

void Cluster::CutBetween(const std::string& a, const std::string& b) {
  Cut(a, b);
  Cut(b, a);
}

void Cluster::Isolate(const std::string& id) {
  for (const std::string& other : ids_) {
    if (other != id) CutBetween(id, other);
  }
}

void Cluster::Partition(const std::vector<std::vector<std::string>>& components) {
  std::map<std::string, std::size_t> side;
  for (std::size_t c = 0; c < components.size(); ++c) {
    for (const std::string& id : components[c]) side[id] = c + 1;
  }
  for (const std::string& a : ids_) {
    for (const std::string& b : ids_) {
      // A node in no component (side 0) is cut off from everyone but itself.
      if (a != b && (side[a] == 0 || side[a] != side[b])) Cut(a, b);
    }
  }
}

void Cluster::Heal() { cut_.clear(); }

bool Cluster::Linked(const std::string& from, const std::string& to) const {
  return cut_.count({from, to}) == 0;
}

void Cluster::Crash(const std::string& id) { up_.erase(id); }

void Cluster::Restart(const std::string& id) {
  Crash(id);
  Start(id);
}

std::optional<Json> Cluster::persisted(const std::string& id) const {
  const auto it = persisted_.find(id);
  if (it == persisted_.end()) return std::nullopt;
  return it->second;
}

void Cluster::Start(const std::string& id) {
  nodes::ElectorSetup setup = nodes::DefaultSetup(*elector_);
  for (const auto& [name, value] : spec_.options) setup.options[name] = value;
  setup.bug = spec_.bug;
  setup.id = id;
  for (const std::string& other : ids_) {
    if (other != id) setup.peers.push_back(other);
  }
  setup.seed = spec_.seed + static_cast<std::uint64_t>(std::stoi(id.substr(1)));
  setup.tick_ms = spec_.tick_ms;
  if (elector_->check != nullptr) {
    if (const std::string error = elector_->check(setup); !error.empty()) {
      throw std::invalid_argument(spec_.elector + ": " + error);
    }
  }
  std::string error;
  std::unique_ptr<Elector> fresh = elector_->make(setup, persisted(id), &error);
  // The state came from the elector itself, so refusing it is the elector's bug.
  if (fresh == nullptr) throw std::logic_error(id + " cannot restart: " + error);
  nodes_[id] = std::move(fresh);
  up_.insert(id);
  Collect(id);
}

void Cluster::Collect(const std::string& id) {
  ElectorReady ready = node(id).TakeReady();
  if (ready.empty()) return;
  if (ready.state) persisted_[id] = *ready.state;
  std::vector<ContractEvent>& events = events_[id];
  events.insert(events.end(), ready.events.begin(), ready.events.end());
  in_flight_.insert(in_flight_.end(), ready.messages.begin(), ready.messages.end());
  outputs_.push_back({id, std::move(ready)});
}

}  // namespace schism::sim
