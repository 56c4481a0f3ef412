#pragma once
// One descriptor per fault kind: everything the pure nemesis layer knows
// about a kind, in one object.
//
// A fault kind (partition, loss, kill, ...) is a nemesis name for --nemesis,
// the ops it owns in timelines, how a generated schedule draws it, how its
// ops resolve against the cluster, how their timeline entries are read and
// written, how a recorded entry is rebuilt for replay, and its rows of --help
// and docs/nemesis.md. Each kind is one file under nemesis/faults/, and
// AllFaultKinds() (nemesis/faults/list.cc) is the one list that Generate,
// Resolve, Describe, the timeline codec, FromAppliedTimeline, EndsFaults,
// kNemesisNames, `schism run --help` and the docs table all read. Adding a
// kind is a file (plus its CMake line), a line in that list (plus its
// accessor's declaration in faults/faults.h), its OpKind values appended to
// the enum, and its mechanism: a file and a line in harness/faults/list.cc.
//
// Descriptors are stateless and immutable; AllFaultKinds() owns them for the
// whole program. They apply nothing: each kind's mechanism in
// harness/faults/ does (apply, verify, undo), on the OS mechanisms here
// (nft.h, cgroup.h, clock.h, ...); their words here (FaultDoc) are
// documentation only.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "nemesis/schedule.h"

namespace schism::nemesis {

struct ClusterView;  // resolve.h
struct ResolvedOp;   // resolve.h
class EntryReader;   // entry_reader.h: one timeline entry being read

// One op that a kind owns: its name in timelines and histories, and the
// fields its timeline entry may carry besides "t" and "f", in the order a
// did-you-mean suggestion prefers them (a field's input-only spellings, such
// as "grouping", count). Any other field of an entry is an error.
struct OpSpec {
  OpKind kind;
  std::string_view name;
  std::vector<std::string> fields;
};

// Where a kind's end op falls in the tail of a generated schedule (all at the
// start of the quiet period): by stage in this order, then in list order.
enum class TailStage {
  kCut,     // The network is whole again (heal).
  kLink,    // Per-packet faults are gone (loss-end, delay-end, ...).
  kClock,   // Clocks are true again.
  kPaused,  // Paused nodes run again.
  kDead,    // Dead nodes are started again.
};

struct TailSlot {
  TailStage stage = TailStage::kLink;
  // The end op is in every generated tail, whether the kind is on or not
  // (heal and restart always were); otherwise only when the kind is on.
  bool always = false;
};

// A kind's row of the ops table in docs/nemesis.md: plain markdown words (no
// "|"), never read by code.
struct FaultDoc {
  std::string_view fields;     // Its ops and their fields.
  std::string_view mechanism;  // What happens, and how the harness does it.
  std::string_view proof;      // What shows the fault took effect.
  std::string_view unknown;    // When whether it took effect is unknown.
};

// What one generated cycle draws from, and appends its ops to.
struct CycleDraw {
  std::mt19937_64& rng;
  std::vector<Op>& ops;                       // The schedule so far.
  double t = 0;                               // When this cycle starts.
  double end = 0;                             // The final heal: no fault reaches past it.
  double interval = 0;                        // ScheduleOptions::interval_s.
  std::size_t node_count = 0;                 // ScheduleOptions::node_count.
  const std::set<std::string>* on = nullptr;  // The enabled nemeses.

  bool IsOn(std::string_view name) const { return on->count(std::string(name)) > 0; }
};

class FaultKind {
 public:
  FaultKind() = default;
  FaultKind(const FaultKind&) = delete;
  FaultKind& operator=(const FaultKind&) = delete;
  virtual ~FaultKind() = default;

  // Its name for --nemesis and ScheduleOptions::nemeses, e.g. "loss".
  virtual std::string_view Name() const = 0;
  // Its share of a generated schedule's cycles when no weight is given
  // (renormalised over the enabled kinds).
  virtual double DefaultWeight() const = 0;
  // The op that starts this fault, and the op that ends it. The end op may
  // be another kind's: a flap ends with partition's heal, a term with kill's
  // restart.
  virtual OpKind StartOp() const = 0;
  virtual OpKind EndOp() const = 0;
  // The ops this kind owns, its start op first: every OpKind is owned by
  // exactly one kind, which reads, writes, resolves, describes and rebuilds
  // it.
  virtual std::vector<OpSpec> Ops() const = 0;
  // Where EndOp() falls in a generated schedule's tail.
  virtual TailSlot Tail() const = 0;
  // One line for `schism run --help`, e.g. "drop a share of packets".
  virtual std::string_view Help() const = 0;
  // Its row of the ops table in docs/nemesis.md.
  virtual FaultDoc Doc() const = 0;

  // Draws one cycle of this fault at draw.t: appends its ops (a fault and,
  // when it fits before draw.end, its end) and returns when the next cycle
  // starts. Called only when the kind is on.
  virtual double DrawCycle(CycleDraw& draw) const = 0;

  // The calls below get ops of a kind this descriptor owns only.

  // Reads the fields of `in` into `op`, whose kind and offset are set.
  // Unknown fields are rejected before (Ops()' fields); throws
  // std::invalid_argument through `in` for a missing or bad field.
  virtual void Read(const EntryReader& in, Op& op) const = 0;
  // Adds the op's fields to `out`, which holds "t" and "f" already, so that
  // Read gives `op` back.
  virtual void Write(const Op& op, nlohmann::json& out) const = 0;

  // Resolves out.op (out.op and out.nodes are set) against `view`: the
  // concrete targets, or out.skipped. Throws std::invalid_argument for a node
  // or value the cluster cannot have (resolve.h).
  virtual void Resolve(const ClusterView& view, std::mt19937_64& rng, ResolvedOp& out) const = 0;
  // Adds the resolved targets to `out`, which holds "f" already
  // (ResolvedOp::Describe adds "fallback" and "skipped").
  virtual void Describe(const ResolvedOp& resolved, nlohmann::json& out) const = 0;

  // Appends the ops that replay `op`, an entry of the harness's
  // timeline.json applied at op.offset_s, as `applied` (its Describe())
  // says it was resolved. Throws std::invalid_argument prefixed by `where`
  // for an `applied` that lacks what the kind needs.
  virtual void Rebuild(const Op& op, const nlohmann::json& applied, const std::string& where,
                       std::vector<Op>& out) const = 0;
};

// Every fault kind, in the order of kNemesisNames. Generated schedules pick
// among the enabled kinds in this order, so a new kind goes at the end and
// old seeds keep their schedules.
const std::vector<const FaultKind*>& AllFaultKinds();

// The kind named `name` (its Name()), or nullptr.
const FaultKind* FaultKindNamed(std::string_view name);

// The kind that owns op `kind`, or nullptr for a value no kind owns.
const FaultKind* OwnerOf(OpKind kind);

// The spec of op `kind` (its name and fields), from its owner's Ops(), or
// nullptr for a value no kind owns.
const OpSpec* SpecOf(OpKind kind);

// The op kinds some kind owns, in enum order.
std::vector<OpKind> AllOpKinds();

// The ops table of docs/nemesis.md (section "## Ops"), one row per kind in
// list order, built from the descriptors' Doc(): markdown lines, each ending
// in a newline.
std::string OpsTableMarkdown();

}  // namespace schism::nemesis
