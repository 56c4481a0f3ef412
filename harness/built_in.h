#pragma once
// The built-in electors as `schism run` offers them: read from the one table
// in nodes/electors.h, so an elector added there is runnable here
// (--elector NAME, --bug, --elector-opt) and listed by `schism list`.

#include <string>
#include <vector>

namespace schism::harness {

// "raft", "bully", ...: every built-in elector, in the table's order.
std::vector<std::string> BuiltInElectorNames();

// Throws UsageError naming the choices unless `elector` is built in.
void CheckBuiltInElector(const std::string& elector);

// The schism-node arguments for `bug` of `elector` ("--bug NAME"; none for
// "" or "none"). Throws UsageError naming the elector's bugs for another.
std::vector<std::string> BugArgs(const std::string& elector, const std::string& bug);

// The schism-node arguments for the --elector-opt values `options` of
// `elector`, each NAME=VALUE (NAME alone for a flag): "--NAME VALUE" (or
// "--NAME"). Throws UsageError naming the option and the elector's options
// for an unknown name, a value out of its range, or a flag given a value.
std::vector<std::string> OptionArgs(const std::string& elector,
                                    const std::vector<std::string>& options);

// What `schism list` prints: the built-in electors with their bugs and
// options, the fault kinds, and the checkers.
std::string ListText();

}  // namespace schism::harness
