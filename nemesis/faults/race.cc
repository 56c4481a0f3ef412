// Election races: a link fault of every pair with kills inside it, drawn by
// the delay and loss kinds when kill is on (faults.h).
#include <algorithm>
#include <utility>

#include "nemesis/faults/faults.h"

namespace schism::nemesis::faults {
namespace {

// The leader dies this long after the links degraded, so that the link fault
// is in force (and proven) when the election starts.
constexpr double kRaceKillAfter = 0.3;

Op RaceKill(double t, KillTarget target, double restart_after) {
  Op kill;
  kill.offset_s = Millis(t);
  kill.kind = OpKind::kKill;
  kill.target = target;
  kill.restart_after_s = Millis(restart_after);
  return kill;
}

}  // namespace

std::optional<double> DrawElectionRace(CycleDraw& draw, Op link, OpKind link_end,
                                       RaceShape shape) {
  const bool keep_away = shape == RaceShape::kKeepAway;
  // Kept away, the link fault ends soon after the first election (1.5-1.9 s):
  // the next leader then settles on clean links in the epoch it chose, and
  // is still in it when the pair kept away comes back.
  const double stretch = UniformReal(draw.rng, 0.6, 1.4);
  const double hold = keep_away ? 1.2 + 0.5 * stretch : std::max(2.0, draw.interval * stretch);
  const double kill_at = draw.t + kRaceKillAfter;
  const double voter_wait = Millis(hold - kRaceKillAfter - 0.2);
  const double leader_back = UniformReal(draw.rng, 0.5, 1.5);
  const double voter_back = UniformReal(draw.rng, 0.02, 0.06);
  // Kept away, the candidate and its first voter are back well after the
  // leader (0.5-1.5 s) and the election that follows: both know the epoch
  // the candidate chose, which the next leader must not see.
  const double candidate_back =
      keep_away ? UniformReal(draw.rng, 2.0, 3.5) : UniformReal(draw.rng, 0.5, 1.5);
  // The voter of a contested vote is back at once, for the rival to ask
  // again; kept away, the first voter is back with the candidate.
  const double voter_restart = keep_away ? UniformReal(draw.rng, 2.0, 3.5) : voter_back;
  if (voter_wait < 0.5 || draw.t + hold >= draw.end ||
      kill_at + std::max({leader_back, voter_wait + candidate_back, voter_wait + voter_restart}) >=
          draw.end) {
    return std::nullopt;
  }
  link.offset_s = Millis(draw.t);
  draw.ops.push_back(std::move(link));
  draw.ops.push_back(RaceKill(kill_at, KillTarget::kLeader, leader_back));
  Op candidate = RaceKill(kill_at, KillTarget::kCandidate, candidate_back);
  candidate.voter_wait_s = voter_wait;
  draw.ops.push_back(candidate);
  Op voter = RaceKill(kill_at, KillTarget::kVoter, voter_restart);
  voter.voter_wait_s = voter_wait;
  // Kept away, the first vote's voter, rival or not: what matters is the
  // epoch it accepted, not a second vote.
  voter.rival = !keep_away;
  draw.ops.push_back(voter);
  draw.ops.push_back(Simple(link_end, Millis(draw.t + hold)));
  return draw.t + hold + draw.interval * UniformReal(draw.rng, 0.5, 1.5);
}

}  // namespace schism::nemesis::faults
