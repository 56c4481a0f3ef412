// The pure half of the delay mechanism: checking what is asked and rendering
// the iptables rules that send it to the queue.
#include <arpa/inet.h>

#include <algorithm>
#include <cmath>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "nemesis/delay.h"

namespace schism::nemesis {
namespace {

bool IsIpv4(const std::string& addr) {
  in_addr parsed{};
  return ::inet_pton(AF_INET, addr.c_str(), &parsed) == 1;
}

std::string Ms(double value) {
  std::ostringstream out;
  out << value;
  return out.str() + " ms";
}

}  // namespace

std::string RenderDelayRules(const std::vector<std::string>& sender_addrs, bool installed,
                             std::uint16_t queue) {
  const std::string chain = kDelayChain;
  if (sender_addrs.empty()) {
    if (!installed) return "";
    return "*filter\n-D INPUT -j " + chain + "\n-F " + chain + "\n-X " + chain + "\nCOMMIT\n";
  }
  std::vector<std::string> sorted = sender_addrs;
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  // Declaring a chain that exists flushes it under --noflush, so the chain ends
  // up holding exactly these rules whether or not it held others before.
  std::string out = "*filter\n:" + chain + " - [0:0]\n";
  if (!installed) out += "-I INPUT 1 -j " + chain + "\n";
  for (const std::string& addr : sorted) {
    if (!IsIpv4(addr)) {
      throw std::invalid_argument("delay: \"" + addr + "\" is not an IPv4 address");
    }
    out.append("-A ").append(chain).append(" -s ").append(addr);
    out.append("/32 -j NFQUEUE --queue-num ").append(std::to_string(queue));
    out.append(" --queue-bypass\n");
  }
  return out + "COMMIT\n";
}

void CheckPairDelays(const std::vector<PairDelay>& pairs, const std::vector<DelayNode>& nodes) {
  std::set<std::string> names;
  for (const DelayNode& node : nodes) names.insert(node.name);
  auto known = [&](const std::string& prefix, const std::string& name) {
    if (names.count(name) != 0) return;
    std::string list;
    for (const std::string& n : names) list += (list.empty() ? "" : " ") + n;
    throw std::invalid_argument(prefix + "unknown node \"" + name + "\" (nodes: " + list + ")");
  };
  std::set<std::pair<std::string, std::string>> seen;
  for (const PairDelay& p : pairs) {
    const std::string prefix = "delay " + p.from + "->" + p.to + ": ";
    known(prefix, p.from);
    known(prefix, p.to);
    if (p.from == p.to) throw std::invalid_argument(prefix + "a node cannot delay itself");
    if (!std::isfinite(p.delay_ms) || !std::isfinite(p.jitter_ms)) {
      throw std::invalid_argument(prefix + "delay and jitter must be finite numbers of ms");
    }
    if (p.delay_ms < 0)
      throw std::invalid_argument(prefix + "delay " + Ms(p.delay_ms) + " is negative");
    if (p.jitter_ms < 0) {
      throw std::invalid_argument(prefix + "jitter " + Ms(p.jitter_ms) + " is negative");
    }
    if (p.delay_ms + p.jitter_ms > kMaxDelayMs) {
      throw std::invalid_argument(prefix + "delay + jitter = " + Ms(p.delay_ms + p.jitter_ms) +
                                  " exceeds the limit of " + Ms(kMaxDelayMs));
    }
    if (!seen.insert({p.from, p.to}).second) {
      throw std::invalid_argument(prefix + "the pair is given twice");
    }
  }
}

}  // namespace schism::nemesis
