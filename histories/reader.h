#pragma once
// Streaming reader of history.jsonl (DESIGN.md §3).

#include <cstdint>
#include <istream>
#include <optional>
#include <string>

#include "histories/event.h"

namespace schism::histories {

// Reads events one at a time from a stream of JSON lines. Memory use does not
// grow with the length of the history: one line buffer is reused throughout.
//
// Blank lines are skipped. A malformed line (see ParseEventLine), or a line
// whose "i" is not greater than the previous event's, is an error: Next()
// throws HistoryError("<source>:<line>: <problem>"). In lenient mode such
// lines are skipped and counted instead; the first problem is kept for a
// warning. The reader does not own the stream, which must outlive it.
class HistoryReader {
 public:
  // `source` names the stream in error messages (usually the file's path).
  HistoryReader(std::istream& in, std::string source, bool lenient = false);

  HistoryReader(const HistoryReader&) = delete;
  HistoryReader& operator=(const HistoryReader&) = delete;

  // Reads the next event into `out` and returns true, or returns false at the
  // end of the stream (out is then unspecified). Throws HistoryError for a
  // malformed line unless lenient, and for a stream read error.
  bool Next(Event& out);

  // The 1-based line number of the line read last (0 before the first).
  std::uint64_t line_number() const { return line_number_; }

  // How many events Next() has returned so far.
  std::uint64_t events() const { return events_; }

  // How many malformed lines lenient mode has skipped so far.
  std::uint64_t skipped() const { return skipped_; }

  // "<source>:<line>: <problem>" for the first skipped line; empty if none.
  const std::string& first_skip_reason() const { return first_skip_reason_; }

  const std::string& source() const { return source_; }

 private:
  // Parses line_ into `out`; throws HistoryError with the location prefixed.
  void ParseCurrentLine(Event& out, bool truncated);

  std::istream& in_;
  std::string source_;
  bool lenient_;
  std::string line_;
  std::uint64_t line_number_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t skipped_ = 0;
  std::string first_skip_reason_;
  std::optional<std::uint64_t> last_index_;
};

}  // namespace schism::histories
