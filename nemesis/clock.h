#pragma once
// Per-node clock faults that never touch the host's clock (DESIGN.md §6).
//
// Three operations: `bump` (the clock jumps by ± ms), `strobe` (the clock flips
// between two offsets every period) and `rate` (the clock runs fast or slow).
// Two mechanisms apply them:
//
//  * libfaketime, for dynamically linked glibc programs. The node is started
//    with LD_PRELOAD and a per-node timestamp file (FaketimeClocks::
//    Environment); the controller changes the node's clock at any moment by
//    atomically rewriting that file (FaketimeClocks::Set). All three
//    operations, on CLOCK_REALTIME and (unless turned off) CLOCK_MONOTONIC.
//  * a time namespace (harness/spawn.h: ChildSetup::time_offset_ns), for any
//    binary, Go and static ones included: the monotonic and boot-time clocks
//    are offset when the node is spawned, and only then. Realtime cannot be
//    offset this way. This file only models what such a node should read
//    (TimeNamespaceClocks).
//
// CheckClockSupport tells from a program's ELF headers whether libfaketime can
// work on it. Everything here except FaketimeClocks is pure.
//
// How libfaketime 0.9.10 computes a node's clock from the file's "+S xR"
// (found by experiment, see docs/_drafts/clock.md): fake(t) = start.real + S +
// R * (t - start), where `start` is read once when the process starts, for
// each clock (so the faked CLOCK_MONOTONIC counts from the realtime epoch).
// Left alone, `start` is each process's own start, so a rewritten rate would
// make the clock jump by (R' - R) * (process age). FaketimeClocks instead
// hands every process of a node one fixed start, the anchor (the controller's
// clocks when FaketimeClocks was made), through libfaketime's shared memory;
// that makes every setting an exact function of the controller's time, and
// rate changes continuous.

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace schism::nemesis {

// One node's faked clock relative to the anchor A: when the controller's
// realtime reads t, the node's reads t + offset_ms + (rate - 1) * (t - A).
// So offset_ms is the node's offset at the anchor, and its clock runs `rate`
// times as fast as the host's. The default is the true clock.
struct ClockSetting {
  double offset_ms = 0;
  double rate = 1;
  bool operator==(const ClockSetting&) const = default;
};

// Bounds FaketimeText accepts: about ±30 years, and ×0.01 to ×100 (a rate
// of 0 would freeze the clock and make libfaketime's sleeps divide by zero).
inline constexpr double kMaxClockOffsetMs = 1e12;
inline constexpr double kMinClockRate = 0.01;
inline constexpr double kMaxClockRate = 100;

// The node's offset from the controller's clock `since_anchor_ms` after the
// anchor.
double OffsetAtMs(const ClockSetting& setting, double since_anchor_ms);

// `bump`: the clock jumps by `delta_ms` (ahead when positive), keeping its rate.
ClockSetting Bump(const ClockSetting& setting, double delta_ms);

// The clock set to be `offset_ms` ahead at `since_anchor_ms`, keeping its
// rate (one step of a strobe, or a reset with offset_ms = 0).
ClockSetting WithOffsetAt(const ClockSetting& setting, double offset_ms, double since_anchor_ms);

// `rate`: from `since_anchor_ms` on, the clock runs at `rate`, continuing from
// the time it reads then (no jump).
ClockSetting WithRateAt(const ClockSetting& setting, double rate, double since_anchor_ms);

// The line libfaketime reads from FAKETIME_TIMESTAMP_FILE for `setting`: the
// offset in seconds with microsecond precision and always a rate, e.g.
// "+1.500000 x1.000000", "-3.000000 x0.500000". The rate is always written
// because libfaketime keeps the previous rate when a line has none. Only
// characters libfaketime cannot misread appear (its parser scales the offset
// by 60 as soon as an 'm' appears anywhere, so "+1500ms" means 1500 minutes).
// Throws std::invalid_argument for a non-finite value or one out of bounds.
std::string FaketimeText(const ClockSetting& setting);

// `strobe`: the clock is `a_ms` ahead during even periods [2k·p, (2k+1)·p)
// after the strobe starts and `b_ms` ahead during odd ones.
struct Strobe {
  double a_ms = 0;
  double b_ms = 0;
  double period_ms = 1000;
};

// The offset a strobe asks for `since_start_ms` after it started (a_ms before
// the start). Throws std::invalid_argument when period_ms is not positive.
double StrobeOffsetMs(const Strobe& strobe, double since_start_ms);

// When the strobe flips next, strictly after `since_start_ms` (its first flip
// is at period_ms).
double NextStrobeFlipMs(const Strobe& strobe, double since_start_ms);

// A node's clock against the controller's clock of the same kind: when the
// controller's reads t (ns), the node's reads t + offset_ms + (rate - 1) *
// (t - at_ns), in ms.
struct LinearClock {
  double offset_ms = 0;  // at the controller's instant at_ns
  double rate = 1;
  std::int64_t at_ns = 0;
  double OffsetAtMs(std::int64_t controller_ns) const;
};

// What a node's clocks should read, as the clock self-test checks it.
struct ExpectedClocks {
  std::string mechanism = "none";  // "faketime", "time namespace" or "none"
  LinearClock realtime;
  LinearClock monotonic;
};

// The controller's clocks read together, the instant every faked clock of a
// FaketimeClocks is anchored at.
struct FaketimeAnchor {
  std::int64_t realtime_ns = 0;
  std::int64_t monotonic_ns = 0;
  std::int64_t monotonic_raw_ns = 0;
  std::int64_t boottime_ns = 0;
};

// What a node under libfaketime with `setting` reads. With fake_monotonic its
// CLOCK_MONOTONIC reads the faked realtime's value and pace from the anchor
// on (libfaketime's way); without, the true monotonic clock.
ExpectedClocks FaketimeExpectedClocks(const FaketimeAnchor& anchor, const ClockSetting& setting,
                                      bool fake_monotonic);

// What a node spawned in a time namespace with `offset_ns` reads: realtime
// unchanged, monotonic offset_ns ahead.
ExpectedClocks TimeNamespaceClocks(std::int64_t offset_ns);

// Whether libfaketime can change a program's clock.
struct ClockSupport {
  bool faketime = false;
  // Why not, when !faketime, naming the program: "etcd is a Go binary:
  // libfaketime cannot change its clock". Empty when supported.
  std::string reason;
};

// Judges `program` by its ELF headers (a "#!" script by its interpreter,
// `#!/usr/bin/env NAME` by NAME found on PATH): libfaketime works only on a
// dynamically linked glibc program (PT_INTERP present, libc.so.6 in
// DT_NEEDED) of this host's architecture that is not a Go binary (a
// .note.go.buildid or .go.buildinfo section; Go reads the clock without
// libc). Never throws: an unreadable program is unsupported with a reason.
ClockSupport CheckClockSupport(const std::filesystem::path& program);

// Finds libfaketime.so.1 for this host's architecture: $SCHISM_LIBFAKETIME
// when set, else under /usr/lib/<triplet>/faketime, /usr/lib64/faketime,
// /usr/lib/faketime, /usr/local/lib/faketime, /usr/local/lib. Returns an
// empty path when there is none.
std::filesystem::path FindLibfaketime();

struct FaketimeOptions {
  std::filesystem::path library;              // empty: FindLibfaketime()
  std::filesystem::path parent_dir = "/tmp";  // where the private directory is made
  // False sets FAKETIME_DONT_FAKE_MONOTONIC=1: CLOCK_MONOTONIC stays true.
  // libfaketime's README requires this for a JVM.
  bool fake_monotonic = true;
  // -1: FAKETIME_NO_CACHE=1, every time call of the node re-reads its file
  // (~7 µs instead of ~0.07 µs per call), so a change is seen at once.
  // n >= 0: FAKETIME_CACHE_DURATION=n, re-read only once more than n whole
  // seconds have passed (a change is seen up to n + 1 s late).
  int cache_seconds = -1;
  // Who the nodes run as (harness/node_user.h): libfaketime in a node opens
  // its semaphore and shared memory read-write, so they are given to this
  // user (0, root: they stay the controller's, mode 0600).
  uid_t owner_uid = 0;
  gid_t owner_gid = 0;
};

// Removes what FaketimeClocks of a controller that no longer runs left behind
// (a SIGKILLed one cannot clean up): schism-clock-<pid>-* directories under
// `parent_dir` and /dev/shm/[sem.]schism-ft-<pid>-* objects whose <pid> is
// gone. FaketimeClocks calls it before making its own. Errors are ignored.
void RemoveStaleClockFiles(const std::filesystem::path& parent_dir);

// The libfaketime mechanism for the nodes of one run. It owns a private
// directory (mkdtemp) with one timestamp file per node, and per node a POSIX
// semaphore and shared-memory object (/dev/shm/sem.schism-ft-*,
// /dev/shm/schism-ft-*) that hand the anchor to every process of the node;
// the destructor removes all of them. (A controller killed by SIGKILL leaves
// them behind, a few bytes under /tmp and /dev/shm, until the next run sweeps
// them: RemoveStaleClockFiles.) Not thread-safe.
class FaketimeClocks {
 public:
  // Anchors at the controller's clocks now and writes the true clock
  // (ClockSetting{}) for every node. Throws std::invalid_argument for an
  // empty, duplicate or unsafe node name (allowed: [A-Za-z0-9_.-], not
  // starting with '.'), std::runtime_error when libfaketime cannot be found,
  // std::system_error (with errno, naming the path) when a file, directory,
  // semaphore or shared-memory object cannot be made; nothing is left behind
  // then.
  explicit FaketimeClocks(const std::vector<std::string>& nodes, FaketimeOptions options = {});
  ~FaketimeClocks();
  FaketimeClocks(const FaketimeClocks&) = delete;
  FaketimeClocks& operator=(const FaketimeClocks&) = delete;

  // The variables to add to `node`'s environment: LD_PRELOAD,
  // FAKETIME_TIMESTAMP_FILE, FAKETIME_NO_CACHE (or FAKETIME_CACHE_DURATION),
  // FAKETIME_SHARED (the anchor), LC_NUMERIC=C (libfaketime reads "1.5" with
  // the program's locale) and, without fake_monotonic,
  // FAKETIME_DONT_FAKE_MONOTONIC=1. They must win over the controller's own
  // variables of the same name (NodeProcess sees to that). Throws
  // std::invalid_argument for an unknown node.
  std::vector<std::pair<std::string, std::string>> Environment(const std::string& node) const;

  // Call before each start of `node`, while none of its processes runs:
  // renews its semaphore, which a process killed inside libfaketime (e.g. in
  // a faked stat()) may have left taken, hanging the next start. Throws
  // std::invalid_argument for an unknown node, std::system_error on failure.
  void PrepareStart(const std::string& node);

  // Atomically replaces `node`'s timestamp file (write a temporary file,
  // rename it over), so a node never reads half a line; the node uses the
  // new setting from its next time call on (see cache_seconds). Throws
  // std::invalid_argument for an unknown node or a setting FaketimeText
  // rejects, std::system_error when the file cannot be written.
  void Set(const std::string& node, const ClockSetting& setting);

  // The three operations at the present moment; each returns the setting it
  // applied (what the history should record). Same errors as Set.
  ClockSetting Bump(const std::string& node, double delta_ms);
  ClockSetting SetOffset(const std::string& node, double offset_ms);  // strobe step, reset
  ClockSetting SetRate(const std::string& node, double rate);

  // The setting last written for `node`. Throws std::invalid_argument for an
  // unknown node.
  const ClockSetting& Get(const std::string& node) const;

  // Milliseconds since the anchor on the controller's monotonic clock.
  double SinceAnchorMs() const;

  // What `node`'s clocks should read under its current setting (for the
  // clock self-test).
  ExpectedClocks Expected(const std::string& node) const;

  const FaketimeAnchor& anchor() const { return anchor_; }
  const std::filesystem::path& dir() const { return dir_; }
  const std::filesystem::path& library() const { return library_; }
  std::filesystem::path TimestampFile(const std::string& node) const;

 private:
  struct Node {
    ClockSetting setting;
    std::string shared_name;  // "/schism-ft-<dir suffix>-<node>", for both sem and shm
  };
  Node& Find(const std::string& node);
  const Node& Find(const std::string& node) const;
  void CreateSemaphore(const std::string& name);
  void CreateShared(const std::string& name);
  // Forks the remover: a process that removes the directory and every
  // node's semaphore and shared memory once this controller is gone, even
  // by SIGKILL (nemesis/cgroup_raw.h, StartRemover).
  void StartRemover();
  void RemoveAll() noexcept;

  FaketimeOptions options_;
  std::filesystem::path library_;
  std::filesystem::path dir_;
  FaketimeAnchor anchor_;
  std::map<std::string, Node> nodes_;
  std::vector<std::string> remover_words_;  // rm -rf -- <paths>: the remover's argv
  std::vector<const char*> remover_argv_;
  pid_t remover_pid_ = -1;
  int remover_fd_ = -1;  // the write end its EOF waits for
};

}  // namespace schism::nemesis
