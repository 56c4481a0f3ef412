// Rebuilding the harness's applied timeline entries: the parts several fault
// kinds share.
#include <stdexcept>

#include "nemesis/faults/faults.h"
#include "nemesis/timeline_parse.h"

namespace schism::nemesis::faults {
namespace {

// The nodes a process, bandwidth or clock op hit: "victims", or its one "node".
std::vector<std::string> Victims(const nlohmann::json& applied, const std::string& where) {
  if (const auto group = applied.find("victims"); group != applied.end()) {
    if (!group->is_array())
      throw std::invalid_argument(where + "\"applied.victims\" must be a list");
    std::vector<std::string> nodes;
    for (const auto& name : *group) {
      if (!name.is_string())
        throw std::invalid_argument(where + "\"applied.victims\" must hold names");
      nodes.push_back(name.get<std::string>());
    }
    return nodes;
  }
  const auto it = applied.find("node");
  if (it == applied.end() || !it->is_string()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"node\"");
  }
  return {it->get<std::string>()};
}

std::vector<std::string> NodeList(const nlohmann::json& applied, const std::string& where) {
  const auto it = applied.find("nodes");
  if (it == applied.end() || !it->is_array()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"nodes\" array");
  }
  std::vector<std::string> nodes;
  for (const auto& name : *it) {
    if (!name.is_string()) throw std::invalid_argument(where + "\"applied.nodes\" must hold names");
    nodes.push_back(name.get<std::string>());
  }
  return nodes;
}

}  // namespace

void RebuildPerVictim(const Op& op, const nlohmann::json& applied, const std::string& where,
                      std::vector<Op>& out) {
  for (const auto& victim : Victims(applied, where)) {
    Op one = op;
    one.target = KillTarget::kNode;
    one.voter_wait_s = 0;
    one.rival = false;
    one.node = victim;
    out.push_back(std::move(one));
  }
}

void RebuildPerNode(const Op& op, const nlohmann::json& applied, const std::string& where,
                    std::vector<Op>& out) {
  for (const auto& node : NodeList(applied, where)) {
    Op one = op;
    one.node = node;
    out.push_back(std::move(one));
  }
}

nlohmann::json AppliedPairs(const nlohmann::json& applied, const std::string& where) {
  const auto pairs = applied.find("pairs");
  if (pairs == applied.end() || !pairs->is_array()) {
    throw std::invalid_argument(where + "\"applied\" lacks its \"pairs\"");
  }
  return *pairs;
}

void RebuildAsPairs(const Op& op, const nlohmann::json& applied, const std::string& where,
                    std::vector<Op>& out) {
  nlohmann::json spec = ToJson(op);
  spec["target"] = "pairs";
  spec["pairs"] = AppliedPairs(applied, where);
  spec.erase("node");
  out.push_back(internal::ParseOp(spec, where + "applied: ", nullptr));
}

}  // namespace schism::nemesis::faults
