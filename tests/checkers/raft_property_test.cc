// Property test: the pure Raft state machine, driven by a seeded random
// scheduler under message loss, reordering, partitions and restarts, yields
// histories that no safety checker flags; with Bug::kDoubleVote some seed is
// flagged. Logical time only: each step is 10 ms of controller time.

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "histories/event.h"
#include "histories/reader.h"
#include "nodes/raft.h"

namespace schism::checkers {
namespace {

using histories::Event;
using histories::EventType;
using nodes::Bug;
using nodes::Raft;

constexpr double kStepSeconds = 0.010;

// A cluster of Raft nodes on a lossy in-memory network that writes the
// history a controller would record.
class Simulation {
 public:
  Simulation(int size, Bug bug, std::uint64_t seed, bool check_quorum = true)
      : bug_(bug), check_quorum_(check_quorum), rng_(seed) {
    for (int k = 1; k <= size; ++k) ids_.push_back("n" + std::to_string(k));
    Event start = Make(EventType::kRun, "");
    start.f = "start";
    start.detail = {{"nodes", ids_}, {"seed", seed}};
    Emit(std::move(start));
    for (const std::string& id : ids_) Start(id);
  }

  // Runs `steps` steps: every up node ticks, in-flight messages are delivered,
  // dropped or held back, and now and then a node is killed or a partition
  // starts or ends.
  void Run(int steps) {
    for (int s = 0; s < steps; ++s) {
      now_ += kStepSeconds;
      Faults();
      for (const std::string& id : ids_) {
        if (!up_[id]) continue;
        nodes_[id]->Tick();
        Collect(id);
      }
      std::vector<nodes::Message> batch;
      batch.swap(in_flight_);
      for (nodes::Message& m : batch) {
        const std::uint64_t roll = rng_() % 100;
        if (roll < 10 || Cut(m.from, m.to) || !up_[m.to]) continue;  // Lost.
        if (roll < 30) {
          in_flight_.push_back(std::move(m));  // Delayed: reordered behind newer ones.
          continue;
        }
        nodes_[m.to]->Step(m);
        Collect(m.to);
      }
    }
    Event end = Make(EventType::kRun, "");
    end.f = "end";
    Emit(std::move(end));
  }

  const std::string& history() const { return history_; }

 private:
  Event Make(EventType type, const std::string& node) {
    Event e;
    e.index = next_index_++;
    e.time = now_;
    e.type = type;
    e.node = node;
    return e;
  }

  void Emit(Event e) {
    history_ += histories::FormatEvent(e);
    history_ += '\n';
  }

  void Start(const std::string& id) {
    nodes::Config config;
    config.id = id;
    for (const std::string& other : ids_) {
      if (other != id) config.peers.push_back(other);
    }
    config.bug = bug_;
    config.check_quorum = check_quorum_;
    config.seed = rng_();
    nodes_[id] = std::make_unique<Raft>(config, persisted_[id]);
    up_[id] = true;
    Event e = Make(EventType::kProcess, id);
    e.f = "start";
    Emit(std::move(e));
    Collect(id);
  }

  void Kill(const std::string& id) {
    up_[id] = false;
    nodes_[id].reset();
    Event e = Make(EventType::kProcess, id);
    e.f = "kill";
    e.detail = {{"signal", 9}};
    Emit(std::move(e));
  }

  void Faults() {
    for (auto it = restart_at_.begin(); it != restart_at_.end();) {
      if (it->second <= now_) {
        Start(it->first);
        it = restart_at_.erase(it);
      } else {
        ++it;
      }
    }
    if (rng_() % 1000 < 3) {
      const std::string& victim = ids_[rng_() % ids_.size()];
      if (up_[victim]) {
        Kill(victim);
        restart_at_[victim] = now_ + 0.05 + static_cast<double>(rng_() % 150) / 100.0;
      }
    }
    if (side_.empty() && rng_() % 1000 < 4) {
      // Random two-way split; every node lands on side 0 or 1.
      nlohmann::json components = {nlohmann::json::array(), nlohmann::json::array()};
      for (const std::string& id : ids_) {
        side_[id] = static_cast<int>(rng_() % 2);
        components[side_[id]].push_back(id);
      }
      partition_ends_ = now_ + 0.5 + static_cast<double>(rng_() % 300) / 100.0;
      Event e = Make(EventType::kNemesis, "");
      e.f = "partition";
      e.detail = {{"phase", "start"}, {"components", components}};
      Emit(std::move(e));
    } else if (!side_.empty() && now_ >= partition_ends_) {
      side_.clear();
      Event e = Make(EventType::kNemesis, "");
      e.f = "partition";
      e.detail = {{"phase", "end"}};
      Emit(std::move(e));
    }
  }

