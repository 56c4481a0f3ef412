#include "harness/elector.h"

#include <filesystem>
#include <stdexcept>

namespace schism::harness {

std::vector<std::string> SplitCommandLine(std::string_view text) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      std::size_t close = text.find('\'', i + 1);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("unterminated ' quote at character " + std::to_string(i + 1));
      }
      word.append(text.substr(i + 1, close - i - 1));
      i = close;
      in_word = true;
    } else if (c == '"') {
      std::size_t j = i + 1;
      for (; j < text.size() && text[j] != '"'; ++j) {
        if (text[j] == '\\' && j + 1 < text.size() && (text[j + 1] == '"' || text[j + 1] == '\\')) ++j;
        word.push_back(text[j]);
      }
      if (j >= text.size()) {
        throw std::invalid_argument("unterminated \" quote at character " + std::to_string(i + 1));
      }
      i = j;
      in_word = true;
    } else if (c == '\\') {
      if (i + 1 >= text.size()) throw std::invalid_argument("trailing backslash");
      word.push_back(text[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty()) throw std::invalid_argument("empty command");
  return words;
}

namespace {

std::string Lookup(std::string_view name, const NodeVars& v) {
  if (name == "node") return v.node;
  if (name == "index") return std::to_string(v.index);
  if (name == "addr") return v.addr;
  if (name == "port") return std::to_string(v.port);
  if (name == "peers") return v.peers;
  if (name == "all") return v.all;
  if (name == "nodes") return std::to_string(v.nodes);
  if (name == "data_dir") return v.data_dir;
  if (name == "seed") return std::to_string(v.seed);
  if (name == "service") return v.service;
  throw std::invalid_argument("unknown placeholder {" + std::string(name) +
                              "}; known: {node} {index} {addr} {port} {peers} {all} {nodes} "
                              "{data_dir} {seed} {service}");
}

std::string ExpandWord(std::string_view word, const NodeVars& vars) {
  std::string out;
  for (std::size_t i = 0; i < word.size(); ++i) {
    if (word.compare(i, 2, "{{") == 0 || word.compare(i, 2, "}}") == 0) {
      out.push_back(word[i++]);
    } else if (word[i] == '{') {
      std::size_t close = word.find('}', i);
      if (close == std::string_view::npos) {
        throw std::invalid_argument("unclosed { in \"" + std::string(word) + "\"");
      }
      out += Lookup(word.substr(i + 1, close - i - 1), vars);
      i = close;
    } else {
      out.push_back(word[i]);
    }
  }
  return out;
}

}  // namespace

std::string JoinCommandLine(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& word : words) {
    if (!out.empty()) out += ' ';
    const bool plain = !word.empty() && word.find_first_not_of(
                                            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                            "0123456789-_./:=,+@%{}") == std::string::npos;
    if (plain) {
      out += word;
      continue;
    }
    out += '\'';
    for (char c : word) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    out += '\'';
  }
  return out;
}

std::string WithAbsoluteProgram(std::string_view text) {
  namespace fs = std::filesystem;
  std::vector<std::string> words = SplitCommandLine(text);
  bool changed = false;
  for (std::size_t k = 0; k < words.size(); ++k) {
    const std::string& w = words[k];
    const bool relative = k == 0 ? w.find('/') != std::string::npos && w[0] != '/'
                                 : (w.rfind("./", 0) == 0 || w.rfind("../", 0) == 0) &&
                                       fs::is_regular_file(w);
    if (!relative) continue;
    words[k] = fs::absolute(w).lexically_normal().string();
    changed = true;
  }
  return changed ? JoinCommandLine(words) : std::string(text);
}

std::vector<std::string> ExpandTemplate(const std::vector<std::string>& words, const NodeVars& vars) {
  std::vector<std::string> out;
  out.reserve(words.size());
  for (const std::string& w : words) out.push_back(ExpandWord(w, vars));
  return out;
}

std::vector<std::pair<std::string, std::string>> ContractEnvironment(const NodeVars& v) {
  return {{"SCHISM_NODE", v.node},
          {"SCHISM_INDEX", std::to_string(v.index)},
          {"SCHISM_ADDR", v.addr},
          {"SCHISM_PORT", std::to_string(v.port)},
          {"SCHISM_PEERS", v.peers},
          {"SCHISM_ALL", v.all},
          {"SCHISM_NODES", std::to_string(v.nodes)},
          {"SCHISM_DATA_DIR", v.data_dir},
          {"SCHISM_SEED", std::to_string(v.seed)},
          {"SCHISM_SERVICE", v.service}};
}

std::vector<NodeVars> ClusterVars(const std::vector<std::string>& addresses, std::uint16_t port,
                                  const std::string& data_root, std::uint64_t seed,
                                  std::string_view prefix) {
  std::vector<NodeVars> vars(addresses.size());
  std::string all;
  for (std::size_t i = 0; i < addresses.size(); ++i) {
    NodeVars& v = vars[i];
    v.node = std::string(prefix) + std::to_string(i + 1);
    v.index = i + 1;
    v.addr = addresses[i];
    v.port = port;
    v.nodes = addresses.size();
    v.data_dir = data_root + "/" + v.node;
    v.seed = seed;
    all += (i ? "," : "") + v.node + "=" + v.addr + ":" + std::to_string(port);
  }
  for (NodeVars& v : vars) {
    v.all = all;
    for (const NodeVars& other : vars) {
      if (other.index == v.index) continue;
      v.peers += (v.peers.empty() ? "" : ",") + other.node + "=" + other.addr + ":" + std::to_string(port);
    }
  }
  return vars;
}

}  // namespace schism::harness
