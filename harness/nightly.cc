// `schism nightly` runs its matrix as child `schism run`s, a bounded number
// at once; `schism merge` joins shards' directories.
#include "harness/nightly.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "harness/errors.h"
#include "histories/atomic_file.h"

namespace schism::harness {
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// Time for a run beyond its --time: start-up, teardown, the checkers.
constexpr double kRunSlackS = 15;

// The time now in UTC, as strftime `format` writes it.
std::string UtcNow(const char* format) {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// A fresh directory <root>/<name>, or <name>-2, -3 ... when taken.
fs::path FreshDir(const fs::path& root, const std::string& name) {
  fs::create_directories(root);
  for (int k = 1;; ++k) {
    const fs::path dir = root / (k == 1 ? name : name + "-" + std::to_string(k));
    if (fs::create_directory(dir)) return dir;
  }
}

void Write(const fs::path& file, const std::string& text) {
  const std::string error = histories::WriteFileAtomically(file, text, histories::Durability::kNone);
  if (!error.empty()) throw std::runtime_error(error);
}

// The nights before `dir` beside it (not shards: each holds part of a
// night), oldest first by when they started.
std::vector<PastNight> PastNights(const fs::path& dir) {
  std::vector<std::pair<std::string, PastNight>> found;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir.parent_path(), ec)) {
    if (entry.path() == dir) continue;
    std::ifstream in(entry.path() / "summary.json");
    const json summary = json::parse(in, nullptr, false);
    if (!summary.is_object() || summary.contains("shard") || !summary.contains("cells")) continue;
    found.push_back({summary.value("started", ""),
                     {entry.path().filename().string(), summary["cells"]}});
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<PastNight> past;
  for (auto& [started, night] : found) past.push_back(std::move(night));
  return past;
}

// Writes the night up in `dir`, its trends against the nights beside it;
// returns its regressions, one line each.
std::vector<std::string> WriteNight(const fs::path& dir, const std::string& title,
                                    const std::vector<NightlyRun>& runs, const std::string& started,
                                    const std::string& shard) {
  const json trends = Trends(CellKpis(runs), PastNights(dir));
  json summary = SummaryJson(title, runs, trends);
  summary["started"] = started;
  if (!shard.empty()) summary["shard"] = shard;
  Write(dir / "summary.json", summary.dump(2) + "\n");
  Write(dir / "junit.xml", NightlyJunit(title, runs));
  Write(dir / "index.html", NightlyIndex(title, runs, dir, trends));
  return Regressions(trends);
}

// 30, 7.5: as a person writes it.
std::string Number(double value) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", value);
  return buf;
}

std::string Shell(const std::vector<std::string>& argv) {
  std::string out;
  for (const std::string& a : argv) {
    if (!out.empty()) out += ' ';
    const bool plain = !a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./,=:") == std::string::npos;
    out += plain ? a : "'" + a + "'";
  }
  return out;
}

// The `schism run` of one cell.
std::vector<std::string> RunArgv(const NightlySettings& s, const NightlyCell& cell,
                                 const fs::path& store) {
  std::vector<std::string> argv = {s.schism.string(),
                                   "run",
                                   IsProfileName(cell.elector) ? "--profile" : "--elector",
                                   cell.elector,
                                   "--nemesis",       cell.nemesis,
                                   "--seed",          std::to_string(cell.seed),
                                   "--time",          Number(s.plan.time_s),
                                   "--nodes",         std::to_string(s.plan.nodes),
                                   "--store",         store.string(),
                                   "--test",          cell.Test()};
  if (cell.bug != "none") {
    argv.push_back("--bug");
    argv.push_back(cell.bug);
  }
  return argv;
}

// Starts `argv` with stdout and stderr into `log`, in this process group (a
// Ctrl-C reaches it), dying with a SIGTERM if the night's process dies.
pid_t StartChild(const std::vector<std::string>& argv, const fs::path& log,
                 const sigset_t& old_mask) {
  const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), log.string());
  std::vector<char*> args;  // made before the fork: the child only calls what is async-signal-safe
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    ::close(fd);
    throw std::system_error(errno, std::generic_category(), "fork");
  }
  if (pid == 0) {
    const int null = ::open("/dev/null", O_RDONLY);
    if (null < 0 || ::dup2(null, 0) < 0 || ::dup2(fd, 1) < 0 || ::dup2(fd, 2) < 0) _exit(127);
    ::sigprocmask(SIG_SETMASK, &old_mask, nullptr);
    if (::prctl(PR_SET_PDEATHSIG, SIGTERM) != 0 || ::getppid() != parent) _exit(127);
    ::execv(args[0], args.data());
    _exit(127);
  }
  ::close(fd);
  return pid;
}

