#include "nemesis/cgroup.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <stdexcept>
#include <system_error>
#include <utility>

#include "nemesis/cgroup_raw.h"

namespace schism::nemesis {
namespace raw = cgroup_raw;

namespace {

// Undoes the octal escapes of /proc/self/mountinfo ("\040" for a space).
std::string Unescape(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto octal = [&](std::size_t k) { return s[k] >= '0' && s[k] <= '7'; };
    if (s[i] == '\\' && i + 3 < s.size() && octal(i + 1) && octal(i + 2) && octal(i + 3)) {
      out.push_back(
          static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0')));
      i += 3;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string_view::npos) end = s.size();
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// True when `path` is `root` or below it, component-wise ("/a" holds "/a/b", not "/ab").
bool Within(std::string_view path, std::string_view root) {
  if (root == "/") return true;
  return path.substr(0, root.size()) == root &&
         (path.size() == root.size() || path[root.size()] == '/');
}

std::string ReadWhole(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::system_error(errno, std::generic_category(), "read " + path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void CheckName(const std::string& name, std::set<std::string>& seen) {
  auto bad = [&](const char* why) {
    throw std::invalid_argument("node name \"" + name + "\" cannot name a cgroup: " + why);
  };
  if (name.empty() || name.size() > 64) bad("it must be 1 to 64 bytes long");
  if (name[0] == '.') bad("it must not start with '.'");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) bad("only [A-Za-z0-9_.-] are allowed");
  }
  if (!seen.insert(name).second) bad("it is given twice");
}

std::string RandomHex() {
  std::random_device rd;
  char buf[17];
  std::snprintf(buf, sizeof buf, "%08x%08x", rd(), rd());
  return buf;
}

std::string Errno(int err) { return std::strerror(err); }

}  // namespace

std::optional<std::string> OwnCgroup2Dir(std::string_view mountinfo, std::string_view proc_cgroup,
                                         std::string* why_not) {
  auto fail = [&](std::string reason) -> std::optional<std::string> {
    if (why_not) *why_not = std::move(reason);
    return std::nullopt;
  };
  std::optional<std::string> own;
  for (std::string_view line : Split(proc_cgroup, '\n')) {
    if (line.substr(0, 3) == "0::") own = std::string(line.substr(3));
  }
  if (!own || own->empty() || (*own)[0] != '/') {
    return fail(
        "the process has no cgroup v2 membership (no \"0::/...\" line in /proc/self/cgroup)");
  }

  // "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER"
  std::optional<std::string> best;
  std::size_t best_root = 0;
  bool any_cgroup2 = false;
  for (std::string_view line : Split(mountinfo, '\n')) {
    const std::size_t dash = line.find(" - ");
    if (dash == std::string_view::npos) continue;
    std::vector<std::string_view> after = Split(line.substr(dash + 3), ' ');
    if (after.empty() || after[0] != "cgroup2") continue;
    std::vector<std::string_view> before = Split(line.substr(0, dash), ' ');
    if (before.size() < 5) continue;
    any_cgroup2 = true;
    const std::string root = Unescape(before[3]);
    const std::string mount = Unescape(before[4]);
    if (!Within(*own, root)) continue;
    // The deepest root wins: it is the mount that shows the path most directly.
    if (best && root.size() <= best_root) continue;
    std::string rest = root == "/" ? *own : own->substr(root.size());
    std::string dir = mount == "/" ? rest : mount + rest;
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    best = std::move(dir);
    best_root = root.size();
  }
  if (!any_cgroup2) return fail("no cgroup2 file system is mounted (none in /proc/self/mountinfo)");
  if (!best) return fail("the own cgroup " + *own + " is outside every mounted cgroup2 tree");
  return best;
}

struct NodeCgroups::Impl {
  CgroupOptions options;
  pid_t owner = -1;  // the process that created the cgroups; only it removes them
  bool use_kill = true;
  std::string run_dir;
  std::vector<std::string> names;
  std::vector<raw::Files> files;  // one per created node cgroup, in the order of `names`
  std::vector<int> procs_fds;
  pid_t janitor = -1;
  int janitor_pipe = -1;  // write end; the janitor cleans up at its EOF

  std::int64_t TimeoutNs() const {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(options.timeout).count();
  }
};

NodeCgroups::NodeCgroups(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NodeCgroups::NodeCgroups(NodeCgroups&& other) noexcept = default;

NodeCgroups& NodeCgroups::operator=(NodeCgroups&& other) noexcept {
  if (this != &other) {
    NodeCgroups old(std::move(*this));  // cleans up what this owned
    impl_ = std::move(other.impl_);
  }
  return *this;
}

std::optional<NodeCgroups> NodeCgroups::Create(const std::vector<std::string>& nodes,
                                               std::string* why_not, const CgroupOptions& options) {
  std::set<std::string> seen;
  for (const std::string& name : nodes) CheckName(name, seen);
  auto fail = [&](std::string reason) -> std::optional<NodeCgroups> {
    if (why_not) *why_not = std::move(reason);
    return std::nullopt;
  };

  std::string mountinfo, proc_cgroup;
  try {
    mountinfo = ReadWhole("/proc/self/mountinfo");
    proc_cgroup = ReadWhole("/proc/self/cgroup");
  } catch (const std::system_error& e) {
    return fail(e.what());
  }
  std::string reason;
  std::optional<std::string> own = OwnCgroup2Dir(mountinfo, proc_cgroup, &reason);
  if (!own) return fail(reason);

  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->owner = getpid();
  impl->run_dir =
      (*own == "/" ? "" : *own) + "/schism-" + std::to_string(getpid()) + "-" + RandomHex();
  if (mkdir(impl->run_dir.c_str(), 0755) != 0) {
    return fail("cannot create cgroup " + impl->run_dir + ": " + Errno(errno));
  }
  // From here on the destructor removes whatever has been made.
  NodeCgroups made(std::move(impl));
  Impl& m = *made.impl_;
  if (access((m.run_dir + "/cgroup.freeze").c_str(), F_OK) != 0) {
    return fail("cgroup " + m.run_dir + " has no cgroup.freeze (needs Linux 5.2 or later)");
  }
  m.use_kill = options.use_cgroup_kill && access((m.run_dir + "/cgroup.kill").c_str(), F_OK) == 0;
  m.names.reserve(nodes.size());
  m.files.reserve(nodes.size());
  for (const std::string& name : nodes) {
    const std::string dir = m.run_dir + "/" + name;
    if (mkdir(dir.c_str(), 0755) != 0)
      return fail("cannot create cgroup " + dir + ": " + Errno(errno));
    m.names.push_back(name);
    m.files.emplace_back(dir);
    const int fd = open(m.files.back().procs.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return fail("cannot open " + m.files.back().procs + ": " + Errno(errno));
    m.procs_fds.push_back(fd);
  }
  m.janitor = raw::StartJanitor(m.files.data(), m.files.size(), m.run_dir.c_str(), m.use_kill,
                                m.TimeoutNs(), &m.janitor_pipe);
  if (m.janitor < 0) return fail("cannot start the cgroup janitor: " + Errno(errno));
  return std::optional<NodeCgroups>(std::move(made));
}

NodeCgroups::~NodeCgroups() {
  if (!impl_) return;
  Impl& m = *impl_;
  for (int fd : m.procs_fds) close(fd);
  if (getpid() != m.owner) {
    if (m.janitor_pipe >= 0) close(m.janitor_pipe);
    return;
  }
  const bool clean =
      raw::TearDown(m.files.data(), m.files.size(), m.run_dir.c_str(), m.use_kill, m.TimeoutNs());
  if (!clean) {
    std::fprintf(stderr, "schism: cgroup %s is not empty after %lld ms; its janitor tries again\n",
                 m.run_dir.c_str(), static_cast<long long>(m.options.timeout.count()));
  }
  if (m.janitor_pipe >= 0) close(m.janitor_pipe);
  if (m.janitor <= 0) return;
  // The janitor's own clean-up is bounded by the same timeout; allow it that
  // and a little more before ending it by force.
  const std::int64_t deadline = raw::NowNs() + m.TimeoutNs() + 500'000'000;
  for (;;) {
    const pid_t r = waitpid(m.janitor, nullptr, WNOHANG);
    if (r == m.janitor || (r < 0 && errno != EINTR)) return;  // reaped, or reaped by someone else
    if (raw::NowNs() >= deadline) break;
    usleep(2000);
  }
  std::fprintf(stderr, "schism: the cgroup janitor %d did not exit; killing it\n", m.janitor);
  kill(m.janitor, SIGKILL);
  while (waitpid(m.janitor, nullptr, 0) < 0 && errno == EINTR) {
  }
}

const std::vector<std::string>& NodeCgroups::nodes() const { return impl_->names; }
const std::string& NodeCgroups::run_dir() const { return impl_->run_dir; }
const std::string& NodeCgroups::Dir(const std::string& node) const {
  return impl_->files[Index(node)].dir;
}
pid_t NodeCgroups::janitor_pid() const { return impl_->janitor; }
int NodeCgroups::ProcsFd(const std::string& node) const { return impl_->procs_fds[Index(node)]; }

std::size_t NodeCgroups::Index(const std::string& node) const {
  for (std::size_t i = 0; i < impl_->names.size(); ++i) {
    if (impl_->names[i] == node) return i;
  }
  throw std::out_of_range("no cgroup for node \"" + node + "\"");
}

bool NodeCgroups::Freeze(const std::string& node) {
  FreezeSoon(node);
  const raw::Files& f = impl_->files[Index(node)];
  return raw::WaitForEvent(f.events.c_str(), "frozen 1", raw::NowNs() + impl_->TimeoutNs());
}

void NodeCgroups::FreezeSoon(const std::string& node) {
  const raw::Files& f = impl_->files[Index(node)];
  if (int err = raw::WriteFile(f.freeze.c_str(), "1")) {
    throw std::system_error(err, std::generic_category(), "write 1 to " + f.freeze);
  }
}

void NodeCgroups::Thaw(const std::string& node) {
  const raw::Files& f = impl_->files[Index(node)];
  if (int err = raw::WriteFile(f.freeze.c_str(), "0")) {
    throw std::system_error(err, std::generic_category(), "write 0 to " + f.freeze);
  }
}

bool NodeCgroups::Frozen(const std::string& node) const {
  return raw::WaitForEvent(impl_->files[Index(node)].events.c_str(), "frozen 1", 0);
}

bool NodeCgroups::Kill(const std::string& node) {
  const raw::Files& f = impl_->files[Index(node)];
  if (access(f.events.c_str(), R_OK) != 0) {
    throw std::system_error(errno, std::generic_category(), "open " + f.events);
  }
  return raw::KillAndWait(f, impl_->use_kill, raw::NowNs() + impl_->TimeoutNs());
}

std::vector<pid_t> NodeCgroups::Pids(const std::string& node) const {
  std::istringstream in(ReadWhole(impl_->files[Index(node)].procs));
  std::vector<pid_t> pids;
  for (pid_t pid; in >> pid;) {
    if (pid != 0) pids.push_back(pid);
  }
  return pids;
}

}  // namespace schism::nemesis
