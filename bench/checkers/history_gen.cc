#include "history_gen.h"

#include <cstdio>
#include <memory>
#include <stdexcept>

namespace schism::bench {
namespace {

constexpr int kNodes = 5;
constexpr int kRenewals = 10;

class Writer {
 public:
  explicit Writer(const std::string& path) : file_(std::fopen(path.c_str(), "w"), &std::fclose) {
    if (!file_) throw std::runtime_error("cannot write " + path);
    std::setvbuf(file_.get(), nullptr, _IOFBF, 1 << 20);
  }

  // Writes one line: {"i":..,"t":..,<body>}.
  template <typename... Args>
  void Line(const char* body, Args... args) {
    char buffer[512];
    int n = std::snprintf(buffer, sizeof buffer, "{\"i\":%llu,\"t\":%.6f,",
                          static_cast<unsigned long long>(index_), time_);
    n += std::snprintf(buffer + n, sizeof buffer - static_cast<std::size_t>(n), body, args...);
    buffer[n++] = '\n';
    if (std::fwrite(buffer, 1, static_cast<std::size_t>(n), file_.get()) !=
        static_cast<std::size_t>(n)) {
      throw std::runtime_error("short write");
    }
    ++index_;
    time_ += 0.01;
  }

  std::uint64_t index() const { return index_; }
  void Close() {
    if (std::fclose(file_.release()) != 0) throw std::runtime_error("close failed");
  }

 private:
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
  std::uint64_t index_ = 0;
  double time_ = 0.0;
};

}  // namespace

std::uint64_t WriteSyntheticHistory(const std::string& path, std::uint64_t events) {
  Writer w(path);
  w.Line(R"("type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"],"seed":1})");
  for (int n = 1; n <= kNodes; ++n) w.Line(R"("type":"process","f":"start","node":"n%d"})", n);
  for (unsigned long long term = 1; w.index() + 1 < events; ++term) {
    const int leader = static_cast<int>(term % kNodes) + 1;
    const auto other = [leader](int k) { return (leader - 1 + k) % kNodes + 1; };
    w.Line(R"("type":"role","node":"n%d","role":"candidate","term":%llu})", leader, term);
    w.Line(R"("type":"vote","node":"n%d","term":%llu,"for":"n%d"})", leader, term, leader);
    w.Line(R"("type":"vote","node":"n%d","term":%llu,"for":"n%d"})", other(1), term, leader);
    w.Line(R"("type":"vote","node":"n%d","term":%llu,"for":"n%d"})", other(2), term, leader);
    w.Line(R"("type":"role","node":"n%d","role":"leader","term":%llu})", leader, term);
    for (int k = 1; k < kNodes; ++k) {
      w.Line(R"("type":"role","node":"n%d","role":"follower","term":%llu,"leader":"n%d"})",
             other(k), term, leader);
    }
    if (term % 20 == 0) {
      const int cut = other(3);
      w.Line(
          R"("type":"nemesis","f":"partition","phase":"start","kind":"one","grudge":{"n%d":["n%d","n%d","n%d","n%d"]}})",
          cut, other(1), other(2), other(4), leader);
    }
    if (term % 37 == 0) {
      const int victim = other(4);
      w.Line(R"("type":"process","f":"kill","node":"n%d","signal":9})", victim);
      w.Line(R"("type":"process","f":"start","node":"n%d","pid":%llu})", victim, term);
      w.Line(R"("type":"role","node":"n%d","role":"follower","term":%llu,"leader":"n%d"})", victim,
             term, leader);
    }
    for (int k = 0; k < kRenewals; ++k) {
      w.Line(R"("type":"lease","node":"n%d","term":%llu,"token":%llu,"lease_ms":50})", leader, term,
             term * 100 + static_cast<unsigned long long>(k));
    }
    if (term % 20 == 0) w.Line(R"("type":"nemesis","f":"partition","phase":"end"})");
  }
  w.Line(R"("type":"run","f":"end"})");
  const std::uint64_t written = w.index();
  w.Close();
  return written;
}

}  // namespace schism::bench
