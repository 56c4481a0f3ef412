#pragma once
// Internal to nemesis/: the fault kinds that faults/list.cc puts in order,
// and the parts several kinds share: drawing a cycle (draw.cc, also used by
// Generate), reading and writing target fields (fields.cc), resolving
// targets (targets.cc), rebuilding applied entries for replay (applied.cc)
// and drawing election races (race.cc). Each kind's own file holds everything else about it.

#include <algorithm>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "nemesis/entry_reader.h"
#include "nemesis/fault_kind.h"
#include "nemesis/random.h"
#include "nemesis/resolve.h"

namespace schism::nemesis::faults {

// ---- The kinds, one file each (partition.cc, ...).

const FaultKind& Partition();
const FaultKind& Kill();
const FaultKind& Loss();
const FaultKind& Pause();
const FaultKind& Delay();
const FaultKind& Clock();
const FaultKind& Flap();
const FaultKind& Term();
const FaultKind& Bandwidth();
const FaultKind& Duplicate();

// ---- Drawing a generated cycle (draw.cc). Every draw goes through the
// cycle's generator in a fixed order: a change of order changes old seeds'
// schedules (schedule_pin_test.cc).

// `seconds` rounded to the millisecond, as schedules hold offsets.
double Millis(double seconds);

// An op with no fields: an end, or a restart or resume of every node.
Op Simple(OpKind kind, double offset_s);

struct Weighted {
  double weight;
  int value;
};

// One value of `choices`, with probability proportional to its weight (one
// draw from `rng`).
int Pick(std::mt19937_64& rng, const std::vector<Weighted>& choices);

// Pick over enum values: PickOf<KillTarget>(rng, {{0.5, kLeader}, {0.5, kRandom}}).
template <typename E>
E PickOf(std::mt19937_64& rng, std::initializer_list<std::pair<double, E>> choices) {
  std::vector<Weighted> weighted;
  for (const auto& [weight, value] : choices) weighted.push_back({weight, static_cast<int>(value)});
  return static_cast<E>(Pick(rng, weighted));
}

// A partition shape for `node_count` nodes; non-transitive shapes (ring,
// bridge) get most of the weight, and need at least three nodes.
GrudgeKind PickGrudge(std::mt19937_64& rng, std::size_t node_count);

// A pair, into-a-node or all-pairs target for a per-packet fault.
LossTarget PickPairTarget(std::mt19937_64& rng);

// A fault held 0.6-1.4 intervals and then ended by `end_kind`, unless the
// end would fall at or after draw.end. `make` draws the fault (at draw.t)
// after the hold is drawn. Returns when the next cycle starts: 0.5-1.5
// intervals after the end.
template <typename Make>
double HeldCycle(CycleDraw& draw, OpKind end_kind, Make make) {
  const double hold = draw.interval * UniformReal(draw.rng, 0.6, 1.4);
  Op fault = make();
  const double end_at = std::min(fault.offset_s + hold, draw.end);
  draw.ops.push_back(std::move(fault));
  if (end_at < draw.end) draw.ops.push_back(Simple(end_kind, Millis(end_at)));
  return std::min(draw.t + hold, draw.end) + draw.interval * UniformReal(draw.rng, 0.5, 1.5);
}

// A kill at `t`, or nullopt when it and its restart do not fit before `end`
// (kill.cc; a partition draws one inside it too). Without `voter_ok` it never
// waits for a voter.
std::optional<Op> DrawKill(std::mt19937_64& rng, double t, double end, double interval,
                           bool voter_ok);

// ---- Election races (race.cc).

// Chance that a delay or loss cycle is an election race when kill is on.
inline constexpr double kElectionRace = 0.5;

// What an election race's kills aim at.
enum class RaceShape {
  // A contested vote (delay races): the candidate is back after 0.5-1.5 s.
  // A rival then still asks the quickly restarted voter, with the first
  // candidate not there to win, so an elector that forgot its vote votes
  // twice (Raft's --bug forget-vote; measured 16 of 20 seeds x 60 s).
  kContested,
  // A leader-elect's epoch (loss races): the candidate and the next vote's
  // voter are back after 2-3.5 s, and the link fault ends 1.5-1.9 s in. A
  // leader-elect killed as its first follower accepts its epoch (the others
  // not reached on a lossy link), both kept away while the rest elect on
  // clean links, lets the next leader choose that same epoch from followers
  // that never saw it, which ZAB's --bug accept-old-epoch acks on their
  // return. Kept away, the first voter is no longer there to vote twice, so
  // delay races do not do this.
  kKeepAway,
};

// An election race from draw.t (race.cc): `link`, a start op of a link fault
// on every pair (its offset is set here), held max(2 s, 0.6-1.4 intervals)
// (kKeepAway: 1.5-1.9 s) and ended by `link_end`; the leader killed 0.3 s in
// (back after 0.5-1.5 s); and kills armed then, until shortly before the link
// fault ends, for the next vote: one of its candidate and as `shape` says
// (kContested: one of its voter once the term is contested, `rival`, back
// after 20-60 ms). Returns when the next cycle starts, or nullopt, having
// drawn and pushed nothing more than the random numbers, when it does not fit
// before draw.end.
std::optional<double> DrawElectionRace(CycleDraw& draw, Op link, OpKind link_end,
                                       RaceShape shape);

// ---- Fields shared by several kinds (fields.cc).

// "grudge" (+ "components" or "drops"), or "grouping".
void ReadGrudge(const EntryReader& in, Op& op);
void WriteGrudge(const Op& op, nlohmann::json& out);

// "target" (+ "node" for the node target) of a process, bandwidth or clock
// op. Only when `voter_ok` may it be "voter".
void ReadTarget(const EntryReader& in, Op& op, bool voter_ok);
void WriteTarget(const Op& op, nlohmann::json& out);

// "target" pair/into/all (the default)/pairs, + "node" or "pairs", of a
// per-packet fault.
void ReadPairTarget(const EntryReader& in, Op& op);
void WritePairTarget(const Op& op, nlohmann::json& out);

// The optional "node" of a restart, resume or end op (empty: every node).
void ReadOptionalNode(const EntryReader& in, Op& op);
void WriteOptionalNode(const Op& op, nlohmann::json& out);

// [["n1","n2"],...].
nlohmann::json PairsJson(const std::vector<std::pair<std::string, std::string>>& pairs);

// ---- Resolving targets (targets.cc).

bool Contains(const std::vector<std::string>& list, const std::string& item);

// Throws std::invalid_argument ("nemesis: unknown node n9") for a node
// outside the cluster.
void CheckKnown(const ClusterView& view, const std::string& node);

// The leader when it is known and in `pool`, else a random node of `pool`
// with `fallback` noted; nullopt when `pool` is empty.
std::optional<std::string> LeaderOrRandom(const ClusterView& view,
                                          const std::vector<std::string>& pool,
                                          std::mt19937_64& rng, std::string& fallback);

// The directed pairs out.op's pair target hits, in a stable order (sets
// out.node for an into target, out.skipped when there is no pair).
std::vector<std::pair<std::string, std::string>> ResolvePairs(ResolvedOp& out,
                                                              const ClusterView& view,
                                                              std::mt19937_64& rng);

// Describes an op that hits a share of the packets of some directed pairs
// (loss, duplicate): its target, node, percent and the pairs of out.loss.
void DescribePairShare(const ResolvedOp& resolved, nlohmann::json& out);

// out.victims for a minority, majority or all target among `pool` (sized
// against the whole cluster, so a majority is a majority of N).
void ResolveGroup(ResolvedOp& out, const ClusterView& view, const std::vector<std::string>& pool,
                  std::mt19937_64& rng);
bool IsGroup(KillTarget target);

// The target of an op that needs no running process (bandwidth, clock).
void ResolveAnyNode(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng);
// The target of a kill or term among live nodes. A voter target makes the op
// await a vote when `may_await_voter` (a kill), and is skipped otherwise.
void ResolveLiveTarget(ResolvedOp& out, const ClusterView& view, std::mt19937_64& rng,
                       bool may_await_voter);
// The optional node of an end op: it must belong to the cluster.
void ResolveOptionalNode(ResolvedOp& out, const ClusterView& view);

// Describe() of a term, bandwidth or clock: the op's own fields (its target
// and parameters), then the resolved "node" or "victims".
void DescribeSpecAndTargets(const ResolvedOp& resolved, nlohmann::json& out);

// ---- Rebuilding applied entries (applied.cc).

// One op per node the entry hit ("victims", or its one "node"), each
// targeting that node by name and waiting for no voter.
void RebuildPerVictim(const Op& op, const nlohmann::json& applied, const std::string& where,
                      std::vector<Op>& out);
// One op per node of the entry's "nodes" (a restart or resume), each naming it.
void RebuildPerNode(const Op& op, const nlohmann::json& applied, const std::string& where,
                    std::vector<Op>& out);
// The entry's resolved "pairs" of a per-packet fault.
nlohmann::json AppliedPairs(const nlohmann::json& applied, const std::string& where);
// Rebuilds a per-packet start op (delay, duplicate) to hit exactly the pairs
// it hit when recorded: target "pairs" with the entry's pairs.
void RebuildAsPairs(const Op& op, const nlohmann::json& applied, const std::string& where,
                    std::vector<Op>& out);

// ---- A shape two kinds share.

// A fault on nodes whose process need not run (bandwidth, clock): its start
// hits any node or group, its end op (EndOp()) one node or every node, and a
// recorded start replays once per victim.
class AnyNodeFault : public FaultKind {
 public:
  void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const override {
    if (out.op.kind == EndOp()) {
      ResolveOptionalNode(out, view);
    } else {
      ResolveAnyNode(out, view, rng);
    }
  }
  void Describe(const ResolvedOp& resolved, nlohmann::json& out) const override {
    if (resolved.op.kind != EndOp()) {
      DescribeSpecAndTargets(resolved, out);
    } else if (!resolved.node.empty()) {
      out["node"] = resolved.node;
    }
  }
  void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
               std::vector<Op>& out) const override {
    if (op.kind == EndOp()) {
      out.push_back(op);
    } else {
      RebuildPerVictim(op, applied, where, out);
    }
  }
};

}  // namespace schism::nemesis::faults
