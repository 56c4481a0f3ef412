#pragma once
// report.html: the run at a glance. One lane per node coloured by the role it
// reported (leader, candidate, follower, down), the nemesis's faults as shaded
// bands, the checkers' evidence as red marks, and the verdict table on top.
// Pure: it is fed events and verdicts and returns the page as a string.

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <string>
#include <vector>

#include "checkers/checker.h"
#include "histories/event.h"

namespace schism::harness {

class HtmlReport {
 public:
  // Feeds the history in order.
  void Observe(const histories::Event& event);

  // Returns the whole page. `title` heads it (e.g. "raft, seed 7").
  std::string Render(const std::string& title, const std::vector<checkers::Verdict>& verdicts,
                     checkers::Validity overall) const;

 private:
  struct Segment {
    double start = 0, end = -1;  // end < 0: still open
    std::string kind;            // leader, candidate, follower, down
    std::string label;           // e.g. "t7"
  };
  struct Band {
    double start = 0, end = -1;
    std::string label;
  };
  void OpenSegment(const std::string& node, double t, std::string kind, std::string label);

  std::vector<std::string> node_order_;
  std::map<std::string, std::vector<Segment>> lanes_;
  std::vector<Band> bands_;
  std::map<std::string, std::size_t> open_bands_;  // nemesis f (+node) -> index in bands_
  std::map<std::uint64_t, double> event_times_;    // i -> t, for evidence marks (role/vote only)
  // Per node: the role and label it last reported, shown again when a pause ends.
  std::map<std::string, std::pair<std::string, std::string>> last_role_;
  std::set<std::string> paused_;
  double end_time_ = 0;
};

}  // namespace schism::harness