// How a finished run went, from its exit status, its log and its results.json.
NightlyRun Finish(const NightlyCell& cell, int status, const fs::path& log, double wall_s) {
  NightlyRun run;
  run.cell = cell;
  run.wall_s = wall_s;
  run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(log);
  std::string line, last;  // the run's last own line: its error, when it has one
  while (std::getline(in, line)) {
    if (line.rfind("run dir: ", 0) == 0) run.run_dir = line.substr(9);
    if (line.rfind("schism: ", 0) == 0) last = line;
  }
  switch (run.exit_code) {
    case kExitValid: run.status = "valid"; break;
    case kExitInvalid: run.status = "invalid"; break;
    case kExitUnknown: run.status = "unknown"; break;
    case 128 + SIGINT:
    case 128 + SIGTERM:
      run.status = "unknown";
      run.reason = std::string("interrupted (") + (run.exit_code == 128 + SIGINT ? "SIGINT" : "SIGTERM") +
                   "): its results cover the part that ran";
      break;
    default:
      run.status = "error";
      run.reason = "exit " + std::to_string(run.exit_code) + (last.empty() ? "" : ": " + last);
  }
  if (run.run_dir.empty()) return run;
  std::ifstream results(fs::path(run.run_dir) / "results.json");
  const json doc = json::parse(results, nullptr, false);
  if (!doc.is_object()) return run;
  for (const json& c : doc.value("checkers", json::array())) {
    const std::string verdict = c.value("verdict", "");
    if (c.value("checker", "") == "kpis") run.kpis = c.value("details", json());
    if (run.reason.empty() && verdict != "valid" && verdict == run.status) {
      run.reason = c.value("checker", "") + ": " + c.value("reason", "");
    }
  }
  return run;
}

// Runs a night's cells as child `schism run`s, up to settings.jobs at once,
// starting none that would not end within the budget, until all are done, a
// SIGINT or SIGTERM stops the night, or a run refuses its flags.
class NightRunner {
 public:
  NightRunner(const NightlySettings& settings, const fs::path& dir, std::ostream& out)
      : settings_(settings), dir_(dir), out_(out) {}

  // Every cell's outcome, in matrix order; those not started are "not run".
  std::vector<NightlyRun> Run(const std::vector<NightlyCell>& cells) {
    // SIGINT and SIGTERM are taken as they come (sigtimedwait): the runs get
    // a SIGTERM, end as a Ctrl-C ends them, and the night is written up.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    ::sigprocmask(SIG_BLOCK, &stop_signals, &old_mask_);
    std::size_t next = 0;
    while (true) {
      while (!stopping() && next < cells.size() && running_.size() < settings_.jobs &&
             Elapsed() + settings_.plan.time_s + kRunSlackS <= settings_.budget_s) {
        Start(cells[next++]);
      }
      if (running_.empty()) break;  // all done, or nothing more may start
      int status = 0;
      const pid_t pid = ::waitpid(-1, &status, WNOHANG);
      if (pid > 0 && running_.count(pid)) {
        Reap(pid, status, cells.size());
        continue;
      }
      const timespec tick{0, 100'000'000};
      const int signal = ::sigtimedwait(&stop_signals, nullptr, &tick);
      if (signal > 0 && !stopping()) {
        interrupted_ = signal;
        out_ << "schism: nightly: " << (signal == SIGTERM ? "SIGTERM" : "SIGINT")
             << ": stopping the runs under way; none more starts" << std::endl;
        StopRunning();
      }
    }
    ::sigprocmask(SIG_SETMASK, &old_mask_, nullptr);
    for (; next < cells.size(); ++next) {
      NightlyRun skipped;
      skipped.cell = cells[next];
      skipped.status = "not run";
      skipped.reason = usage_error_   ? "a run's flags were refused"
                       : interrupted_ ? "the night was interrupted first"
                                      : "the budget ran out first";
      done_.push_back(skipped);
    }
    std::sort(done_.begin(), done_.end(),
              [](const NightlyRun& a, const NightlyRun& b) { return a.cell.index < b.cell.index; });
    return done_;
  }

  double Elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - began_).count();
  }
  int interrupted() const { return interrupted_; }
  bool usage_error() const { return usage_error_; }

 private:
  struct Job {
    NightlyCell cell;
    fs::path log;
    std::chrono::steady_clock::time_point began;
  };

  bool stopping() const { return interrupted_ != 0 || usage_error_; }

  void Start(const NightlyCell& cell) {
    const fs::path log = dir_ / "logs" / ("run-" + std::to_string(cell.index) + ".txt");
    const std::vector<std::string> argv = RunArgv(settings_, cell, dir_ / "runs");
    std::ofstream(log.string() + ".cmd") << Shell(argv) << "\n";
    running_[StartChild(argv, log, old_mask_)] = {cell, log, std::chrono::steady_clock::now()};
  }

  void Reap(pid_t pid, int status, std::size_t total) {
    const Job job = running_[pid];
    running_.erase(pid);
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - job.began).count();
    done_.push_back(Finish(job.cell, status, job.log, wall));
    const NightlyRun& r = done_.back();
    if (r.exit_code == kExitUsage && !usage_error_) {
      // Every run of the night has the same flags but its cell's: a usage
      // error would only repeat. Stop here, as the run would have.
      usage_error_ = true;
      out_ << "schism: nightly: " << r.cell.Suite() << " seed " << r.cell.seed << ": "
           << r.reason.substr(r.reason.find(": ") + 2) << std::endl;
      StopRunning();
      return;
    }
    out_ << "schism: nightly: [" << done_.size() << "/" << total << "] " << r.cell.Suite()
         << " seed " << r.cell.seed << ": " << r.status
         << (r.reason.empty() ? "" : " (" + r.reason + ")") << std::endl;
  }

  void StopRunning() {
    for (const auto& [child, job] : running_) ::kill(child, SIGTERM);
  }

  const NightlySettings& settings_;
  const fs::path dir_;
  std::ostream& out_;
  const std::chrono::steady_clock::time_point began_ = std::chrono::steady_clock::now();
  sigset_t old_mask_{};
  std::map<pid_t, Job> running_;
  std::vector<NightlyRun> done_;
  int interrupted_ = 0;
  bool usage_error_ = false;
};

