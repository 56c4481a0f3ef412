#include "harness/probe_reader.h"

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include <nlohmann/json.hpp>

namespace schism::harness {
namespace {

std::string Cut(std::string_view text) {
  constexpr std::size_t kShown = 80;
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  std::string s(text.substr(0, kShown));
  std::replace(s.begin(), s.end(), '\n', ' ');
  return text.size() > kShown ? s + "..." : s;
}

}  // namespace

Observation JsonProbeReader::Read(std::size_t k, std::string_view out) {
  nlohmann::json j = nlohmann::json::parse(out, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) throw std::invalid_argument("not a JSON object: " + Cut(out));
  if (!j.is_object()) throw std::invalid_argument("not a JSON object: " + Cut(out));
  auto role = j.find("role");
  if (role == j.end() || !role->is_string()) {
    throw std::invalid_argument("no \"role\" string in " + Cut(out));
  }
  std::optional<histories::Role> parsed = histories::ParseRole(role->get<std::string>());
  if (!parsed) {
    throw std::invalid_argument("\"role\" is \"" + role->get<std::string>() +
                                "\", not leader, follower or candidate");
  }
  Observation o;
  o.role = *parsed;
  if (auto term = j.find("term"); term != j.end() && !term->is_null()) {
    if (!term->is_number_unsigned()) {
      throw std::invalid_argument("\"term\" is " + term->dump() + ", not an unsigned integer");
    }
    o.term = term->get<std::uint64_t>();
  }
  if (auto leader = j.find("leader"); leader != j.end() && !leader->is_null()) {
    if (!leader->is_string() ||
        std::find(names_.begin(), names_.end(), leader->get<std::string>()) == names_.end()) {
      throw std::invalid_argument("\"leader\" is " + leader->dump() + ", no node of this cluster");
    }
    o.leader = leader->get<std::string>();
  }
  if (o.role == histories::Role::kLeader && k < names_.size()) {
    if (!o.leader.empty() && o.leader != names_[k]) {
      throw std::invalid_argument("\"role\" is leader but \"leader\" names " + o.leader);
    }
    o.leader = names_[k];
  }
  return o;
}

}  // namespace schism::harness
