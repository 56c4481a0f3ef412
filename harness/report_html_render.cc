// HtmlReport::Render: the page. The timeline is two rows, the axis (sticky, so
// it stays in view over many lanes) and the lanes, each a column of node names
// and a plot that takes the rest of the page's width. A time's x is the same
// percentage of both plots, so they line up in any window, while text and
// lanes keep their size in pixels.
#include <algorithm>
#include <cstdio>
#include <ostream>
#include <sstream>

#include "harness/report_html.h"

namespace schism::harness {
namespace {

constexpr double kPlotW = 1000;  // px: the plot's width assumed to decide whether a label fits
constexpr double kNamesW = 44;   // px: the column of node names
constexpr double kRowH = 15;     // px: one row of stacked labels
constexpr double kCharW = 7;     // px: a character of the 12 px font, roughly
constexpr double kAxisH = 42;    // px: the axis: marker labels, then tick labels
constexpr std::size_t kMaxLabelRows = 5;     // more labels than fit: the rest only on hover
constexpr std::size_t kMaxLineChars = 2000;  // an evidence line shown longer is cut
constexpr std::size_t kMaxTipLines = 8;      // evidence lines in one mark's hover

std::string Format(const char* format, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}
// A y in px, or a time in a tooltip.
std::string Num(double v) { return Format("%.2f", v); }

std::string Join(const std::vector<std::string>& words, const char* separator = ", ") {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : separator) + w;
  return out;
}

const char* ValidityWord(checkers::Validity v) {
  switch (v) {
    case checkers::Validity::kValid:
      return "valid";
    case checkers::Validity::kInvalid:
      return "invalid";
    case checkers::Validity::kUnknown:
      return "unknown";
  }
  return "unknown";
}

const char* Colour(const std::string& kind) {
  if (kind == "leader") return "#1f6feb";
  if (kind == "candidate") return "#e3b341";
  if (kind == "follower") return "#c9d1d9";
  if (kind == "paused") return "#8250df";
  if (kind == "flapping") return "url(#flapping)";
  return "#30363d";  // down
}

// A fault band's colour, by fault kind; a kind without one of its own gets
// the last.
const char* FaultColour(const std::string& kind) {
  static const std::pair<const char*, const char*> kColours[] = {
      {"partition", "#fd8c73"}, {"flap", "#e16f24"},   {"kill", "#8a4600"},
      {"term", "#6e7781"},      {"pause", "#8250df"},  {"loss", "#bf8700"},
      {"delay", "#0969da"},     {"duplicate", "#1b7c83"}, {"bandwidth", "#4d2d00"},
      {"clock", "#bf3989"}};
  for (const auto& [name, colour] : kColours) {
    if (kind == name) return colour;
  }
  return "#953800";
}

// The tick step: 1, 2 or 5 times a power of ten up to 10 s, then divisors
// and multiples of a minute, so that the axis has 6 to 15 steps.
double TickStep(double span) {
  for (double step : {0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0, 300.0, 600.0,
                      1200.0, 1800.0, 3600.0}) {
    if (span / step <= 15) return step;
  }
  double step = 7200;
  while (span / step > 15) step *= 2;
  return step;
}

// A percentage of the plot's width, as an SVG length.
std::string Pct(double v) { return Format("%.3f", v) + "%"; }

// The width of `text`, as a percentage of the plot (at kPlotW).
double TextWidth(const std::string& text) {
  return 100 * (kCharW * static_cast<double>(text.size()) + 6) / kPlotW;
}

// Where a label at x goes: right of x, or against the right edge when it
// would run off it. Returns its extent [from, to) and the text's attributes.
std::pair<double, double> LabelExtent(double x, const std::string& text) {
  const double w = TextWidth(text);
  return x + w <= 100 ? std::pair(x, x + w) : std::pair(100 - w, 100.0);
}
std::string LabelAt(double x, const std::string& text) {
  if (x + TextWidth(text) <= 100) return "x=\"" + Pct(x) + "\" dx=\"3\"";
  return "x=\"100%\" dx=\"-2\" text-anchor=\"end\"";
}

// Puts each label, given as its extent, on the first row where it does not
// run into the label before it. Returns each label's row, or -1 when all
// kMaxLabelRows are taken there; `rows` is set to the rows used.
std::vector<int> StackLabels(const std::vector<std::pair<double, double>>& extents,
                             std::size_t& rows) {
  std::vector<int> row_of;
  std::vector<double> row_ends;
  for (const auto& [from, to] : extents) {
    std::size_t row = 0;
    while (row < row_ends.size() && row_ends[row] > from) ++row;
    if (row == kMaxLabelRows) {
      row_of.push_back(-1);
      continue;
    }
    if (row == row_ends.size()) row_ends.push_back(0);
    row_ends[row] = to;
    row_of.push_back(static_cast<int>(row));
  }
  rows = row_ends.size();
  return row_of;
}

std::string Cut(const std::string& line) {
  if (line.size() <= kMaxLineChars) return line;
  return line.substr(0, kMaxLineChars) + " … (" + std::to_string(line.size() - kMaxLineChars) +
         " more bytes)";
}

// An event some verdict names as evidence.
struct Evidence {
  std::uint64_t i = 0;
  std::vector<std::string> checkers;  // those that name it
  const std::string* line = nullptr;  // as in history.jsonl; null: the caller has none
  double t = -1;                      // < 0: unknown (no line, or no "t" in it)
  std::string node;
};

std::vector<Evidence> CollectEvidence(const std::vector<checkers::Verdict>& verdicts,
                                      const std::map<std::uint64_t, std::string>& lines) {
  std::map<std::uint64_t, Evidence> by_i;
  for (const auto& v : verdicts) {
    for (std::uint64_t i : v.evidence) {
      auto& names = by_i[i].checkers;
      if (std::find(names.begin(), names.end(), v.checker) == names.end()) {
        names.push_back(v.checker);
      }
    }
  }
  std::vector<Evidence> out;
  for (auto& [i, e] : by_i) {
    e.i = i;
    if (auto it = lines.find(i); it != lines.end()) {
      e.line = &it->second;
      auto j = nlohmann::json::parse(it->second, nullptr, /*allow_exceptions=*/false);
      if (j.is_object() && j.contains("t") && j["t"].is_number()) e.t = j["t"].get<double>();
      if (j.is_object() && j.contains("node") && j["node"].is_string()) {
        e.node = j["node"].get<std::string>();
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

// Opens one row of the timeline and its first SVG, the column of node names;
// the plot follows. Both are `height` px tall.
void OpenRow(std::ostream& o, const char* row_class, double height) {
  o << "<div class=\"" << row_class << "\"><svg class=\"names\" width=\"" << kNamesW
    << "\" height=\"" << Num(height) << "\" xmlns=\"http://www.w3.org/2000/svg\">";
}

const char kStyle[] =
    "body{font:14px/1.45 system-ui,sans-serif;margin:20px 24px;color:#1f2328}"
    "h1{font-size:22px;margin:0 0 10px}h2{font-size:17px;margin:24px 0 8px}"
    "table{border-collapse:collapse}td,th{border:1px solid #d0d7de;padding:4px 10px;"
    "text-align:left;vertical-align:top}th{background:#f6f8fa;white-space:nowrap}td:first-child{"
    "white-space:nowrap}"
    ".valid{color:#1a7f37;font-weight:600}.invalid{color:#cf222e;font-weight:700}"
    ".unknown{color:#9a6700;font-weight:600}"
    ".warnings{color:#9a6700;margin:4px 0;padding-left:18px}"
    ".settings{display:flex;flex-wrap:wrap;gap:2px 22px;margin:0 0 4px}"
    ".settings dt{display:inline;color:#656d76}.settings dd{display:inline;margin:0 0 0 6px;"
    "font-weight:600}.cmd{color:#656d76;margin:0 0 14px;overflow-wrap:anywhere}"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}"
    ".legend{margin:0 0 6px}.sw{display:inline-block;width:12px;height:12px;border-radius:2px;"
    "vertical-align:-1px;margin:0 4px 0 14px}.sw:first-child{margin-left:0}"
    ".row{display:flex}.row svg{display:block;overflow:visible;font-size:12px}"
    ".names{flex:none}.plot{flex:1 1 0;min-width:0;margin:0 18px 0 14px}"
    ".axis{position:sticky;top:0;z-index:1;background:#fff;border-bottom:1px solid #8c959f}"
    "rect[data-tip]:hover{stroke:#1f2328;stroke-width:1.5}"
    ".evidence code{overflow-wrap:anywhere}.missing{color:#656d76;font-style:italic}"
    ".kpis{display:flex;flex-wrap:wrap;gap:8px 28px}.kpi{font-size:12px}"
    ".ctx{display:block;color:#656d76}.ctx.self{color:#cf222e}summary{cursor:pointer;color:#656d76}"
    ".evidence tr:target{background:#fff8c5}"
    ".zoombar{margin:0 0 6px;color:#656d76}.zoombar button{font:inherit;padding:1px 8px}"
    ".tl.zoomed .plot{overflow:hidden}.tl.zoomed .ln{cursor:grab}"
    "#tip{position:fixed;display:none;pointer-events:none;z-index:2;max-width:80ch;"
    "background:#1f2328;color:#fff;padding:5px 8px;border-radius:4px;white-space:pre-wrap;"
    "font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}";

// Shows the data-tip of whatever is under the pointer, at once and next to it:
// SVG <title>s show late, or not at all, in some browsers.
const char kScript[] =
    "(function(){var tip=document.getElementById('tip');"
    "document.addEventListener('mousemove',function(e){"
    "var t=e.target.closest?e.target.closest('[data-tip]'):null;"
    "if(!t){tip.style.display='none';return;}"
    "tip.textContent=t.getAttribute('data-tip');tip.style.display='block';"
    "var x=e.clientX+14,y=e.clientY+16;"
    "if(x+tip.offsetWidth>innerWidth-4)x=Math.max(4,e.clientX-14-tip.offsetWidth);"
    "if(y+tip.offsetHeight>innerHeight-4)y=Math.max(4,e.clientY-12-tip.offsetHeight);"
    "tip.style.left=x+'px';tip.style.top=y+'px';});"
    "document.addEventListener('mouseleave',function(){tip.style.display='none';});})();";

// Zoom and pan on the time axis. Every x of the plots is a percentage of the
// whole run; a window [a, b] (percent of the run) maps x to (x - a) * 100 /
// (b - a). The ticks (class tk) are drawn again for the window.
const char kZoomScript[] =
    "(function(){var tl=document.querySelector('.tl');if(!tl)return;"
    "var span=+tl.getAttribute('data-span'),NS='http://www.w3.org/2000/svg';"
    "var ax=tl.querySelector('svg.ax'),lanes=[].slice.call(tl.querySelectorAll('svg.ln'));"
    "var els=[];[].slice.call(tl.querySelectorAll('svg.plot *')).forEach(function(e){"
    "if(e.classList.contains('tk'))return;['x','x1','x2','cx','width'].forEach(function(n){"
    "var v=e.getAttribute(n);if(v&&v.charAt(v.length-1)=='%')els.push([e,n,parseFloat(v)]);});});"
    "var a=0,b=100,win=document.getElementById('window');"
    "function step(s){var c=[.01,.02,.05,.1,.2,.5,1,2,5,10,20,30,60,120,300,600,1200,1800,3600];"
    "for(var i=0;i<c.length;i++)if(s/c[i]<=15)return c[i];var t=7200;while(s/t>15)t*=2;return t;}"
    "function el(p,n,at,txt){var e=document.createElementNS(NS,n);for(var k in at)e.setAttribute(k,at[k]);"
    "e.setAttribute('class',n=='text'?'tick tk':'tk');if(txt)e.textContent=txt;p.appendChild(e);}"
    "function ticks(k){[].slice.call(tl.querySelectorAll('.tk')).forEach(function(e){e.remove();});"
    "var t0=a*span/100,t1=b*span/100,st=step(t1-t0);"
    "for(var t=Math.ceil(t0/st-1e-9)*st;t<=t1+1e-9;t+=st){var p=(t/span*100-a)*k,x=p.toFixed(3)+'%';"
    "el(ax,'line',{x1:x,x2:x,y1:35,y2:42,stroke:'#57606a'});"
    "el(ax,'text',{x:x,y:31,'text-anchor':p<2?'start':p>98?'end':'middle'},(+t.toFixed(3))+' s');"
    "lanes.forEach(function(l){var g=document.createElementNS(NS,'line');"
    "g.setAttribute('class','tk');g.setAttribute('x1',x);g.setAttribute('x2',x);g.setAttribute('y1',0);"
    "g.setAttribute('y2',l.getAttribute('height'));g.setAttribute('stroke','#eaeef2');"
    "l.insertBefore(g,l.firstChild.nextSibling);});}}"
    "function apply(){var k=100/(b-a);els.forEach(function(r){r[0].setAttribute(r[1],"
    "(r[1]=='width'?r[2]*k:(r[2]-a)*k).toFixed(3)+'%');});"
    "tl.classList.toggle('zoomed',b-a<99.99);ticks(k);"
    "var f=function(v){return (+(v*span/100).toFixed(2))};win.textContent=f(a)+'\u2013'+f(b)+' s';"
    "if(history.replaceState)history.replaceState(null,'',b-a<99.99?'#t='+f(a)+'-'+f(b):location.pathname);}"
    "function set(na,w){w=Math.min(100,Math.max(100*0.05/Math.max(span,0.05),w));"
    "a=Math.min(Math.max(0,na),100-w);b=a+w;apply();}"
    "function zoom(f,c){var w=(b-a)*f;set(c-(c-a)*f,w);}"
    "document.querySelector('.zoombar').addEventListener('click',function(e){"
    "var z=e.target.getAttribute('data-zoom');if(z=='in')zoom(0.5,(a+b)/2);"
    "if(z=='out')zoom(2,(a+b)/2);if(z=='fit')set(0,100);});"
    "function at(e){var r=lanes[0].getBoundingClientRect();"
    "return a+(e.clientX-r.left)/r.width*(b-a);}"
    "tl.addEventListener('wheel',function(e){if(!e.ctrlKey&&!e.metaKey)return;e.preventDefault();"
    "zoom(e.deltaY>0?1.25:0.8,at(e));},{passive:false});"
    "var drag=null;tl.addEventListener('mousedown',function(e){if(b-a>=99.99||e.button)return;"
    "drag={x:e.clientX,a:a,w:lanes[0].getBoundingClientRect().width};e.preventDefault();});"
    "addEventListener('mousemove',function(e){if(!drag)return;"
    "set(drag.a-(e.clientX-drag.x)/drag.w*(b-a),b-a);});"
    "addEventListener('mouseup',function(){drag=null;});"
    "var m=/#t=([0-9.]+)-([0-9.]+)/.exec(location.hash);"
    "if(m&&+m[2]>+m[1])set(+m[1]/span*100,(+m[2]-+m[1])/span*100);})();";

// One small bar chart: a row per (label, value, text), bars scaled to the
// largest value (or to `scale` when it is set, e.g. 100 for a percentage).
struct Bar {
  std::string label;
  double value;
  std::string text;
};
void BarChart(std::ostream& o, const std::string& title, const std::vector<Bar>& bars,
              double scale = 0) {
  if (bars.empty()) return;
  double top = scale;
  for (const Bar& b : bars) top = std::max(top, b.value);
  if (!(top > 0)) top = 1;
  constexpr double kLabelW = 110, kBarW = 160, kRow = 18;
  const double height = kRow * static_cast<double>(bars.size()) + 20;
  o << "<svg class=\"kpi\" width=\"" << kLabelW + kBarW + 90 << "\" height=\"" << Num(height)
    << "\" xmlns=\"http://www.w3.org/2000/svg\"><text x=\"0\" y=\"12\" font-weight=\"600\">"
    << HtmlEscape(title) << "</text>";
  double y = 20;
  for (const Bar& b : bars) {
    const double w = std::max(1.0, kBarW * b.value / top);
    o << "<text x=\"0\" y=\"" << Num(y + 12) << "\" fill=\"#656d76\">" << HtmlEscape(b.label)
      << "</text><rect x=\"" << kLabelW << "\" y=\"" << Num(y + 3) << "\" width=\"" << Num(w)
      << "\" height=\"11\" fill=\"#1f6feb\"/><text x=\"" << Num(kLabelW + w + 5) << "\" y=\""
      << Num(y + 12) << "\">" << HtmlEscape(b.text) << "</text>";
    y += kRow;
  }
  o << "</svg>";
}

double Number(const nlohmann::json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number() ? it->get<double>() : 0.0;
}

// The kpis checker's figures as small charts: election times, the leaderless
// share, and what ended each leadership.
void RenderKpis(std::ostream& o, const std::vector<checkers::Verdict>& verdicts) {
  const auto kpis = std::find_if(verdicts.begin(), verdicts.end(),
                                 [](const checkers::Verdict& v) { return v.checker == "kpis"; });
  if (kpis == verdicts.end() || !kpis->details.is_object()) return;
  const nlohmann::json& d = kpis->details;
  o << "<h2>KPIs</h2><div class=\"kpis\">";
  const nlohmann::json election = d.value("election_s", nlohmann::json::object());
  if (Number(election, "count") > 0) {
    std::vector<Bar> bars;
    for (const char* key : {"p50", "p95", "max"}) {
      bars.push_back({std::string("election ") + key, Number(election, key),
                      Format("%.3f s", Number(election, key))});
    }
    BarChart(o, Format("%.0f election(s)", Number(election, "count")), bars);
  }
  const double leaderless = Number(d, "leaderless_pct");
  BarChart(o, Format("leader changes: %.1f a minute", Number(d, "leader_changes_per_min")),
           {{"leaderless", leaderless, Format("%.1f %% of the run", leaderless)}}, 100);
  const nlohmann::json losses = d.value("losses", nlohmann::json::object());
  std::vector<Bar> ends;
  for (const auto& [cause, count] : losses.items()) {
    if (count.is_number() && count.get<double>() > 0) {
      ends.push_back({cause, count.get<double>(), Format("%.0f", count.get<double>())});
    }
  }
  BarChart(o, "leaderships ended by", ends);
  o << "</div>";
}

}  // namespace

std::string HtmlEscape(const std::string& text) {
  std::string out;
  for (char c : text) {
    const char* entity = c == '<'    ? "&lt;"
                         : c == '>'  ? "&gt;"
                         : c == '&'  ? "&amp;"
                         : c == '"'  ? "&quot;"
                         : c == '\'' ? "&#39;"
                         : c == '\n' ? "&#10;"  // kept in a data-tip
                                     : nullptr;
    if (entity == nullptr) {
      out.push_back(c);
    } else {
      out += entity;
    }
  }
  return out;
}

struct HtmlReport::Layout {
  // Evidence named by the same checkers at one instant (within 0.3 % of the plot).
  struct Mark {
    double t = 0;
    std::string label;               // "vote-once i=29, 31 +3"
    std::string tip;                 // the label, then the events' lines
    std::uint64_t first_i = 0;       // where a click on it leads in the list
    std::vector<std::string> nodes;  // the lanes to dot
  };

  double span = 1, step = 1, lane_h = 26, quiet_end = 0;
  double band_top = 0, top = 0, height = 0;  // label rows: evidence, then faults; then lanes
  std::vector<Evidence> evidence;            // all of it, in "i" order, for the list
  std::vector<Mark> marks;                   // the evidence with a time, in time order
  std::vector<int> mark_row, band_row;       // label row of each; -1: not labelled

  double x(double t) const { return 100 * t / span; }  // percent of the plot
};

HtmlReport::Layout HtmlReport::Plan(const std::vector<checkers::Verdict>& verdicts,
                                    const std::map<std::uint64_t, std::string>& lines) const {
  Layout l;
  l.span = std::max(end_time_, 1.0);
  l.step = TickStep(l.span);
  l.lane_h = node_order_.size() <= 12 ? 26 : 18;
  l.quiet_end = stopping_ >= final_heal_ ? stopping_ : end_time_;
  l.evidence = CollectEvidence(verdicts, lines);

  std::vector<const Evidence*> timed;
  for (const Evidence& e : l.evidence) {
    if (e.t >= 0) timed.push_back(&e);
  }
  std::stable_sort(timed.begin(), timed.end(),
                   [](const Evidence* a, const Evidence* b) { return a->t < b->t; });
  std::vector<std::vector<const Evidence*>> groups;
  for (const Evidence* e : timed) {
    if (!groups.empty() && groups.back()[0]->checkers == e->checkers &&
        l.x(e->t) - l.x(groups.back()[0]->t) < 0.3) {
      groups.back().push_back(e);
    } else {
      groups.push_back({e});
    }
  }
  std::vector<std::pair<double, double>> extents;
  for (const auto& group : groups) {
    Layout::Mark m{group[0]->t, Join(group[0]->checkers) + " i=", "", group[0]->i, {}};
    for (std::size_t k = 0; k < group.size(); ++k) {
      if (k < 3) m.label += (k ? ", " : "") + std::to_string(group[k]->i);
      if (k < kMaxTipLines) m.tip += "\n" + Cut(*group[k]->line);
      m.nodes.push_back(group[k]->node);
    }
    if (group.size() > 3) m.label += " +" + std::to_string(group.size() - 3);
    if (group.size() > kMaxTipLines) {
      m.tip += "\n… " + std::to_string(group.size() - kMaxTipLines) + " more in the list below";
    }
    m.tip = m.label + " at " + Num(m.t) + " s" + m.tip;
    extents.push_back(LabelExtent(l.x(m.t), m.label));
    l.marks.push_back(std::move(m));
  }
  std::size_t mark_rows = 0, band_rows = 0;
  l.mark_row = StackLabels(extents, mark_rows);
  extents.clear();
  for (const Band& b : bands_) extents.push_back(LabelExtent(l.x(b.start), b.label));
  l.band_row = StackLabels(extents, band_rows);
  l.band_top = 4 + kRowH * static_cast<double>(mark_rows);
  l.top = l.band_top + kRowH * static_cast<double>(band_rows) + 4;
  l.height = l.top + l.lane_h * static_cast<double>(node_order_.size()) + 6;
  return l;
}

void HtmlReport::RenderAxis(std::ostream& o, const Layout& l) const {
  OpenRow(o, "row axis", kAxisH);
  o << "<text x=\"4\" y=\"31\" fill=\"#656d76\">node</text></svg><svg class=\"plot ax\" width=\"100%\""
    << " height=\"" << kAxisH << "\" xmlns=\"http://www.w3.org/2000/svg\">";
  if (final_heal_ >= 0) {
    const double from = l.x(final_heal_), to = l.x(l.quiet_end);
    const std::string tip = "final heal at " + Num(final_heal_) +
                            " s: from here the network is whole, clocks are true and every "
                            "node is up; quiet until " +
                            Num(l.quiet_end) + " s";
    o << "<rect x=\"" << Pct(from) << "\" y=\"0\" width=\"" << Pct(std::max(0.1, to - from))
      << "\" height=\"" << kAxisH << "\" fill=\"#2da44e\" fill-opacity=\"0.14\" data-tip=\""
      << HtmlEscape(tip) << "\"/><line x1=\"" << Pct(from) << "\" x2=\"" << Pct(from)
      << "\" y1=\"0\" y2=\"" << kAxisH << "\" stroke=\"#1a7f37\" stroke-width=\"2\"/>";
    // The label goes in the quiet period, or left of the heal when it does not fit.
    std::string label = "final heal · quiet period";
    const bool fits = from + TextWidth(label) <= to;
    if (!fits) label = "final heal ▸";
    o << "<text x=\"" << Pct(from) << "\" dx=\"" << (fits ? 4 : -4) << "\" y=\"14\" text-anchor=\""
      << (fits ? "start" : "end") << "\" fill=\"#1a7f37\" font-weight=\"600\" data-tip=\""
      << HtmlEscape(tip) << "\">" << HtmlEscape(label) << "</text>";
  }
  if (stopping_ >= 0) {
    const std::string tip = "at " + Num(stopping_) +
                            " s the controller began stopping the nodes; the checkers judge "
                            "the run up to here";
    // Right of the line, or left of it when it would run off the plot.
    const bool fits = l.x(stopping_) + TextWidth("stopping") <= 100;
    o << "<line x1=\"" << Pct(l.x(stopping_)) << "\" x2=\"" << Pct(l.x(stopping_))
      << "\" y1=\"0\" y2=\"" << kAxisH
      << "\" stroke=\"#57606a\" stroke-dasharray=\"3 2\"/><text x=\"" << Pct(l.x(stopping_))
      << "\" dx=\"" << (fits ? 4 : -4) << "\" text-anchor=\"" << (fits ? "start" : "end")
      << "\" y=\"14\" fill=\"#57606a\" data-tip=\"" << HtmlEscape(tip) << "\">stopping</text>";
  }
  for (int k = 0; k * l.step <= l.span + 1e-9; ++k) {
    const double tx = l.x(k * l.step);
    o << "<line class=\"tk\" x1=\"" << Pct(tx) << "\" x2=\"" << Pct(tx) << "\" y1=\"35\" y2=\"" << kAxisH
      << "\" stroke=\"#57606a\"/><text class=\"tick tk\" x=\"" << Pct(tx)
      << "\" y=\"31\" text-anchor=\"middle\">" << Format("%g", k * l.step) << " s</text>";
  }
  o << "</svg></div>";
}

void HtmlReport::RenderLanes(std::ostream& o, const Layout& l) const {
  auto until = [&](double end) { return end < 0 ? end_time_ : end; };
  auto vline = [&](double x, double y1, const char* style) {
    o << "<line x1=\"" << Pct(x) << "\" x2=\"" << Pct(x) << "\" y1=\"" << Num(y1) << "\" y2=\""
      << Num(l.height) << "\" " << style << "/>";
  };
  std::map<std::string, double> lane_y;  // the middle of each node's lane
  OpenRow(o, "row", l.height);
  for (std::size_t row = 0; row < node_order_.size(); ++row) {
    const std::string& node = node_order_[row];
    lane_y[node] = l.top + l.lane_h * (static_cast<double>(row) + 0.5);
    o << "<text x=\"4\" y=\"" << Num(lane_y[node] + 4) << "\">" << HtmlEscape(node) << "</text>";
  }
  o << "</svg><svg class=\"plot ln\" width=\"100%\" height=\"" << Num(l.height)
    << "\" xmlns=\"http://www.w3.org/2000/svg\"><defs><pattern id=\"flapping\" width=\"6\" "
       "height=\"6\" patternUnits=\"userSpaceOnUse\" patternTransform=\"rotate(45)\"><rect "
       "width=\"3\" height=\"6\" fill=\"#1f6feb\"/><rect x=\"3\" width=\"3\" height=\"6\" "
       "fill=\"#e3b341\"/></pattern></defs>";
  for (int k = 0; k * l.step <= l.span + 1e-9; ++k) {
    vline(l.x(k * l.step), 0, "class=\"tk\" stroke=\"#eaeef2\"");
  }
  if (final_heal_ >= 0) {
    o << "<rect x=\"" << Pct(l.x(final_heal_)) << "\" y=\"0\" width=\""
      << Pct(std::max(0.1, l.x(l.quiet_end) - l.x(final_heal_))) << "\" height=\"" << Num(l.height)
      << "\" fill=\"#2da44e\" fill-opacity=\"0.10\"/>";
  }
  for (std::size_t k = 0; k < bands_.size(); ++k) {
    const Band& b = bands_[k];
    const double end = until(b.end);
    const std::string tip = b.label + " " + Num(b.start) + "–" + Num(end) + " s" +
                            (b.end < 0 ? " (never ended)" : "") + b.detail;
    const double y = l.band_row[k] < 0 ? l.top : l.band_top + kRowH * l.band_row[k];
    o << "<rect x=\"" << Pct(l.x(b.start)) << "\" y=\"" << Num(y) << "\" width=\""
      << Pct(std::max(0.1, l.x(end) - l.x(b.start))) << "\" height=\"" << Num(l.height - y)
      << "\" fill=\"" << FaultColour(b.kind) << "\" fill-opacity=\"0.18\" class=\"band\" data-kind=\""
      << HtmlEscape(b.kind) << "\" data-tip=\"" << HtmlEscape(tip) << "\"/>";
    if (l.band_row[k] >= 0) {
      o << "<text " << LabelAt(l.x(b.start), b.label) << " y=\"" << Num(y + 12)
        << "\" fill=\"#953800\" data-tip=\"" << HtmlEscape(tip) << "\">" << HtmlEscape(b.label)
        << "</text>";
    }
  }
  o << "<g shape-rendering=\"crispEdges\">";
  for (const std::string& node : node_order_) {
    const double y = lane_y[node] - l.lane_h / 2;
    for (const auto& s : lanes_.at(node)) {
      const double end = until(s.end), width = l.x(end) - l.x(s.start);
      std::string tip = node + " " + s.kind + (s.label.empty() ? "" : " " + s.label) + " " +
                        Num(s.start) + "–" + Num(end) + " s";
      if (s.kind == "flapping") tip += " (" + std::to_string(s.changes) + " role changes)";
      o << "<rect x=\"" << Pct(l.x(s.start)) << "\" y=\"" << Num(y + 3) << "\" width=\""
        << Pct(std::max(0.05, width)) << "\" height=\"" << l.lane_h - 6 << "\" fill=\""
        << Colour(s.kind) << "\" data-tip=\"" << HtmlEscape(tip) << "\"/>";
      if (s.kind == "leader" && width > TextWidth(s.label)) {
        o << "<text x=\"" << Pct(l.x(s.start)) << "\" dx=\"3\" y=\"" << Num(lane_y[node] + 4)
          << "\" fill=\"white\" pointer-events=\"none\">" << HtmlEscape(s.label) << "</text>";
      }
    }
  }
  o << "</g>";
  // Over the lanes, so that they do not hide it.
  if (final_heal_ >= 0) vline(l.x(final_heal_), 0, "stroke=\"#1a7f37\" stroke-width=\"2\"");
  if (stopping_ >= 0) vline(l.x(stopping_), 0, "stroke=\"#57606a\" stroke-dasharray=\"3 2\"");
  for (std::size_t k = 0; k < l.marks.size(); ++k) {
    const Layout::Mark& m = l.marks[k];
    const double x = l.x(m.t), y = l.mark_row[k] < 0 ? l.top : 4 + kRowH * l.mark_row[k];
    o << "<a href=\"#ev" << m.first_i << "\"><g data-tip=\"" << HtmlEscape(m.tip) << "\">";
    vline(x, y, "stroke=\"#cf222e\" stroke-width=\"1.5\"");
    vline(x, y, "stroke=\"transparent\" stroke-width=\"8\"");  // easier to hover
    for (const std::string& node : m.nodes) {
      if (auto it = lane_y.find(node); it != lane_y.end()) {
        o << "<circle cx=\"" << Pct(x) << "\" cy=\"" << Num(it->second)
          << "\" r=\"4.5\" fill=\"#cf222e\" stroke=\"#fff\" stroke-width=\"1.5\"/>";
      }
    }
    if (l.mark_row[k] >= 0) {
      o << "<text " << LabelAt(x, m.label) << " y=\"" << Num(y + 12)
        << "\" fill=\"#cf222e\" font-weight=\"600\">" << HtmlEscape(m.label) << "</text>";
    }
    o << "</g></a>";
  }
  o << "</svg></div>";
}

std::string HtmlReport::Render(const std::string& title,
                               const std::vector<checkers::Verdict>& verdicts,
                               checkers::Validity overall,
                               const std::map<std::uint64_t, std::string>& evidence,
                               const std::vector<std::string>& warnings) const {
  const Layout layout = Plan(verdicts, evidence);
  std::ostringstream o;
  o << "<!doctype html><html><head><meta charset=\"utf-8\">"
       "<meta name=\"viewport\" content=\"width=device-width\"><title>schism: "
    << HtmlEscape(title) << "</title><style>" << kStyle << "</style></head><body>";
  o << "<h1>" << HtmlEscape(title) << ": <span class=\"" << ValidityWord(overall) << "\">"
    << ValidityWord(overall) << "</span></h1>";
  if (!settings_.empty()) {
    o << "<dl class=\"settings\">";
    for (const auto& [key, value] : settings_) {
      o << "<div><dt>" << HtmlEscape(key) << "</dt><dd>" << HtmlEscape(value) << "</dd></div>";
    }
    o << "</dl>";
  }
  if (!command_.empty())
    o << "<p class=\"cmd\">command: <code>" << HtmlEscape(command_) << "</code></p>";
  if (!warnings.empty()) {
    o << "<ul class=\"warnings\">";
    for (const std::string& w : warnings) o << "<li>warning: " << HtmlEscape(w) << "</li>";
    o << "</ul>";
  }

  o << "<table><tr><th>checker</th><th>verdict</th><th>reason</th><th>evidence (i)</th></tr>";
  for (const auto& v : verdicts) {
    o << "<tr><td>" << HtmlEscape(v.checker) << "</td><td class=\"" << ValidityWord(v.valid) << "\">"
      << ValidityWord(v.valid) << "</td><td>" << HtmlEscape(v.reason) << "</td><td>";
    for (std::size_t k = 0; k < v.evidence.size(); ++k) {
      o << (k ? ", " : "") << "<a href=\"#ev" << v.evidence[k] << "\">" << v.evidence[k] << "</a>";
    }
    o << "</td></tr>";
  }
  o << "</table>";
  RenderKpis(o, verdicts);

  o << "<h2>Timeline</h2><p class=\"legend\">";
  for (const char* kind : {"leader", "candidate", "follower", "paused", "down"}) {
    o << "<span class=\"sw\" style=\"background:" << Colour(kind) << "\"></span>" << kind;
  }
  const bool flapping = std::any_of(lanes_.begin(), lanes_.end(), [](const auto& lane) {
    return std::any_of(lane.second.begin(), lane.second.end(),
                       [](const Segment& s) { return s.kind == "flapping"; });
  });
  if (flapping) {
    o << "<span class=\"sw\" style=\"background:repeating-linear-gradient(45deg,#1f6feb 0 3px,"
         "#e3b341 3px 6px)\"></span>flapping (role changes too brief to draw)";
  }
  // Only what this page shows, so that nothing in the legend is looked for in vain.
  std::vector<std::string> kinds;  // the fault kinds on the page, in order of appearance
  for (const Band& b : bands_) {
    if (std::find(kinds.begin(), kinds.end(), b.kind) == kinds.end()) kinds.push_back(b.kind);
  }
  for (const std::string& kind : kinds) {
    o << "<span class=\"sw fault\" style=\"background:" << FaultColour(kind)
      << ";opacity:.45\"></span>" << HtmlEscape(kind);
  }
  if (final_heal_ >= 0) {
    o << "<span class=\"sw\" style=\"background:#2da44e;opacity:.3\"></span>quiet period";
  }
  if (!layout.marks.empty()) {
    o << "<span class=\"sw\" style=\"background:#cf222e;width:3px\"></span>evidence";
  }
  o << " &nbsp;·&nbsp; hover for details</p>"
    << "<p class=\"zoombar\"><button type=\"button\" data-zoom=\"in\">zoom in</button> "
       "<button type=\"button\" data-zoom=\"out\">zoom out</button> "
       "<button type=\"button\" data-zoom=\"fit\">whole run</button> <span id=\"window\">0–"
    << Format("%g", layout.span)
    << " s</span> &nbsp;·&nbsp; ctrl+wheel zooms where the pointer is, dragging moves along; the "
       "address keeps the window (#t=FROM-TO)</p><div class=\"tl\" data-span=\""
    << Format("%.6f", layout.span) << "\">";
  RenderAxis(o, layout);
  RenderLanes(o, layout);
  o << "</div>";

  if (!layout.evidence.empty()) {
    o << "<h2>Evidence</h2><table class=\"evidence\"><tr><th>i</th><th>t (s)</th>"
         "<th>checker</th><th>event, as in history.jsonl</th></tr>";
    for (const Evidence& e : layout.evidence) {
      o << "<tr id=\"ev" << e.i << "\"><td>" << e.i << "</td><td>"
        << (e.t < 0 ? "" : Format("%.3f", e.t)) << "</td><td>" << HtmlEscape(Join(e.checkers))
        << "</td><td>";
      if (e.line == nullptr) {
        o << "<span class=\"missing\">no line given for i=" << e.i << "</span>";
      } else {
        o << "<code>" << HtmlEscape(Cut(*e.line)) << "</code>";
      }
      // The events around it, as the history has them.
      std::string around;
      for (std::uint64_t k = e.i >= 2 ? e.i - 2 : 0; k <= e.i + 2; ++k) {
        const auto it = evidence.find(k);
        if (k == e.i || it == evidence.end()) continue;
        around += "<code class=\"ctx\">" + HtmlEscape(Cut(it->second)) + "</code>";
        if (k + 1 == e.i) around += "<code class=\"ctx self\">▸ i=" + std::to_string(e.i) + "</code>";
      }
      if (!around.empty()) o << "<details><summary>around it</summary>" << around << "</details>";
      o << "</td></tr>";
    }
    o << "</table>";
  }
  o << "<div id=\"tip\"></div><script>" << kScript << kZoomScript << "</script></body></html>\n";
  return o.str();
}

}  // namespace schism::harness
