#pragma once
// Quorum leader leases with fencing tokens, as a pure state machine behind
// nodes/elector.h.
//
// Protocol. A node whose election timeout expires becomes a candidate: it
// raises its term, grants itself, and sends "lease-request" (term, round,
// lease_ms) to every peer. A node grants ("lease-grant", granted true) when
//   * the term is not older than the term of its last grant,
//   * it never granted this term to another holder, and
//   * it holds no unexpired grant to another holder (its own clock, in ticks).
// A granted request binds the granter for lease_ms + margin_ms from the moment
// it was received (plus one tick for rounding). A candidate with grants from a
// majority (itself included) for one round leads: it reports role leader and a
// "lease" event whose token is its term and whose lease_ms is what is left of
// lease_ms - margin_ms counted from when it *sent* the round (minus one tick),
// so its claim ends before any granter's promise does. It renews every
// renew_ms with a new round (requests marked "leader"); each renewal that
// reaches a majority prints a new lease event with the same token. When no
// renewal succeeds, it steps down one tick before its lease ends. A candidate
// whose round gets no majority within its election timeout gives up its
// self-grant (unless a lease it held still binds it) and waits another timeout.
//
// Fencing. The token is the leader's term. Two holders' quorums share a
// granter, which grants one holder per term and never an older term, so a new
// holder's term, and token, is greater than its predecessor's.
//
// Drift bound. A new quorum forms only after the old holder's granters have
// counted lease_ms + margin_ms, while the old holder claims at most lease_ms -
// margin_ms from before those granters heard it. With every node's tick clock
// running at a rate within a factor (1 +- rho) of real time, leases never
// overlap as long as rho < margin_ms / lease_ms (defaults: 100 / 1000, i.e.
// 10 %, or 100000 ppm); the strict inequality leaves room for the time the
// controller takes to read a lease line. A node that is paused, or whose
// clock is skewed beyond the bound (the clock nemesis), may overlap: that is
// the limit of leases, and what fencing tokens are for.
//
// Durable state: {"term":T,"grantee":"n2","leaseMs":1000}, the node's term
// and its last grant in it (grantee null when it granted nothing, itself when
// it campaigned). It is written before any grant or request of that term
// leaves. A restarted node does not know when it granted, so it honours its
// last grant for a whole lease_ms + margin_ms from its restart.
//
// Role events carry the term; followers name a leader once its renewal
// reached them. Each new grant (and a candidate's grant to itself) prints a
// vote event. Not thread-safe: the caller serializes all calls.

#include <cstdint>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nodes/elector.h"

namespace schism::nodes::lease {

// Deliberate defects, off by default.
enum class Bug {
  kNone,
  // The leader claims and acts on 3 x lease_ms (less the margin) while its
  // granters promised lease_ms only, so its claim overlaps the next holder's.
  kLongLease,
  // A new holder does not take its term as token but reuses the token of the
  // last leader whose renewal it granted (0 if none since it started), so the
  // token never grows.
  kNoFencing,
};

// The message types on the wire.
// {"term":T,"round":R,"lease_ms":D,"leader":false,"token":0}: grant me a
// lease of D ms in term T; "leader" is true on a leader's renewals, which
// carry its fencing token (0 from a candidate).
inline constexpr std::string_view kRequest = "lease-request";
// {"term":T,"round":R,"granted":true}: the answer to round R; when rejected,
// "term" is the granter's own term.
inline constexpr std::string_view kGrant = "lease-grant";

struct Config {
  std::string id;                  // This node's id, e.g. "n1".
  std::vector<std::string> peers;  // The other nodes' ids (not including id).
  int tick_ms = 10;                // The length of one Tick().
  std::int64_t lease_ms = 1000;    // The lease a leader asks for.
  std::int64_t margin_ms = 100;    // Drift allowance; margin_ms < lease_ms.
  int renew_ticks = 25;            // A leader starts a renewal round this often.
  // The election timeout, drawn uniformly from [min, max] each time it is
  // reset: how long a free follower waits before it campaigns, and how long a
  // candidate waits for a majority.
  int election_min_ticks = 15;
  int election_max_ticks = 30;
  Bug bug = Bug::kNone;
  std::uint64_t seed = 0;  // Seeds the node's own RNG (election timeouts).
};

// What a node persists.
struct HardState {
  std::uint64_t term = 0;
  std::string grantee;        // Empty when the node granted nothing in term.
  std::int64_t lease_ms = 0;  // The lease it granted.

