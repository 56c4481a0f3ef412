#pragma once
// Streaming reader of history.jsonl (DESIGN.md §3).

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "histories/event.h"

namespace schism::histories {

// Reads events one at a time from a stream of JSON lines. Memory use does not
// grow with the length of the history: one block buffer is reused throughout
// (it grows only to hold the longest line). The stream is read ahead in
// blocks, so it is of no further use to the caller once given to a reader.
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
  // Sets `line` to the next line (without its '\n') and returns true, or
  // returns false at the end of the stream. `truncated` tells a last line
  // that has no '\n'. Throws HistoryError for a read error.
  bool NextLine(std::string_view& line, bool& truncated);

  // Reads more of the stream into buffer_ after what is left of it; returns
  // false when nothing more could be read.
  bool Fill();

  // Parses `line` into `out`; throws HistoryError with the location prefixed.
  void ParseCurrentLine(std::string_view line, Event& out, bool truncated);

  std::istream& in_;
  std::string source_;
  bool lenient_;
  std::vector<char> buffer_;  // Read from the stream; [begin_, end_) not yet consumed.
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::uint64_t line_number_ = 0;
  std::uint64_t events_ = 0;
  std::uint64_t skipped_ = 0;
  std::string first_skip_reason_;
  std::optional<std::uint64_t> last_index_;
};

}  // namespace schism::histories
