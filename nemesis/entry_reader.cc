#include "nemesis/entry_reader.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "nemesis/suggest.h"

namespace schism::nemesis {

void EntryReader::Fail(const std::string& what) const {
  throw std::invalid_argument(where_ + what);
}

const nlohmann::json* EntryReader::Find(const char* key) const {
  const auto it = entry_.find(key);
  return it == entry_.end() ? nullptr : &*it;
}

std::string EntryReader::String(const char* key) const {
  const auto it = entry_.find(key);
  if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
  if (!it->is_string()) Fail(std::string("\"") + key + "\" must be a string");
  return it->get<std::string>();
}

double EntryReader::Number(const char* key, std::optional<double> fallback) const {
  const double value = SignedNumber(key, fallback);
  if (value < 0) Fail(std::string("\"") + key + "\" must not be negative");
  return value;
}

double EntryReader::SignedNumber(const char* key, std::optional<double> fallback) const {
  const auto it = entry_.find(key);
  if (it == entry_.end()) {
    if (!fallback) Fail(std::string("missing \"") + key + "\"");
    return *fallback;
  }
  if (!it->is_number()) Fail(std::string("\"") + key + "\" must be a number");
  const double value = it->get<double>();
  if (!std::isfinite(value)) Fail(std::string("\"") + key + "\" must be finite");
  return value;
}

double EntryReader::Positive(const char* key, std::optional<double> fallback) const {
  const double value = Number(key, fallback);
  if (!(value > 0)) Fail(std::string("\"") + key + "\" must be greater than 0");
  return value;
}

int EntryReader::Integer(const char* key) const {
  const auto it = entry_.find(key);
  if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
  if (!it->is_number()) Fail(std::string("\"") + key + "\" must be a number");
  const double value = it->get<double>();
  if (value != std::floor(value) || std::abs(value) > 1e9) {
    Fail(std::string("\"") + key + "\" must be a whole number");
  }
  return static_cast<int>(value);
}

void EntryReader::OnlyFields(const std::vector<std::string>& known, std::string_view op) const {
  for (const auto& [key, value] : entry_.items()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    Fail("unknown field \"" + key + "\"" + (op.empty() ? "" : " for " + std::string(op)) +
         DidYouMean(key, known));
  }
}

std::string EntryReader::Node(const char* key) const {
  std::string name = String(key);
  CheckNode(name, "");
  return name;
}

void EntryReader::CheckNode(const std::string& name, const std::string& context) const {
  if (nodes_ == nullptr) return;
  if (std::find(nodes_->begin(), nodes_->end(), name) == nodes_->end()) {
    Fail("unknown node \"" + name + "\"" + (context.empty() ? "" : " in " + context));
  }
}

Components EntryReader::ComponentList() const {
  const auto it = entry_.find("components");
  if (it == entry_.end()) Fail("missing \"components\"");
  const char* shape = "\"components\" must be an array of arrays of node names";
  if (!it->is_array()) Fail(shape);
  Components components;
  for (const auto& group : *it) {
    if (!group.is_array()) Fail(shape);
    std::vector<std::string> names;
    for (const auto& name : group) {
      if (!name.is_string()) Fail(shape);
      CheckNode(name.get<std::string>(), "components");
      names.push_back(name.get<std::string>());
    }
    components.push_back(std::move(names));
  }
  return components;
}

Components EntryReader::Grouping() const {
  const std::string text = String("grouping");
  Components components;
  try {
    components = SplitGrouping(text);
  } catch (const std::invalid_argument& e) {
    Fail(e.what());
  }
  if (nodes_ != nullptr) {
    for (const auto& group : components) {
      for (const auto& name : group) CheckNode(name, "grouping");
    }
    for (const auto& node : *nodes_) {
      const bool listed = std::any_of(components.begin(), components.end(), [&](const auto& g) {
        return std::find(g.begin(), g.end(), node) != g.end();
      });
      if (!listed) Fail("node \"" + node + "\" is missing from grouping");
    }
  }
  return components;
}

std::vector<std::pair<std::string, std::string>> EntryReader::PairList(const char* key) const {
  const auto it = entry_.find(key);
  if (it == entry_.end()) Fail(std::string("missing \"") + key + "\"");
  const std::string shape = std::string("\"") + key + "\" must be an array of [src, dst] pairs";
  if (!it->is_array()) Fail(shape);
  std::vector<std::pair<std::string, std::string>> pairs;
  for (const auto& pair : *it) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_string() || !pair[1].is_string()) {
      Fail(shape);
    }
    const std::string src = pair[0].get<std::string>();
    const std::string dst = pair[1].get<std::string>();
    CheckNode(src, key);
    CheckNode(dst, key);
    if (src == dst) {
      Fail(std::string("pair [\"") + src + "\", \"" + dst + "\"] in " + key +
           " names one node twice");
    }
    pairs.emplace_back(src, dst);
  }
  return pairs;
}

}  // namespace schism::nemesis