  friend bool operator==(const HardState&, const HardState&) = default;
};

class Lease final : public Elector {
 public:
  enum class Role { kFollower, kCandidate, kLeader };

  // Builds a follower from `restored` ({} for a fresh node); the first Ready
  // carries its role event. Requires a non-empty id, 0 <= margin_ms <
  // lease_ms, positive tick counts and election_min_ticks <=
  // election_max_ticks (asserted).
  Lease(Config config, HardState restored);

  void Tick() override;
  bool Step(const Envelope& message) override;
  ElectorReady TakeReady() override;
  bool HasReady() const override { return !ready_.empty(); }

  Role role() const { return role_; }
  std::uint64_t term() const { return state_.term; }
  // The leader this node believes in (itself when leading); empty when unknown.
  const std::string& leader() const { return leader_; }
  // Leader: the fencing token of its lease; 0 otherwise.
  std::uint64_t token() const { return token_; }
  // Leader: the tick (of this node's clock) at which its claim ends.
  std::int64_t lease_end() const { return lease_end_; }
  // The tick until which this node's last grant binds it.
  std::int64_t grant_until() const { return grant_until_; }
  // Ticks since the node started.
  std::int64_t now() const { return now_; }

 private:
  struct Round {
    std::uint64_t id = 0;
    std::int64_t sent_at = 0;
    std::set<std::string> grants;  // Self included.
  };

  int Quorum() const { return static_cast<int>(config_.peers.size() + 1) / 2 + 1; }
  bool IsPeer(const std::string& id) const;
  // Ticks a grant of `lease_ms` binds its granter after the request arrived.
  std::int64_t HoldTicks(std::int64_t lease_ms) const;
  // Ticks a leader may claim after sending a round that reaches a majority.
  std::int64_t ClaimTicks() const;
  void ResetElectionTimer(std::int64_t from);

  void Campaign();
  void GiveUp();
  void BecomeFollower(std::string leader);
  void BecomeLeader();
  void SendRound();
  // Holds a round that reached a majority: extends and reports the lease.
  void Extend(const Round& round);

  void HandleRequest(const Envelope& m, std::uint64_t term, std::uint64_t round,
                     std::int64_t lease_ms, bool from_leader, std::uint64_t token);
  void HandleGrant(const Envelope& m, std::uint64_t term, std::uint64_t round, bool granted);
  bool MayGrant(const std::string& holder, std::uint64_t term) const;
  // Records a grant of `term` to `holder` (itself included), persisting and
  // reporting it when it is new.
  void Grant(const std::string& holder, std::uint64_t term, std::int64_t lease_ms);

  void Persist();
  void ReportRoleIfChanged();

  const Config config_;
  std::mt19937_64 rng_;

  HardState state_;
  Role role_ = Role::kFollower;
  std::string leader_;
  std::int64_t now_ = 0;
  std::int64_t grant_until_ = 0;         // The last grant binds until this tick.
  std::int64_t own_lease_guard_ = 0;     // A lease this node held binds it until here.
  std::int64_t election_deadline_ = 0;   // Follower: campaign; candidate: give up.
  std::uint64_t highest_seen_ = 0;       // The highest term in any rejection.
  std::uint64_t last_leader_token_ = 0;  // The token of the last leader it renewed.

  Round round_;
  std::uint64_t next_round_ = 1;
  std::uint64_t last_held_round_ = 0;
  std::uint64_t token_ = 0;
  std::int64_t lease_end_ = 0;

  ElectorReady ready_;
  std::optional<ContractEvent> last_role_event_;
};

// The state file's JSON; FromJson returns false with *why set to one line when
// `json` is not such a state.
Json ToJson(const HardState& state);
bool FromJson(const Json& json, HardState* state, std::string* why);

// The table's hooks (nodes/electors.cc); see ElectorSpec.
std::string CheckSetup(const ElectorSetup& setup);
std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error);

}  // namespace schism::nodes::lease
