#include "harness/doctor.h"

#include <signal.h>
#include <unistd.h>

#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "harness/errors.h"
#include "harness/profiles/profile.h"
#include "harness/profiles/service.h"
#include "harness/real_seams.h"
#include "harness/rootless.h"
#include "harness/run.h"
#include "harness/sandbox.h"
#include "nemesis/cgroup.h"
#include "nemesis/clock.h"

namespace schism::harness {
namespace {

namespace fs = std::filesystem;

// Prints one check; returns whether it passed.
bool Report(std::ostream& out, const std::string& what, const std::string& problem,
            const std::string& fix) {
  if (problem.empty()) {
    out << "  ok       " << what << "\n";
    return true;
  }
  out << "  MISSING  " << what << ": " << problem << "\n           fix: " << fix << "\n";
  return false;
}

// Runs `check`, which throws to say what failed.
std::string Problem(const std::function<void()>& check) {
  try {
    check();
    return {};
  } catch (const std::exception& e) {
    return e.what();
  }
}

// One sandbox of two nodes serves the network checks.
struct TwoNodes {
  std::unique_ptr<Sandbox> sandbox;
  std::unique_ptr<SandboxNetwork> network;
};

void CheckPartition(TwoNodes& two) {
  two.sandbox = Sandbox::Create(2);
  two.network = std::make_unique<SandboxNetwork>(*two.sandbox, 1);
  nemesis::Grudge grudge;
  grudge.DropBoth("n1", "n2");
  two.network->Partition(grudge);
  two.network->Heal();
}

void CheckDelay(TwoNodes& two) {
  if (!two.network) throw std::runtime_error("no sandbox to try it in (see above)");
  two.network->SetDelay({{"n1", "n2", 10, 0}});
  two.network->ClearDelay();
}

// The pid in a leftover's name, "<prefix><pid>-...", or 0.
pid_t PidIn(const std::string& name, const std::string& prefix) {
  if (name.rfind(prefix, 0) != 0) return 0;
  pid_t pid = 0;
  const char* begin = name.data() + prefix.size();
  auto [end, ec] = std::from_chars(begin, name.data() + name.size(), pid);
  return ec == std::errc() && end != begin && *end == '-' ? pid : 0;
}

bool Gone(pid_t pid) { return pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH; }

// What crashed runs left: clock files and cgroups whose owner's pid is gone.
std::vector<fs::path> Leftovers() {
  std::vector<fs::path> found;
  std::error_code ec;
  for (const auto& [dir, prefix] : {std::pair{"/tmp", "schism-clock-"},
                                    std::pair{"/dev/shm", "schism-ft-"},
                                    std::pair{"/dev/shm", "sem.schism-ft-"}}) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      if (Gone(PidIn(entry.path().filename().string(), prefix))) found.push_back(entry.path());
    }
  }
  auto it = fs::recursive_directory_iterator("/sys/fs/cgroup",
                                             fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (it.depth() > 6) it.disable_recursion_pending();
    if (!it->is_directory(ec)) continue;
    if (Gone(PidIn(it->path().filename().string(), "schism-"))) {
      found.push_back(it->path());
      it.disable_recursion_pending();
    }
  }
  return found;
}

// Removes a leftover cgroup: kills what is in it, then its children and itself.
void RemoveCgroup(const fs::path& dir) {
  std::ofstream(dir / "cgroup.kill") << "1";
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.is_directory(ec)) RemoveCgroup(entry.path());
  }
  for (int i = 0; i < 50 && ::rmdir(dir.c_str()) != 0 && errno == EBUSY; ++i) ::usleep(20'000);
}

}  // namespace

int Doctor(std::ostream& out, bool fix) {
  out << "schism doctor: what runs need on this machine\n";
  // Looked for first, from the host's pid namespace: a rootless check below
  // enters one of its own, where no pid of the host is seen.
  const std::vector<fs::path> left = Leftovers();
  bool can_run = true;
  const bool root = ::geteuid() == 0;
  if (!root) {
    can_run &= Report(out, "root, or user namespaces for a rootless run",
                      Problem([] { BecomeRootless(); }),
                      "run as root, or allow unprivileged user namespaces (sysctl "
                      "user.max_user_namespaces=10000)");
  } else {
    Report(out, "root", "", "");
  }
  if (!can_run) return kExitEnvironment;
  TwoNodes two;
  can_run &= Report(out, "namespaces, veths, a bridge and an nft partition (one transaction)",
                    Problem([&] { CheckPartition(two); }),
                    "a kernel with nf_tables, veth and bridge; apt-get install nftables iproute2");
  Report(out, "NFQUEUE delay (delay faults)", Problem([&] { CheckDelay(two); }),
          "the nfnetlink_queue module and iptables (apt-get install iptables "
          "libnetfilter-queue1)");
  std::string no_cgroups;
  { nemesis::NodeCgroups::Create({"n1"}, &no_cgroups); }
  Report(out, "cgroup v2 (whole-tree kills, freezes)", no_cgroups,
         IsRootless() ? "rootless runs have none unless a cgroup is delegated; kills and pauses "
                        "use process-group signals"
                      : "mount cgroup v2 at /sys/fs/cgroup, writable by root");
  Report(out, "time namespaces (monotonic clock offsets)",
         fs::exists("/proc/self/ns/time") ? "" : "no /proc/self/ns/time",
         "Linux 5.6 or later with CONFIG_TIME_NS");
  Report(out, "libfaketime (clock faults)",
         nemesis::FindLibfaketime().empty() ? "libfaketime.so.1 not found" : "",
         "apt-get install libfaketime");
  out << "third-party servers (--profile, --service):\n";
  for (const std::string& name : ProfileNames()) {
    std::unique_ptr<Profile> profile = MakeProfile(name);
    Report(out, "profile " + name,
           Problem([&] { CheckInstalled(*profile, "profile", {}); }),
           "scripts/setup --servers, or apt-get install " + std::string(profile->packages()));
  }
  for (const std::string& name : ServiceNames()) {
    std::unique_ptr<Server> server = MakeServiceServer(name);
    Report(out, "service " + name, Problem([&] { CheckInstalled(*server, "service", {}); }),
           "scripts/setup --servers, or apt-get install " + std::string(server->packages()));
  }
  out << "left by crashed runs: " << (left.empty() ? "nothing" : "") << "\n";
  for (const fs::path& path : left) {
    out << "  " << path.string();
    if (fix) {
      std::error_code ec;
      if (path.string().rfind("/sys/fs/cgroup", 0) == 0) {
        RemoveCgroup(path);
      } else {
        fs::remove_all(path, ec);
      }
      out << (fs::exists(path, ec) ? "  (could not remove it)" : "  (removed)");
    }
    out << "\n";
  }
  if (!left.empty() && !fix) out << "  remove them with: schism doctor --fix\n";
  out << (can_run ? "runs can go" : "runs cannot go") << "\n";
  return can_run ? 0 : kExitEnvironment;
}

}  // namespace schism::harness
