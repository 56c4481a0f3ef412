// bench_check: how fast every checker together judges a long history.
//
//   bench_check [--events N] [--file PATH] [--keep] [--reuse] [--checkers a,b|none]
//
// Writes a synthetic history of N events (default 10,000,000) to PATH
// (default /tmp/schism-bench-check-<pid>.jsonl), streams it through
// HistoryReader and all registered checkers in one pass, and prints the rate,
// the peak resident set size, and how long `wc -l` takes on the same file as a
// floor for any line-oriented reader. The file is deleted unless --keep.
// --reuse checks the file at PATH as it is (kept from an earlier --keep run),
// so that a profiler sees the checking alone; it implies --keep. --checkers
// runs only the named checkers ("none": the reader alone), to find where the
// time goes.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "checkers/report.h"
#include "histories/reader.h"
#include "history_gen.h"

namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux.
}

// Seconds that `wc -l` takes on `path`, or a negative value if it failed.
double TimeWcL(const std::string& path) {
  const std::string command = "wc -l < '" + path + "' > /dev/null";
  const Clock::time_point start = Clock::now();
  if (std::system(command.c_str()) != 0) return -1.0;
  return Since(start);
}

int Usage() {
  std::cerr << "usage: bench_check [--events N] [--file PATH] [--keep] [--reuse] "
               "[--checkers a,b|none]\n";
  return 64;
}

// "a,b" -> {"a", "b"}; "none" -> {}.
std::vector<std::string> SplitNames(const std::string& list) {
  std::vector<std::string> names;
  if (list == "none") return names;
  std::size_t begin = 0;
  while (begin <= list.size()) {
    const std::size_t comma = std::min(list.find(',', begin), list.size());
    names.push_back(list.substr(begin, comma - begin));
    begin = comma + 1;
  }
  return names;
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t events = 10'000'000;
  std::string path = "/tmp/schism-bench-check-" + std::to_string(getpid()) + ".jsonl";
  bool keep = false;
  bool reuse = false;
  std::vector<std::string> names = schism::checkers::CheckerNames();
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (arg == "--events" && k + 1 < argc) {
      events = std::strtoull(argv[++k], nullptr, 10);
    } else if (arg == "--file" && k + 1 < argc) {
      path = argv[++k];
    } else if (arg == "--keep") {
      keep = true;
    } else if (arg == "--checkers" && k + 1 < argc) {
      names = SplitNames(argv[++k]);
    } else if (arg == "--reuse") {
      reuse = true;
      keep = true;
    } else {
      return Usage();
    }
  }
  if (events < 16) return Usage();

  try {
    Clock::time_point start = Clock::now();
    if (!reuse) {
      const std::uint64_t written = schism::bench::WriteSyntheticHistory(path, events);
      std::printf("generated %llu events in %.2f s: %s\n",
                  static_cast<unsigned long long>(written), Since(start), path.c_str());
    }
    const double rss_before = PeakRssMiB();

    std::vector<std::unique_ptr<schism::checkers::Checker>> checkers;
    for (const std::string& name : names) {
      checkers.push_back(schism::checkers::MakeChecker(name, {}));
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    schism::histories::HistoryReader reader(in, path);
    start = Clock::now();
    const std::vector<schism::checkers::Verdict> verdicts =
        schism::checkers::RunCheckers(reader, checkers);
    const double check_s = Since(start);
    const double rss = PeakRssMiB();
    const double wc_s = TimeWcL(path);
    if (!keep) std::remove(path.c_str());

    const double rate = static_cast<double>(reader.events()) / check_s;
    std::printf("%s", schism::checkers::VerdictTable(verdicts).c_str());
    std::printf("checked %llu events with %zu checkers in %.2f s: %.0f events/s (target >= 5e6)\n",
                static_cast<unsigned long long>(reader.events()), checkers.size(), check_s, rate);
    std::printf("peak RSS %.1f MiB (%.1f MiB before checking; target < 64)\n", rss, rss_before);
    if (wc_s >= 0) {
      std::printf("wc -l on the same file: %.2f s; checking takes %.1fx as long\n", wc_s,
                  check_s / wc_s);
    } else {
      std::printf("wc -l failed\n");
    }
    return 0;
  } catch (const std::exception& e) {
    if (!keep) std::remove(path.c_str());
    std::cerr << "bench_check: " << e.what() << "\n";
    return 70;
  }
}