// The last lines of a night: the tally, where it is, what to replay, what regressed.
void PrintNight(std::ostream& out, const fs::path& dir, const std::vector<NightlyRun>& runs,
                double elapsed_s, const std::vector<std::string>& regressions) {
  std::map<std::string, int> tally;
  for (const NightlyRun& r : runs) ++tally[r.status];
  out << "schism: nightly: " << static_cast<int>(elapsed_s) << " s;";
  for (const auto& [status, n] : tally) out << " " << status << " " << n << ";";
  out << "\nindex: " << (dir / "index.html").string() << "\njunit: "
      << (dir / "junit.xml").string() << "\n";
  for (const NightlyRun& r : runs) {
    if (r.status == "invalid") out << "reproduce: schism replay " << r.run_dir << "\n";
  }
  for (const std::string& line : regressions) out << "regression: " << line << "\n";
}

}  // namespace

int Nightly(const NightlySettings& settings, std::ostream& out) {
  std::vector<std::string> left_out;
  std::vector<NightlyCell> cells = Matrix(settings.plan, &left_out);
  const std::string started = UtcNow("%Y-%m-%dT%H:%M:%SZ");
  std::string name = UtcNow("%Y-%m-%d");
  std::string title = "schism nightly " + name;
  std::string shard;
  if (settings.shard) {
    cells = Shard(cells, settings.shard->first, settings.shard->second);
    shard = std::to_string(settings.shard->first) + "/" + std::to_string(settings.shard->second);
    name += "-shard-" + std::to_string(settings.shard->first) + "-of-" +
            std::to_string(settings.shard->second);
    title += " (shard " + shard + ")";
  }
  const fs::path dir = FreshDir(fs::absolute(settings.store) / "nightly", name);
  fs::create_directories(dir / "logs");
  for (const std::string& note : left_out) out << "schism: nightly: left out: " << note << "\n";
  out << "schism: nightly: " << cells.size() << " runs of " << settings.plan.time_s << " s, up to "
      << settings.jobs << " at once, within " << settings.budget_s << " s, into " << dir.string()
      << std::endl;

  NightRunner runner(settings, dir, out);
  const std::vector<NightlyRun> done = runner.Run(cells);
  const std::vector<std::string> regressions = WriteNight(dir, title, done, started, shard);
  PrintNight(out, dir, done, runner.Elapsed(), regressions);
  if (runner.usage_error()) return kExitUsage;
  if (runner.interrupted()) return ExitForInterrupt(runner.interrupted());
  return WorstExit(done);
}

int Merge(const std::vector<fs::path>& dirs, const fs::path& out_dir, std::ostream& out) {
  std::vector<NightlyRun> runs;
  std::map<std::size_t, fs::path> seen;
  for (const fs::path& dir : dirs) {
    const fs::path file = dir / "summary.json";
    std::ifstream in(file);
    if (!in) throw UsageError(dir.string() + ": not a nightly directory (no summary.json)");
    const json summary = json::parse(in, nullptr, false);
    if (summary.is_discarded()) throw UsageError(file.string() + ": not JSON");
    for (NightlyRun& r : RunsFromSummary(summary, file.string())) {
      const auto [it, fresh] = seen.emplace(r.cell.index, dir);
      if (!fresh) {
        throw UsageError("run " + std::to_string(r.cell.index) + " of the matrix is in both " +
                         it->second.string() + " and " + dir.string());
      }
      runs.push_back(std::move(r));
    }
  }
  std::sort(runs.begin(), runs.end(),
            [](const NightlyRun& a, const NightlyRun& b) { return a.cell.index < b.cell.index; });
  fs::create_directories(out_dir);
  const fs::path dir = fs::absolute(out_dir);
  const std::string title = "schism nightly, merged from " + std::to_string(dirs.size()) + " parts";
  const std::vector<std::string> regressions =
      WriteNight(dir, title, runs, UtcNow("%Y-%m-%dT%H:%M:%SZ"), "");
  out << "schism: merge: " << runs.size() << " runs from " << dirs.size() << " parts\nindex: "
      << (dir / "index.html").string() << "\njunit: " << (dir / "junit.xml").string() << "\n";
  for (const std::string& line : regressions) out << "regression: " << line << "\n";
  return WorstExit(runs);
}

}  // namespace schism::harness
