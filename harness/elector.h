#pragma once
// Elector contract v1 (DESIGN.md §2): how one node's command line and
// environment are made from a command template.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace schism::harness {

// What one node is told about itself and the cluster.
struct NodeVars {
  std::string node;            // {node}      n3
  std::size_t index = 0;       // {index}     3
  std::string addr;            // {addr}      10.241.0.3
  std::uint16_t port = 7000;   // {port}
  std::string peers;           // {peers}     n1=10.241.0.1:7000,n2=...  (all but this node)
  std::string all;             // {all}       every node, same format
  std::size_t nodes = 0;       // {nodes}
  std::string data_dir;        // {data_dir}
  std::uint64_t seed = 0;      // {seed}
  // {service}: the members of the run's service (--service), as clients reach
  // them: redis1=10.241.0.6:6379,...; empty without one.
  std::string service;
};

// Splits a command template into argv the way a POSIX shell splits words:
// whitespace separates, '...' is literal, "..." allows \" and \\, a backslash
// outside quotes escapes the next character. No expansion, no shell is run.
// Throws std::invalid_argument naming the problem (unterminated quote, empty).
std::vector<std::string> SplitCommandLine(std::string_view text);

// The inverse of SplitCommandLine: joins words with spaces, single-quoting
// each word that holds anything but letters, digits and -_./:=,+@%{} (so
// SplitCommandLine(JoinCommandLine(w)) == w).
std::string JoinCommandLine(const std::vector<std::string>& words);

// The template with relative paths made absolute against the current
// directory, so that the run, its record and a replay from anywhere name the
// same files: the program (the first word) when it has a '/' ("bin/e"), and
// any later word that starts with "./" or "../" and names an existing file
// ("python3 ./e.py"). A bare program name ("python3") is left to PATH.
// Returns the template unchanged when there is nothing to resolve.
std::string WithAbsoluteProgram(std::string_view text);

// Replaces every {placeholder} in each word. An unknown placeholder such as
// {nope} throws std::invalid_argument naming it; "{{" and "}}" stand for
// literal braces.
std::vector<std::string> ExpandTemplate(const std::vector<std::string>& words, const NodeVars& vars);

// The SCHISM_* environment variables for `vars` (SCHISM_NODE, SCHISM_INDEX, ...).
std::vector<std::pair<std::string, std::string>> ContractEnvironment(const NodeVars& vars);

// The vars of every node of a cluster: names <prefix>1..<prefix>N (n1..nN),
// the given addresses (addresses[i] for node i+1), one port, per-node data
// dirs under `data_root`.
std::vector<NodeVars> ClusterVars(const std::vector<std::string>& addresses, std::uint16_t port,
                                  const std::string& data_root, std::uint64_t seed,
                                  std::string_view prefix = "n");

}  // namespace schism::harness
