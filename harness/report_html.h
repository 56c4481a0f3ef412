#pragma once
// report.html: the run at a glance, for someone who has never seen one.
//
// From the top: the verdict, the run's settings (elector or command, nodes,
// nemeses, seed, length, quiet period; taken from the run/start event's
// "config", absent for a history that has none), the verdict table, then the
// timeline: one lane per node coloured by the role it reported (leader,
// candidate, follower, paused, down), the nemesis's faults as shaded bands with
// their names, the quiet period from the final heal on, and each piece of
// evidence as a red line labelled with its checker and "i". The time axis stays
// at the top of the window while the lanes scroll under it, and the timeline
// takes the page's width. Hovering over a segment, band or evidence line shows
// its details (a few lines of inline script: the page loads nothing and works
// offline). Last, the evidence events themselves, as their history lines.
//
// Pure: it is fed events and verdicts and returns the page as a string.
// Memory does not grow with the number of events: it keeps the run's settings,
// one entry per fault, and per node at most kMaxSegments segments (role
// changes too brief to see are merged into one "flapping" segment).
// Evidence times come from the evidence lines the caller passes to Render.

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "checkers/checker.h"
#include "histories/event.h"

namespace schism::harness {

// `text` made safe inside HTML text and attribute values: < > & " ' and a
// newline (kept as &#10; in an attribute) become entities.
std::string HtmlEscape(const std::string& text);

class HtmlReport {
 public:
  // Per node, the most segments kept; past it, the briefest are merged.
  static constexpr std::size_t kMaxSegments = 2000;

  // Feeds the history in order.
  void Observe(const histories::Event& event);

  // Returns the whole page. `title` heads it (e.g. "raft, seed 7"; the caller
  // appends "(interrupted at T s)" to an interrupted run's). `evidence` maps a
  // history "i" to that event's JSON line as it appears in history.jsonl, for
  // every "i" any verdict names as evidence; an "i" without a line (or with a
  // line that is not JSON) is listed alone and not drawn on the timeline. It
  // may also hold the events around each piece of evidence (i-2 .. i+2),
  // which the evidence list shows with it, dimmed.
  // `warnings` (how the nodes kept the contract) are listed under the settings.
  std::string Render(const std::string& title, const std::vector<checkers::Verdict>& verdicts,
                     checkers::Validity overall,
                     const std::map<std::uint64_t, std::string>& evidence = {},
                     const std::vector<std::string>& warnings = {}) const;

 private:
  struct Segment {
    double start = 0, end = -1;  // end < 0: still open
    std::string kind;            // leader, candidate, follower, paused, down, flapping
    std::string label;           // e.g. "t7"
    std::size_t changes = 1;     // role changes merged into this segment
  };
  struct Band {
    double start = 0, end = -1;  // end < 0: still open
    std::string label;           // e.g. "partition halves", "kill n3"
    std::string detail;          // the op's parameters, for the hover, cut short
    std::string kind;            // the fault kind ("partition"): its colour
  };

  // Render's parts (report_html_render.cc): where everything on the timeline
  // goes, then the sticky axis and the lanes drawn from it.
  struct Layout;
  Layout Plan(const std::vector<checkers::Verdict>& verdicts,
              const std::map<std::uint64_t, std::string>& evidence) const;
  void RenderAxis(std::ostream& o, const Layout& layout) const;
  void RenderLanes(std::ostream& o, const Layout& layout) const;

  // Reads the run/start event's "config" into settings_ and command_; a
  // field it lacks is left out.
  void ReadSettings(const nlohmann::json& config);
  void AddNode(const std::string& node);
  void OpenSegment(const std::string& node, double t, std::string kind, std::string label);
  // Merges runs of closed segments shorter than a kMaxSegments/4-th of the
  // lane's span into single "flapping" segments, so the lane shrinks to at
  // most about half of kMaxSegments.
  void Compact(std::vector<Segment>& lane) const;

  std::vector<std::string> node_order_;
  std::map<std::string, std::vector<Segment>> lanes_;
  std::vector<Band> bands_;
  std::map<std::string, std::size_t> open_bands_;  // nemesis f (+node) -> index in bands_
  std::map<std::uint64_t, std::size_t> band_of_start_;  // a fault start's "i" -> its band
  // Per node: the role and label it last reported, shown again when a pause ends.
  std::map<std::string, std::pair<std::string, std::string>> last_role_;
  std::set<std::string> paused_;
  // The run's settings as (name, value) to show, and the command its nodes
  // ran; empty when the run/start event has no "config".
  std::vector<std::pair<std::string, std::string>> settings_;
  std::string command_;
  double final_heal_ = -1;  // when the final heal happened; < 0: it did not
  double stopping_ = -1;    // when the controller began stopping the nodes; < 0: never
  double end_time_ = 0;
};

}  // namespace schism::harness
