#pragma once
// The run store (DESIGN.md §5):
//   <root>/<test>/<UTC timestamp>-s<seed>/{history.jsonl, timeline.json,
//       config.json, results.json, junit.xml, report.html, nodes/<node>.log}
//   <root>/latest -> <test>/<UTC timestamp>-s<seed>
// Nodes' data dirs live in the run dir too, under data/<node>. While a run is
// going, the ops it has applied are in timeline.partial.jsonl (one per line);
// timeline.json replaces it at the end, so it is left only by a run that died.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace schism::harness {

class RunDir {
 public:
  // Creates a fresh run directory for `test` under `root` (and nodes/, data/),
  // and points <root>/latest at it. Throws std::system_error naming the path
  // when it cannot. Two runs started within the same second get distinct
  // directories (a -2, -3 ... suffix). Runs may share a store at once: they
  // take turns (an flock on <root>/.latest.lock) to create their directory
  // and repoint latest, which ends at the one created last.
  static RunDir Create(const std::filesystem::path& root, std::string_view test, std::uint64_t seed);

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path History() const { return path_ / "history.jsonl"; }
  std::filesystem::path NodeLog(std::string_view node) const;
  std::filesystem::path DataDir(std::string_view node) const;
  std::filesystem::path TimelineSpool() const { return path_ / kTimelineSpoolName; }
  static constexpr const char* kTimelineSpoolName = "timeline.partial.jsonl";

  // Writes `name` in the run dir whole or not at all (a temporary file, fsync,
  // rename), so a reader never sees half a file.
  void WriteFile(std::string_view name, std::string_view content) const;

 private:
  explicit RunDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
};

}  // namespace schism::harness
