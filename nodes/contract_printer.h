#pragma once
// Contract v1 lines on stdout for the programs of schism-node that are not
// built-in electors (redis-lock, keepalived): FormatEvent's lines, each
// flushed at once, and a role line only when it differs from the last.

#include <cstdio>
#include <optional>

#include "nodes/elector.h"

namespace schism::nodes {

class ContractPrinter {
 public:
  explicit ContractPrinter(std::FILE* out = stdout) : out_(out) {}

  // Prints `event` (a role event only when it changed); false when the
  // output is gone.
  bool Print(const ContractEvent& event);

 private:
  std::FILE* out_;
  std::optional<ContractEvent> last_role_;
};

}  // namespace schism::nodes