  bool Cut(const std::string& a, const std::string& b) const {
    return !side_.empty() && side_.at(a) != side_.at(b);
  }

  // Applies one Ready the way the runtime does: persist, report, send.
  void Collect(const std::string& id) {
    nodes::Ready ready = nodes_[id]->TakeReady();
    if (ready.hard_state) persisted_[id] = *ready.hard_state;
    for (const nodes::Report& r : ready.reports) {
      if (r.kind == nodes::Report::Kind::kVote) {
        Event e = Make(EventType::kVote, id);
        e.term = r.term;
        e.vote_for = r.node;
        Emit(std::move(e));
        continue;
      }
      Event e = Make(EventType::kRole, id);
      e.role = r.role == nodes::Role::kLeader      ? histories::Role::kLeader
               : r.role == nodes::Role::kCandidate ? histories::Role::kCandidate
                                                   : histories::Role::kFollower;
      e.term = r.term;
      e.leader = r.role == nodes::Role::kLeader ? "" : r.node;
      Emit(std::move(e));
    }
    for (nodes::Message& m : ready.messages) in_flight_.push_back(std::move(m));
  }

  Bug bug_;
  bool check_quorum_;
  std::mt19937_64 rng_;
  std::vector<std::string> ids_;
  std::map<std::string, std::unique_ptr<Raft>> nodes_;
  std::map<std::string, nodes::HardState> persisted_;
  std::map<std::string, bool> up_;
  std::map<std::string, double> restart_at_;
  std::map<std::string, int> side_;  // Empty while the network is whole.
  double partition_ends_ = 0.0;
  std::vector<nodes::Message> in_flight_;
  double now_ = 0.0;
  std::uint64_t next_index_ = 0;
  std::string history_;
};

// The safety checkers (liveness and kpis judge progress, not safety).
std::vector<Verdict> CheckSafety(const std::string& history) {
  std::istringstream in(history);
  histories::HistoryReader reader(in, "simulated.jsonl");
  std::vector<std::unique_ptr<Checker>> list;
  for (const std::string& name : CheckerNames()) {
    if (name != "liveness" && name != "kpis") list.push_back(MakeChecker(name, {}));
  }
  return RunCheckers(reader, list);
}

TEST(RaftProperty, CorrectRaftIsNeverFlagged) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) {
    Simulation sim(5, Bug::kNone, seed);
    sim.Run(3000);
    for (const Verdict& v : CheckSafety(sim.history())) {
      EXPECT_NE(v.valid, Validity::kInvalid)
          << "seed " << seed << ": " << v.checker << ": " << v.reason;
    }
  }
}

TEST(RaftProperty, TheHistoryExercisesTheCheckers) {
  Simulation sim(5, Bug::kNone, 3);
  sim.Run(3000);
  std::map<std::string, Verdict> by_name;
  for (Verdict& v : CheckSafety(sim.history())) by_name[v.checker] = std::move(v);
  EXPECT_EQ(by_name["election-safety"].valid, Validity::kValid);
  EXPECT_EQ(by_name["quorum"].valid, Validity::kValid);
  EXPECT_EQ(by_name["term-monotonic"].valid, Validity::kValid);
  EXPECT_EQ(by_name["agreement"].valid, Validity::kValid);
  EXPECT_GT(by_name["partition-quorum"].details["partitions"].get<int>(), 0);
  EXPECT_GT(by_name["election-safety"].details["terms_with_leader"].get<int>(), 1);
}

TEST(RaftProperty, DoubleVoteIsFlaggedForSomeSeed) {
  int flagged = 0;
  for (std::uint64_t seed = 1; seed <= 20 && flagged == 0; ++seed) {
    Simulation sim(5, Bug::kDoubleVote, seed);
    sim.Run(3000);
    for (const Verdict& v : CheckSafety(sim.history())) {
      if (v.valid == Validity::kInvalid) ++flagged;
    }
  }
  EXPECT_GT(flagged, 0);
}

// Without check-quorum a leader cut off from the majority goes on leading
// until the partition heals: partition-quorum catches that, and only that.
TEST(RaftProperty, LeaderWithoutCheckQuorumIsFlaggedByPartitionQuorum) {
  int flagged = 0;
  for (std::uint64_t seed = 1; seed <= 20 && flagged == 0; ++seed) {
    Simulation sim(5, Bug::kNone, seed, /*check_quorum=*/false);
    sim.Run(3000);
    for (const Verdict& v : CheckSafety(sim.history())) {
      if (v.checker == "partition-quorum") {
        if (v.valid == Validity::kInvalid) ++flagged;
      } else {
        EXPECT_NE(v.valid, Validity::kInvalid) << "seed " << seed << ": " << v.reason;
      }
    }
  }
  EXPECT_GT(flagged, 0);
}

}  // namespace
}  // namespace schism::checkers
