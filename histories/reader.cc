#include "histories/reader.h"

#include <cstring>
#include <utility>

namespace schism::histories {
namespace {

// Big enough that a read per block costs little next to parsing its lines.
constexpr std::size_t kBlockSize = 1 << 16;

}  // namespace

HistoryReader::HistoryReader(std::istream& in, std::string source, bool lenient)
    : in_(in), source_(std::move(source)), lenient_(lenient) {}

bool HistoryReader::Next(Event& out) {
  std::string_view line;
  bool truncated = false;
  while (NextLine(line, truncated)) {
    ++line_number_;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    try {
      ParseCurrentLine(line, out, truncated);
    } catch (const HistoryError& e) {
      if (!lenient_) throw;
      if (skipped_++ == 0) first_skip_reason_ = e.what();
      continue;
    }
    last_index_ = out.index;
    ++events_;
    return true;
  }
  return false;
}

bool HistoryReader::NextLine(std::string_view& line, bool& truncated) {
  std::size_t scanned = begin_;  // Where to look for the '\n' from.
  for (;;) {
    const char* data = buffer_.data();
    const void* newline =
        scanned < end_ ? std::memchr(data + scanned, '\n', end_ - scanned) : nullptr;
    if (newline != nullptr) {
      const std::size_t at = static_cast<std::size_t>(static_cast<const char*>(newline) - data);
      line = std::string_view(data + begin_, at - begin_);
      begin_ = at + 1;
      truncated = false;
      return true;
    }
    const std::size_t kept = end_ - begin_;
    if (!Fill()) break;
    scanned = kept;  // Fill() moved the unconsumed part, without a '\n', to the front.
  }
  if (begin_ == end_) return false;
  // A line that ends the stream without '\n' may have been cut short by a
  // crash of the writer.
  line = std::string_view(buffer_.data() + begin_, end_ - begin_);
  begin_ = end_;
  truncated = true;
  return true;
}

bool HistoryReader::Fill() {
  if (in_.eof() || in_.fail()) {
    if (in_.bad()) {
      throw HistoryError(source_ + ":" + std::to_string(line_number_ + 1) + ": read error");
    }
    return false;
  }
  // Keep the unconsumed part of a line at the front, and room for a block after it.
  const std::size_t kept = end_ - begin_;
  if (begin_ > 0) std::memmove(buffer_.data(), buffer_.data() + begin_, kept);
  begin_ = 0;
  end_ = kept;
  if (buffer_.size() < kept + kBlockSize) buffer_.resize(kept + kBlockSize);
  in_.read(buffer_.data() + end_, static_cast<std::streamsize>(buffer_.size() - end_));
  const auto got = static_cast<std::size_t>(in_.gcount());
  end_ += got;
  if (in_.bad()) {
    throw HistoryError(source_ + ":" + std::to_string(line_number_ + 1) + ": read error");
  }
  return got > 0;
}

void HistoryReader::ParseCurrentLine(std::string_view line, Event& out, bool truncated) {
  auto where = [this] { return source_ + ":" + std::to_string(line_number_) + ": "; };
  try {
    ParseEventLine(line, out);
  } catch (const HistoryError& e) {
    throw HistoryError(where() + e.what() +
                       (truncated ? " (last line has no newline: cut short?)" : ""));
  }
  if (last_index_ && out.index <= *last_index_) {
    throw HistoryError(where() + "\"i\" " + std::to_string(out.index) +
                       " does not follow the previous event's \"i\" " +
                       std::to_string(*last_index_));
  }
}

}  // namespace schism::histories
