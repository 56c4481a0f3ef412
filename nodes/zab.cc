#include "nodes/zab.h"

#include <algorithm>
#include <cassert>
#include <utility>

namespace schism::nodes::zab {
namespace {

constexpr std::string_view kLooking = "looking";
constexpr std::string_view kFollowing = "following";
constexpr std::string_view kLeading = "leading";

bool Outranks(std::string_view a, std::string_view b) {
  return a.size() != b.size() ? a.size() > b.size() : a > b;
}

std::string_view StateName(Zab::State state) {
  switch (state) {
    case Zab::State::kFollowing:
      return kFollowing;
    case Zab::State::kLeading:
      return kLeading;
    case Zab::State::kLooking:
      break;
  }
  return kLooking;
}

std::optional<Zab::State> ParseState(std::string_view name) {
  if (name == kLooking) return Zab::State::kLooking;
  if (name == kFollowing) return Zab::State::kFollowing;
  if (name == kLeading) return Zab::State::kLeading;
  return std::nullopt;
}

// The unsigned field `name` of `json`, or nullopt when absent or not unsigned.
std::optional<std::uint64_t> Unsigned(const Json& json, std::string_view name) {
  const auto it = json.find(name);
  if (it == json.end() || !it->is_number_unsigned()) return std::nullopt;
  return it->get<std::uint64_t>();
}

std::optional<std::string> String(const Json& json, std::string_view name) {
  const auto it = json.find(name);
  if (it == json.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

Json VoteJson(const Vote& vote) {
  return {{"leader", vote.leader}, {"zxid", vote.zxid}, {"epoch", vote.epoch}};
}

std::optional<Vote> ParseVote(const Json& json) {
  const auto leader = String(json, "leader");
  const auto zxid = Unsigned(json, "zxid");
  const auto epoch = Unsigned(json, "epoch");
  if (!leader || !zxid || !epoch) return std::nullopt;
  return Vote{*leader, *zxid, *epoch};
}

}  // namespace

bool Better(const Vote& a, const Vote& b) {
  if (a.epoch != b.epoch) return a.epoch > b.epoch;
  if (a.zxid != b.zxid) return a.zxid > b.zxid;
  return Outranks(a.leader, b.leader);
}

// ---- durable state ----

Json ToJson(const Durable& d) {
  Json json = {{"acceptedEpoch", d.accepted_epoch},
               {"currentEpoch", d.current_epoch},
               {"ackedLeader", nullptr},
               {"lastZxid", d.last_zxid},
               {"round", d.round},
               {"vote", VoteJson(d.vote)}};
  if (!d.acked_leader.empty()) json["ackedLeader"] = d.acked_leader;
  return json;
}

bool FromJson(const Json& json, Durable* durable, std::string* why) {
  if (!json.is_object()) {
    *why = "not a JSON object";
    return false;
  }
  Durable d;
  for (auto [name, field] : {std::pair{"acceptedEpoch", &d.accepted_epoch},
                             {"currentEpoch", &d.current_epoch},
                             {"lastZxid", &d.last_zxid},
                             {"round", &d.round}}) {
    const auto value = Unsigned(json, name);
    if (!value) {
      *why = std::string("\"") + name + "\" is not an unsigned integer";
      return false;
    }
    *field = *value;
  }
  const auto acked = json.find("ackedLeader");
  if (acked == json.end() || !(acked->is_null() || acked->is_string())) {
    *why = "\"ackedLeader\" is neither a string nor null";
    return false;
  }
  if (acked->is_string()) d.acked_leader = acked->get<std::string>();
  const auto vote = json.find("vote");
  const auto parsed = vote == json.end() ? std::nullopt : ParseVote(*vote);
  if (!parsed) {
    *why = "\"vote\" is not {\"leader\",\"zxid\",\"epoch\"}";
    return false;
  }
  d.vote = *parsed;
  *durable = std::move(d);
  return true;
}

// ---- basics ----

Zab::Zab(Config config, Durable restored)
    : config_(std::move(config)), rng_(config_.seed), durable_(std::move(restored)) {
  assert(!config_.id.empty());
  assert(config_.heartbeat_ticks >= 1 && config_.finalize_ticks >= 1);
  assert(config_.leader_timeout_min_ticks >= 1);
  assert(config_.leader_timeout_min_ticks <= config_.leader_timeout_max_ticks);
  persisted_ = ToJson(durable_);  // Already on disk (or nothing to lose).
  StartLooking();
}

bool Zab::IsPeer(const std::string& id) const {
  return std::find(config_.peers.begin(), config_.peers.end(), id) != config_.peers.end();
}

std::size_t Zab::Quorum() const {
  const std::size_t nodes = config_.peers.size() + 1;
  if (config_.bug == Bug::kNoQuorum) return std::min<std::size_t>(2, nodes);
  return nodes / 2 + 1;
}

Vote Zab::SelfVote() const { return {config_.id, durable_.last_zxid, durable_.current_epoch}; }

void Zab::ResetLeaderTimeout() {
  elapsed_ = 0;
  leader_timeout_ =
      DrawTicks(rng_, config_.leader_timeout_min_ticks, config_.leader_timeout_max_ticks);
}

ElectorReady Zab::TakeReady() {
  FlushBroadcast();
  ElectorReady out = std::move(ready_);
  ready_ = ElectorReady{};
  return out;
}

// ---- time ----

void Zab::Tick() {
  ++now_;
  ++elapsed_;
  const int interval = state_ == State::kLooking ? resend_ticks_ : config_.heartbeat_ticks;
  const bool heartbeat = ++heartbeat_elapsed_ >= interval;
  if (heartbeat) heartbeat_elapsed_ = 0;
  switch (state_) {
    case State::kLooking:
      if (finalize_elapsed_ && ++*finalize_elapsed_ >= config_.finalize_ticks) {
        finalize_elapsed_.reset();
        // No better vote came in the window (it would have restarted it).
        if (QuorumVotesFor(durable_.vote)) {
          Decide(durable_.vote);
          return;
        }
      }
      if (heartbeat) {
        BroadcastNotification();  // Datagrams get lost: say it again.
        resend_ticks_ = std::min(2 * resend_ticks_, std::max(config_.resend_max_ticks,
                                                             config_.heartbeat_ticks));
      }
      break;
    case State::kFollowing:
      if (elapsed_ >= leader_timeout_) {
        StartLooking();  // The leader is gone, or never got its quorum.
      } else if (heartbeat && !established_) {
        Send(kFollowerInfo, leader_, {{"epoch", durable_.accepted_epoch}});
      }
      break;
    case State::kLeading:
      if (heartbeat && established_) {
        for (const std::string& follower : acks_) {
          if (follower != config_.id) SendPing(follower);
        }
      }
      TickLeader();
      break;
  }
}

void Zab::TickLeader() {
  if (!established_) {
    if (elapsed_ >= leader_timeout_) StartLooking();  // No quorum followed this node.
  } else if (!HearsQuorum()) {
    StartLooking();  // Cut off from a quorum: another leader may be elected.
  }
}

bool Zab::HearsQuorum() const {
  std::size_t heard = 1;  // Itself.
  for (const auto& [follower, when] : last_heard_) {
    if (now_ - when < config_.leader_timeout_min_ticks) ++heard;
  }
  return heard >= Quorum();
}

// ---- messages ----

bool Zab::Step(const Envelope& m) {
  const Json& f = m.fields;
  const auto epoch = Unsigned(f, "epoch");
  if (m.type == kNotification) {
    const auto vote = ParseVote(f);
    const auto round = Unsigned(f, "round");
    const auto state = String(f, "state");
    const auto parsed_state = state ? ParseState(*state) : std::nullopt;
    if (!vote || !round || !parsed_state) return false;
    if (IsPeer(m.from)) OnNotification(m.from, {*vote, *round, *parsed_state});
    return true;
  }
  if (m.type == kPing) {
    const auto zxid = Unsigned(f, "zxid");
    if (!epoch || !zxid) return false;
    if (IsPeer(m.from)) OnPing(m.from, *epoch, *zxid);
    return true;
  }
  using Handler = void (Zab::*)(const std::string&, std::uint64_t);
  const std::pair<std::string_view, Handler> handlers[] = {
      {kFollowerInfo, &Zab::OnFollowerInfo},
      {kLeaderInfo, &Zab::OnLeaderInfo},
      {kAckEpoch, &Zab::OnAckEpoch},
      {kPingAck, &Zab::OnPingAck},
  };
  for (const auto& [type, handler] : handlers) {
    if (m.type != type) continue;
    if (!epoch) return false;
    if (IsPeer(m.from)) (this->*handler)(m.from, *epoch);
    return true;
  }
  return false;
}

// ---- election ----

void Zab::StartLooking() {
  state_ = State::kLooking;
  leader_.clear();
  established_ = false;
  received_.clear();
  out_of_election_.clear();
  finalize_elapsed_.reset();
  infos_.clear();
  new_epoch_.reset();
  acks_.clear();
  last_heard_.clear();
  ++durable_.round;
  durable_.vote = SelfVote();
  Persist();
  ReportRoleIfChanged();
  heartbeat_elapsed_ = 0;
  resend_ticks_ = config_.heartbeat_ticks;
  BroadcastNotification();
  if (QuorumVotesFor(durable_.vote)) finalize_elapsed_ = 0;  // A cluster of one.
}

void Zab::OnNotification(const std::string& from, const Notification& n) {
  if (state_ != State::kLooking) {
    // Tell a looking peer whom this node follows, so it can join.
    if (n.state == State::kLooking) SendNotification(from);
    return;
  }
  if (n.state == State::kLooking) {
    OnLookingPeer(from, n);
  } else {
    OnDecidedPeer(from, n);
  }
}

void Zab::OnLookingPeer(const std::string& from, const Notification& n) {
  if (n.round < durable_.round) {
    SendNotification(from);  // It is behind: show it the current round.
    return;
  }
  if (n.round > durable_.round) {
    // A newer election: what this node heard in its round is stale.
    durable_.round = n.round;
    received_.clear();
    finalize_elapsed_.reset();
    Propose(Better(n.vote, SelfVote()) ? n.vote : SelfVote());
  } else if (Better(n.vote, durable_.vote)) {
    Propose(n.vote);
  }
  received_[from] = n.vote;
  if (!finalize_elapsed_ && QuorumVotesFor(durable_.vote)) finalize_elapsed_ = 0;
}

void Zab::OnDecidedPeer(const std::string& from, const Notification& n) {
  out_of_election_[from] = n;
  std::size_t agree = 0;
  for (const auto& [peer, other] : out_of_election_) agree += other.vote == n.vote ? 1 : 0;
  // Follow only a leader that says it leads, backed by a quorum.
  const auto leader = out_of_election_.find(n.vote.leader);
  const bool leads = leader != out_of_election_.end() && leader->second.state == State::kLeading &&
                     leader->second.vote == n.vote;
  if (agree < Quorum() || !leads || n.vote.leader == config_.id) return;
  // A leader this node found stale stays stale until it is re-elected (with a
  // new vote): joining it again would only loop through rejections.
  if (rejected_ == n.vote) return;
  durable_.round = n.round;
  Decide(n.vote);
}

bool Zab::QuorumVotesFor(const Vote& vote) const {
  std::size_t votes = durable_.vote == vote ? 1 : 0;  // Its own.
  for (const auto& [peer, other] : received_) votes += other == vote ? 1 : 0;
  return votes >= Quorum();
}

void Zab::Propose(const Vote& vote) {
  durable_.vote = vote;
  resend_ticks_ = config_.heartbeat_ticks;  // A new vote: re-send it soon, in case it is lost.
  finalize_elapsed_.reset();  // A better vote restarts the finalize window.
  Persist();
  BroadcastNotification();
}

void Zab::Decide(const Vote& vote) {
  rejected_.reset();
  durable_.vote = vote;
  Persist();
  received_.clear();
  out_of_election_.clear();
  finalize_elapsed_.reset();
  leader_ = vote.leader;
  ResetLeaderTimeout();
  if (leader_ == config_.id) {
    state_ = State::kLeading;
    infos_ = {{config_.id, durable_.accepted_epoch}};
    MaybeProposeEpoch();
  } else {
    state_ = State::kFollowing;
    ReportRoleIfChanged();
    Send(kFollowerInfo, leader_, {{"epoch", durable_.accepted_epoch}});
  }
}

// ---- discovery ----

void Zab::OnFollowerInfo(const std::string& from, std::uint64_t accepted_epoch) {
  if (state_ != State::kLeading) return;
  if (!new_epoch_) {
    infos_[from] = accepted_epoch;
    MaybeProposeEpoch();
  } else {
    // A late or repeated info: the epoch is chosen, the follower judges it.
    Send(kLeaderInfo, from, {{"epoch", *new_epoch_}});
  }
}

void Zab::MaybeProposeEpoch() {
  if (new_epoch_ || infos_.size() < Quorum()) return;
  std::uint64_t highest = 0;
  for (const auto& [node, epoch] : infos_) highest = std::max(highest, epoch);
  new_epoch_ = highest + 1;  // Greater than any epoch a quorum accepted.
  durable_.accepted_epoch = *new_epoch_;
  durable_.acked_leader = config_.id;
  Persist();
  ready_.events.push_back(ContractEvent::Vote(*new_epoch_, config_.id));
  acks_ = {config_.id};
  for (const auto& [node, epoch] : infos_) {
    if (node != config_.id) Send(kLeaderInfo, node, {{"epoch", *new_epoch_}});
  }
  MaybeEstablish();
}

bool Zab::MayAck(const std::string& leader, std::uint64_t epoch) const {
  if (config_.bug == Bug::kAcceptOldEpoch) return true;
  return epoch > durable_.accepted_epoch ||
         (epoch == durable_.accepted_epoch && durable_.acked_leader == leader);
}

void Zab::OnLeaderInfo(const std::string& from, std::uint64_t epoch) {
  if (state_ != State::kFollowing || from != leader_ || established_) return;
  if (!MayAck(from, epoch)) {
    const Vote stale = durable_.vote;
    StartLooking();  // A stale leader: ZooKeeper's follower gives up on it too.
    rejected_ = stale;
    return;
  }
  if (epoch != durable_.accepted_epoch || durable_.acked_leader != from) {
    durable_.accepted_epoch = epoch;
    durable_.acked_leader = from;
    Persist();  // Before the ack leaves: the promise must survive a restart.
    ready_.events.push_back(ContractEvent::Vote(epoch, from));
  }
  Send(kAckEpoch, from, {{"epoch", epoch}});
}

void Zab::OnAckEpoch(const std::string& from, std::uint64_t epoch) {
  if (state_ != State::kLeading || new_epoch_ != epoch) return;
  acks_.insert(from);
  last_heard_[from] = now_;
  if (established_) {
    SendPing(from);  // A late follower: sync it now.
  } else {
    MaybeEstablish();
  }
}

void Zab::MaybeEstablish() {
  if (established_ || acks_.size() < Quorum()) return;
  established_ = true;
  durable_.current_epoch = *new_epoch_;
  durable_.last_zxid = *new_epoch_ << 32;  // The new epoch's first zxid.
  Persist();
  ReportRoleIfChanged();
  for (const std::string& follower : acks_) {
    if (follower == config_.id) continue;
    last_heard_[follower] = now_;
    SendPing(follower);
  }
}

// ---- liveness ----

void Zab::OnPing(const std::string& from, std::uint64_t epoch, std::uint64_t zxid) {
  // Only the leader this node acked, in the epoch it acked, keeps it following.
  if (state_ != State::kFollowing || from != leader_ || epoch != durable_.accepted_epoch ||
      durable_.acked_leader != from) {
    return;
  }
  ResetLeaderTimeout();
  if (!established_) {
    established_ = true;
    durable_.current_epoch = epoch;
    durable_.last_zxid = zxid;  // Synced: it has the leader's history.
    Persist();
    ReportRoleIfChanged();
  }
  Send(kPingAck, from, {{"epoch", epoch}});
}

void Zab::OnPingAck(const std::string& from, std::uint64_t epoch) {
  if (state_ != State::kLeading || !established_ || epoch != durable_.current_epoch) return;
  if (acks_.count(from)) last_heard_[from] = now_;
}

// ---- output ----

void Zab::SendNotification(const std::string& to) {
  Json fields = VoteJson(durable_.vote);
  fields["round"] = durable_.round;
  fields["state"] = StateName(state_);
  Send(kNotification, to, std::move(fields));
}

void Zab::SendPing(const std::string& to) {
  Send(kPing, to, {{"epoch", durable_.current_epoch}, {"zxid", durable_.last_zxid}});
}

void Zab::BroadcastNotification() { broadcast_pending_ = true; }

void Zab::FlushBroadcast() {
  if (!broadcast_pending_) return;
  broadcast_pending_ = false;
  for (const std::string& peer : config_.peers) SendNotification(peer);
}

void Zab::Send(std::string_view type, const std::string& to, Json fields) {
  ready_.messages.push_back(Envelope{config_.id, to, std::string(type), std::move(fields)});
}

void Zab::Persist() {
  Json json = ToJson(durable_);
  if (persisted_ && *persisted_ == json) return;
  persisted_ = json;
  ready_.state = std::move(json);
}

void Zab::ReportRoleIfChanged() {
  ContractEvent event =
      ContractEvent::RoleChange(ContractEvent::Role::kCandidate, durable_.accepted_epoch, "");
  if (state_ == State::kFollowing) {
    event.role = ContractEvent::Role::kFollower;
    if (established_) event.node = leader_;  // Named only once the leader proved itself.
  } else if (state_ == State::kLeading && established_) {
    event.role = ContractEvent::Role::kLeader;
    event.node = config_.id;
  }
  nodes::ReportRoleIfChanged(std::move(event), last_role_event_, ready_);
}

// ---- the table's hooks ----

std::string CheckSetup(const ElectorSetup& setup) {
  std::string error = CheckNotAbove(setup, "leader-timeout-min-ms", "leader-timeout-max-ms");
  if (error.empty()) error = CheckShorter(setup, "heartbeat-ms", "leader-timeout-min-ms");
  // Else a follower gives up on its leader before the leader could decide.
  if (error.empty()) error = CheckShorter(setup, "finalize-ms", "leader-timeout-min-ms");
  return error;
}

std::unique_ptr<Elector> Make(const ElectorSetup& setup, const std::optional<Json>& restored,
                              std::string* error) {
  Durable durable;
  if (restored && !FromJson(*restored, &durable, error)) return nullptr;
  Config config;
  config.id = setup.id;
  config.peers = setup.peers;
  config.heartbeat_ticks = TicksFor(setup.option("heartbeat-ms"), setup.tick_ms);
  config.finalize_ticks = TicksFor(setup.option("finalize-ms"), setup.tick_ms);
  config.resend_max_ticks = TicksFor(setup.option("resend-max-ms"), setup.tick_ms);
  config.leader_timeout_min_ticks = TicksFor(setup.option("leader-timeout-min-ms"), setup.tick_ms);
  config.leader_timeout_max_ticks = TicksFor(setup.option("leader-timeout-max-ms"), setup.tick_ms);
  config.bug = setup.bug == "accept-old-epoch" ? Bug::kAcceptOldEpoch
               : setup.bug == "no-quorum"      ? Bug::kNoQuorum
                                               : Bug::kNone;
  assert(setup.bug.empty() || config.bug != Bug::kNone);  // The table names no other bug.
  config.seed = setup.seed;
  return std::make_unique<Zab>(std::move(config), std::move(durable));
}

}  // namespace schism::nodes::zab
