// The pure clock model and the libfaketime file mechanism (FaketimeClocks).
// The ELF inspection lives in clock_support.cc.
#include "nemesis/clock.h"

#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <ctime>
#include <stdexcept>
#include <system_error>

#include "histories/atomic_file.h"
#include "nemesis/cgroup_raw.h"

namespace schism::nemesis {
namespace {

std::system_error Errno(const std::string& what) {
  return std::system_error(errno, std::generic_category(), what);
}

std::string FixedDecimal(double value) {
  if (value == 0) value = 0;  // no "-0.000000"
  std::array<char, 64> buf;
  // std::to_chars ignores the locale, unlike snprintf: libfaketime wants '.'.
  auto [end, ec] =
      std::to_chars(buf.data(), buf.data() + buf.size(), value, std::chars_format::fixed, 6);
  if (ec != std::errc()) throw std::invalid_argument("clock value out of range");
  return std::string(buf.data(), end);
}

bool SafeNodeName(const std::string& name) {
  if (name.empty() || name.size() > 64 || name[0] == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::int64_t ReadClockNs(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

timespec ToTimespec(std::int64_t ns) {
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

// libfaketime 0.9.10's `struct ft_shared_s` (src/faketime_common.h) on a
// 64-bit glibc host: the start time every process attached to it uses.
struct LibfaketimeShared {
  std::uint64_t ticks;
  std::uint64_t file_idx;
  timespec start_real;
  timespec start_mon;
  timespec start_mon_raw;
  timespec start_boot;
};
constexpr std::size_t kSharedSize = 4096;  // one page, whatever the struct's size
static_assert(sizeof(LibfaketimeShared) <= kSharedSize);

}  // namespace

double OffsetAtMs(const ClockSetting& setting, double since_anchor_ms) {
  return setting.offset_ms + (setting.rate - 1) * since_anchor_ms;
}

ClockSetting Bump(const ClockSetting& setting, double delta_ms) {
  return {setting.offset_ms + delta_ms, setting.rate};
}

ClockSetting WithOffsetAt(const ClockSetting& setting, double offset_ms, double since_anchor_ms) {
  return {offset_ms - (setting.rate - 1) * since_anchor_ms, setting.rate};
}

ClockSetting WithRateAt(const ClockSetting& setting, double rate, double since_anchor_ms) {
  double now_ms = OffsetAtMs(setting, since_anchor_ms);
  return {now_ms - (rate - 1) * since_anchor_ms, rate};
}

std::string FaketimeText(const ClockSetting& setting) {
  if (!std::isfinite(setting.offset_ms) || std::abs(setting.offset_ms) > kMaxClockOffsetMs) {
    throw std::invalid_argument("clock offset out of range: " + std::to_string(setting.offset_ms) +
                                " ms");
  }
  if (!std::isfinite(setting.rate) || setting.rate < kMinClockRate ||
      setting.rate > kMaxClockRate) {
    throw std::invalid_argument("clock rate out of range (0.01 to 100): " +
                                std::to_string(setting.rate));
  }
  std::string offset = FixedDecimal(setting.offset_ms / 1000);
  if (offset[0] != '-') offset.insert(0, "+");
  return offset + " x" + FixedDecimal(setting.rate);
}

double StrobeOffsetMs(const Strobe& strobe, double since_start_ms) {
  if (!(strobe.period_ms > 0)) throw std::invalid_argument("strobe period must be positive");
  if (since_start_ms < 0) return strobe.a_ms;
  double period = std::floor(since_start_ms / strobe.period_ms);
  return std::fmod(period, 2) == 0 ? strobe.a_ms : strobe.b_ms;
}

double NextStrobeFlipMs(const Strobe& strobe, double since_start_ms) {
  if (!(strobe.period_ms > 0)) throw std::invalid_argument("strobe period must be positive");
  if (since_start_ms < 0) return strobe.period_ms;
  return (std::floor(since_start_ms / strobe.period_ms) + 1) * strobe.period_ms;
}

double LinearClock::OffsetAtMs(std::int64_t controller_ns) const {
  return offset_ms + (rate - 1) * static_cast<double>(controller_ns - at_ns) / 1e6;
}

ExpectedClocks FaketimeExpectedClocks(const FaketimeAnchor& anchor, const ClockSetting& setting,
                                      bool fake_monotonic) {
  ExpectedClocks expected;
  expected.mechanism = "faketime";
  expected.realtime = {setting.offset_ms, setting.rate, anchor.realtime_ns};
  if (fake_monotonic) {
    // libfaketime: monotonic(t) = start.real + offset + rate * (t - start.mon).
    double epoch_ms = static_cast<double>(anchor.realtime_ns - anchor.monotonic_ns) / 1e6;
    expected.monotonic = {epoch_ms + setting.offset_ms, setting.rate, anchor.monotonic_ns};
  }
  return expected;
}

ExpectedClocks TimeNamespaceClocks(std::int64_t offset_ns) {
  ExpectedClocks expected;
  expected.mechanism = "time namespace";
  expected.monotonic = {static_cast<double>(offset_ns) / 1e6, 1, 0};
  return expected;
}

namespace {

// The pid in "<prefix><pid>-...", or 0.
pid_t OwnerPid(const std::string& name, std::string_view prefix) {
  if (name.rfind(prefix, 0) != 0) return 0;
  std::size_t end = name.find('-', prefix.size());
  if (end == std::string::npos || end == prefix.size()) return 0;
  const std::string digits = name.substr(prefix.size(), end - prefix.size());
  if (digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) return 0;
  return static_cast<pid_t>(std::stol(digits));
}

bool Gone(pid_t pid) { return pid > 0 && kill(pid, 0) != 0 && errno == ESRCH; }

}  // namespace

void RemoveStaleClockFiles(const std::filesystem::path& parent_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(parent_dir, ec)) {
    if (Gone(OwnerPid(entry.path().filename().string(), "schism-clock-"))) {
      fs::remove_all(entry.path(), ec);
    }
  }
  for (const auto& entry : fs::directory_iterator("/dev/shm", ec)) {
    const std::string name = entry.path().filename().string();
    if (Gone(OwnerPid(name, "schism-ft-")) || Gone(OwnerPid(name, "sem.schism-ft-"))) {
      fs::remove(entry.path(), ec);
    }
  }
}

FaketimeClocks::FaketimeClocks(const std::vector<std::string>& nodes, FaketimeOptions options)
    : options_(std::move(options)) {
  for (const std::string& node : nodes) {
    if (!SafeNodeName(node))
      throw std::invalid_argument("unsafe node name for a clock file: '" + node + "'");
    if (!nodes_.emplace(node, Node{}).second) throw std::invalid_argument("duplicate node " + node);
  }
  library_ = options_.library.empty() ? FindLibfaketime() : options_.library;
  if (library_.empty() || !std::filesystem::is_regular_file(library_)) {
    throw std::runtime_error(
        "libfaketime.so.1 not found (Debian: apt-get install libfaketime; or set "
        "SCHISM_LIBFAKETIME)" +
        (library_.empty() ? std::string() : ": " + library_.string()));
  }
  RemoveStaleClockFiles(options_.parent_dir);
  // The owner's pid in every name lets a later run sweep what a SIGKILLed one left.
  std::string templ =
      (options_.parent_dir / ("schism-clock-" + std::to_string(getpid()) + "-XXXXXX")).string();
  if (mkdtemp(templ.data()) == nullptr) throw Errno("mkdtemp " + templ);
  dir_ = templ;
  try {
    // Readable by a node that drops privileges; nothing in it is secret.
    if (chmod(dir_.c_str(), 0755) != 0) throw Errno("chmod " + dir_.string());
    std::string unique = dir_.filename().string().substr(sizeof("schism-clock-") - 1);
    anchor_ = {ReadClockNs(CLOCK_REALTIME), ReadClockNs(CLOCK_MONOTONIC),
               ReadClockNs(CLOCK_MONOTONIC_RAW), ReadClockNs(CLOCK_BOOTTIME)};
    const std::string prefix = "/schism-ft-" + unique + "-";
    for (auto& [name, node] : nodes_) {
      std::string shared_name = prefix + name;
      CreateShared(shared_name);
      node.shared_name = shared_name;  // from now on ours to unlink
      Set(name, ClockSetting{});
    }
    StartRemover();
  } catch (...) {
    RemoveAll();
    throw;
  }
}

FaketimeClocks::~FaketimeClocks() { RemoveAll(); }

void FaketimeClocks::StartRemover() {
  remover_words_ = {"/bin/rm", "-rf", "--", dir_.string()};
  for (const auto& [name, node] : nodes_) {
    // POSIX names "/x" live in /dev/shm as "x" (memory) and "sem.x" (semaphore).
    remover_words_.push_back("/dev/shm" + node.shared_name);
    remover_words_.push_back("/dev/shm/sem." + node.shared_name.substr(1));
  }
  for (const std::string& word : remover_words_) remover_argv_.push_back(word.c_str());
  remover_argv_.push_back(nullptr);
  remover_pid_ = cgroup_raw::StartRemover(remover_argv_.data(), &remover_fd_);
  if (remover_pid_ < 0) throw Errno("fork the clock files' remover");
}

void FaketimeClocks::CreateSemaphore(const std::string& name) {
  sem_t* sem = sem_open(name.c_str(), O_CREAT | O_EXCL, 0600, 1);
  if (sem == SEM_FAILED) throw Errno("sem_open " + name);
  sem_close(sem);
  // POSIX names "/x" live in /dev/shm as "sem.x".
  const std::string path = "/dev/shm/sem." + name.substr(1);
  if (options_.owner_uid != 0 && chown(path.c_str(), options_.owner_uid, options_.owner_gid) != 0) {
    std::system_error error = Errno("chown " + path);
    sem_unlink(name.c_str());
    throw error;
  }
}

void FaketimeClocks::CreateShared(const std::string& name) {
  CreateSemaphore(name);
  int fd = shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    std::system_error error = Errno("shm_open " + name);
    sem_unlink(name.c_str());
    throw error;
  }
  if (options_.owner_uid != 0 && fchown(fd, options_.owner_uid, options_.owner_gid) != 0) {
    std::system_error error = Errno("chown the shared memory " + name);
    close(fd);
    sem_unlink(name.c_str());
    shm_unlink(name.c_str());
    throw error;
  }
  LibfaketimeShared shared{};
  shared.start_real = ToTimespec(anchor_.realtime_ns);
  shared.start_mon = ToTimespec(anchor_.monotonic_ns);
  shared.start_mon_raw = ToTimespec(anchor_.monotonic_raw_ns);
  shared.start_boot = ToTimespec(anchor_.boottime_ns);
  bool ok = ftruncate(fd, kSharedSize) == 0 &&
            pwrite(fd, &shared, sizeof shared, 0) == static_cast<ssize_t>(sizeof shared);
  int saved = errno;
  close(fd);
  if (!ok) {
    std::system_error error(saved, std::generic_category(), "write " + name);
    sem_unlink(name.c_str());
    shm_unlink(name.c_str());
    throw error;
  }
}

void FaketimeClocks::RemoveAll() noexcept {
  if (remover_pid_ > 0) {  // it would only remove what is removed here
    kill(remover_pid_, SIGKILL);
    int status = 0;
    while (waitpid(remover_pid_, &status, 0) < 0 && errno == EINTR) {
    }
    remover_pid_ = -1;
  }
  if (remover_fd_ >= 0) {
    close(remover_fd_);
    remover_fd_ = -1;
  }
  for (auto& [name, node] : nodes_) {
    if (node.shared_name.empty()) continue;
    sem_unlink(node.shared_name.c_str());
    shm_unlink(node.shared_name.c_str());
  }
  if (!dir_.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

FaketimeClocks::Node& FaketimeClocks::Find(const std::string& node) {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) throw std::invalid_argument("no clock for node " + node);
  return it->second;
}

const FaketimeClocks::Node& FaketimeClocks::Find(const std::string& node) const {
  auto it = nodes_.find(node);
  if (it == nodes_.end()) throw std::invalid_argument("no clock for node " + node);
  return it->second;
}

std::filesystem::path FaketimeClocks::TimestampFile(const std::string& node) const {
  Find(node);
  return dir_ / (node + ".faketime");
}

std::vector<std::pair<std::string, std::string>> FaketimeClocks::Environment(
    const std::string& node) const {
  const Node& n = Find(node);
  std::vector<std::pair<std::string, std::string>> env = {
      {"LD_PRELOAD", library_.string()},
      {"FAKETIME_TIMESTAMP_FILE", TimestampFile(node).string()},
      {"FAKETIME_SHARED", n.shared_name + " " + n.shared_name},
      {"LC_NUMERIC", "C"},
  };
  if (options_.cache_seconds < 0) {
    env.emplace_back("FAKETIME_NO_CACHE", "1");
  } else {
    env.emplace_back("FAKETIME_CACHE_DURATION", std::to_string(options_.cache_seconds));
  }
  if (!options_.fake_monotonic) env.emplace_back("FAKETIME_DONT_FAKE_MONOTONIC", "1");
  return env;
}

void FaketimeClocks::PrepareStart(const std::string& node) {
  const Node& n = Find(node);
  sem_unlink(n.shared_name.c_str());
  CreateSemaphore(n.shared_name);
}

void FaketimeClocks::Set(const std::string& node, const ClockSetting& setting) {
  Node& n = Find(node);
  std::string text = FaketimeText(setting) + "\n";
  // libfaketime rereads the file on its own: it must never see half of it.
  const std::string error = histories::WriteFileAtomically(TimestampFile(node), text,
                                                           histories::Durability::kNone);
  if (!error.empty()) throw std::runtime_error("faketime timestamp file " + error);
  n.setting = setting;
}

ClockSetting FaketimeClocks::Bump(const std::string& node, double delta_ms) {
  ClockSetting next = nemesis::Bump(Get(node), delta_ms);
  Set(node, next);
  return next;
}

ClockSetting FaketimeClocks::SetOffset(const std::string& node, double offset_ms) {
  ClockSetting next = WithOffsetAt(Get(node), offset_ms, SinceAnchorMs());
  Set(node, next);
  return next;
}

ClockSetting FaketimeClocks::SetRate(const std::string& node, double rate) {
  ClockSetting next = WithRateAt(Get(node), rate, SinceAnchorMs());
  Set(node, next);
  return next;
}

const ClockSetting& FaketimeClocks::Get(const std::string& node) const {
  return Find(node).setting;
}

double FaketimeClocks::SinceAnchorMs() const {
  return static_cast<double>(ReadClockNs(CLOCK_MONOTONIC) - anchor_.monotonic_ns) / 1e6;
}

ExpectedClocks FaketimeClocks::Expected(const std::string& node) const {
  return FaketimeExpectedClocks(anchor_, Get(node), options_.fake_monotonic);
}

}  // namespace schism::nemesis
