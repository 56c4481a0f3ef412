#pragma once
// What a run is doing now, for the live progress line (`schism run` on a
// terminal: one line redrawn in place; otherwise a plain line now and then).

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <set>
#include <streambuf>
#include <string>
#include <utility>

#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "histories/event.h"

namespace schism::harness {

// Follows the events of a run as they are recorded. No I/O.
class RunStatus {
 public:
  void Observe(const histories::Event& event);

  // "12.5/30 s | leader n3 (term 7) | faults: partition, pause n2 | 1234 events | 0 violations"
  // The leader is the live node whose latest role is leader, of the highest
  // term; violations are those two checks can see as the events come: two
  // leaders claimed in one term (election-safety) and a node voting for two
  // candidates in one term (vote-once). The checkers judge it all at the end.
  std::string Line(double elapsed_s, double total_s) const;

  std::uint64_t events() const { return events_; }
  std::uint64_t violations() const { return violations_; }

 private:
  static constexpr std::size_t kTermsKept = 1024;  // bounds the two maps below

  void ObserveNemesis(const histories::Event& event);

  std::uint64_t events_ = 0;
  std::uint64_t violations_ = 0;
  checkers::NodeTable nodes_;
  checkers::NodeStatus status_{nodes_};
  std::set<std::string> faults_;                                  // "partition", "pause n2"
  std::map<std::uint64_t, std::string> leader_of_term_;           // the first claim per term
  std::map<std::pair<std::uint64_t, std::string>, std::string> votes_;  // (term, voter) -> for
};

// A stream buffer for a terminal that keeps one status line at its bottom:
// ShowStatus draws it in place, and any other output first wipes it, so
// messages never run into it. Wraps `target`, which must outlive it.
class StatusLineBuf : public std::streambuf {
 public:
  explicit StatusLineBuf(std::streambuf* target) : target_(target) {}
  void ShowStatus(const std::string& line);
  // Ends the status line, leaving its last state on screen.
  void Finish();

 protected:
  int overflow(int c) override;
  std::streamsize xsputn(const char* s, std::streamsize n) override;
  int sync() override { return target_->pubsync(); }

 private:
  void Wipe();
  std::streambuf* target_;
  bool shown_ = false;
};

// Puts a StatusLineBuf in front of `stream` (a terminal's) for as long as it
// lives; on destruction ends the status line and gives the stream back its
// own buffer.
class StatusLineGuard {
 public:
  explicit StatusLineGuard(std::ostream& stream)
      : stream_(stream), own_(stream.rdbuf()), buf_(own_) {
    stream_.rdbuf(&buf_);
  }
  ~StatusLineGuard() {
    buf_.Finish();
    stream_.rdbuf(own_);
  }
  StatusLineGuard(const StatusLineGuard&) = delete;
  StatusLineGuard& operator=(const StatusLineGuard&) = delete;
  void Show(const std::string& line) { buf_.ShowStatus(line); }

 private:
  std::ostream& stream_;
  std::streambuf* own_;
  StatusLineBuf buf_;
};

}  // namespace schism::harness
