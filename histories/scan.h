#pragma once
// Internal to histories/: a fast path for parsing the common history line.
//
// nlohmann::json builds a tree of allocations for every line, which caps the
// reader well below the 1M events/s that checkers can take. Nearly every line
// the writer produces is a flat object of plain strings and numbers, which
// ScanEventLine() reads directly. Anything unusual (escapes, non-ASCII text,
// an ill-typed field, a syntax error) makes it give up, and the caller parses
// the line with nlohmann::json, which also produces the precise error message.
//
// simdjson's On Demand API was measured in its place (2026-12-02) and read
// these short lines at half this scanner's rate: its per-document set-up and
// string copies outweigh its SIMD scan. docs/performance.md has the numbers.

#include <string_view>

#include "histories/event.h"

namespace schism::histories::internal {

// Which of the required fields a parse has seen.
struct SeenFields {
  bool index = false;
  bool time = false;
  bool type = false;
};

// Makes `out` equal to a default-constructed Event, keeping the capacity of
// its strings.
void ResetEvent(Event& out);

// Parses `line` into `out` (a default or reset Event) and returns true, or
// returns false, leaving `out` and `seen` in an unspecified state, when the
// line is not of the simple kind. Never throws for bad input. Fields that are
// present are type-checked as ParseEventLine does; the presence of required
// fields is left to the caller.
bool ScanEventLine(std::string_view line, Event& out, SeenFields& seen);

}  // namespace schism::histories::internal
