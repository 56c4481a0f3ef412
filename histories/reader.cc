#include "histories/reader.h"

#include <utility>

namespace schism::histories {

HistoryReader::HistoryReader(std::istream& in, std::string source, bool lenient)
    : in_(in), source_(std::move(source)), lenient_(lenient) {}

bool HistoryReader::Next(Event& out) {
  while (std::getline(in_, line_)) {
    ++line_number_;
    // A line that ends the stream without '\n' may have been cut short by a
    // crash of the writer.
    const bool truncated = in_.eof();
    if (!line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.find_first_not_of(" \t") == std::string::npos) continue;
    try {
      ParseCurrentLine(out, truncated);
    } catch (const HistoryError& e) {
      if (!lenient_) throw;
      if (skipped_++ == 0) first_skip_reason_ = e.what();
      continue;
    }
    last_index_ = out.index;
    ++events_;
    return true;
  }
  if (in_.bad()) {
    throw HistoryError(source_ + ":" + std::to_string(line_number_ + 1) + ": read error");
  }
  return false;
}

void HistoryReader::ParseCurrentLine(Event& out, bool truncated) {
  auto where = [this] { return source_ + ":" + std::to_string(line_number_) + ": "; };
  try {
    out = ParseEventLine(line_);
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
