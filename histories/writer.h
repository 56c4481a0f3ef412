#pragma once
// Append-only writer of history.jsonl (DESIGN.md §3).

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>

#include "histories/event.h"

namespace schism::histories {

// Appends events to a history file, numbering them 0, 1, 2, ... Every line is
// handed to the kernel with write(2) before Append() returns, so a crash of
// the writing process never loses an appended event (a crash of the machine
// may, unless Sync() was called after it).
//
// If the file already holds events, numbering continues after the last valid
// one, and a last line without its '\n' (a write cut short by a crash) is cut
// off first, so that the file stays a valid history.
//
// Append() may be called from several threads; lines never interleave and "i"
// follows the order of the lines in the file. Non-copyable: it owns the file
// descriptor, which the destructor closes.
class HistoryWriter {
 public:
  // Opens `path`, creating it (mode 0644) if needed. Throws std::system_error
  // naming the path when it cannot be opened or read.
  explicit HistoryWriter(const std::filesystem::path& path);
  // Keeps the lines in memory instead (text()), for a simulated run that is
  // written out only when it fails.
  HistoryWriter();
  ~HistoryWriter();

  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // Sets event.index to the next index, writes the event as one line and
  // returns the index. The caller sets event.time. Throws std::system_error
  // naming the path if the write fails, and HistoryError if the event cannot
  // be rendered (see FormatEvent); the index is not used up in either case.
  std::uint64_t Append(Event event);

  // Asks the kernel to put every appended line on disk (fdatasync), so that a
  // crash of the machine loses nothing appended before the call. Throws
  // std::system_error naming the path when that fails.
  void Sync();

  // The index the next Append() will assign.
  std::uint64_t next_index() const;

  const std::filesystem::path& path() const { return path_; }
  // What an in-memory writer holds: every appended line.
  const std::string& text() const { return memory_; }

 private:
  // Finds the index to continue from and cuts off a torn last line.
  void Recover();
  // Writes all of `data`, retrying after EINTR and short writes.
  void WriteAll(const std::string& data);

  std::filesystem::path path_;
  int fd_ = -1;
  mutable std::mutex mu_;
  std::uint64_t next_index_ = 0;  // Guarded by mu_.
  std::string memory_;            // The lines, when there is no file. Guarded by mu_.
};

}  // namespace schism::histories
