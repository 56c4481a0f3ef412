#include "harness/faults/mechanism.h"

#include <algorithm>
#include <fstream>
#include <stdexcept>
#include <utility>

#include "nemesis/random.h"

namespace schism::harness {

nlohmann::json ReadSpooledOps(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path.string() + ": cannot be read");
  nlohmann::json ops = nlohmann::json::array();
  std::string line;
  for (std::size_t number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    nlohmann::json op = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (op.is_discarded()) {
      if (in.peek() == std::char_traits<char>::eof()) break;  // the line being written at a crash
      throw std::runtime_error(path.string() + ":" + std::to_string(number) + ": not JSON");
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

FaultContext::FaultContext(std::vector<std::string> names, FaultSeams seams, Recorder& recorder,
                           std::uint64_t seed)
    : names_(std::move(names)),
      seams_(std::move(seams)),
      recorder_(recorder),
      rng_(nemesis::StreamSeed(seed, nemesis::Stream::kResolve)) {}

std::size_t FaultContext::IndexOf(const std::string& node) const {
  return static_cast<std::size_t>(std::find(names_.begin(), names_.end(), node) - names_.begin());
}

void FaultContext::After(double delay_s, std::function<void()> then) {
  seams_.timers.After(delay_s, [this, then = std::move(then)] {
    if (!stopping_) then();
  });
}

void FaultContext::SpoolTo(const std::filesystem::path& path) {
  spool_.open(path, std::ios::out | std::ios::trunc);
  if (!spool_) throw std::runtime_error(path.string() + ": cannot create the timeline spool");
  spool_path_ = path;
  for (const std::string& text : done_) spool_ << text << '\n';
  spool_.flush();
  done_.clear();
}

void FaultContext::AddToTimeline(const nemesis::ResolvedOp& resolved) {
  if (!current_.is_null()) {
    if (spool_.is_open()) {
      spool_ << current_.dump() << '\n';
      spool_.flush();
      if (!spool_) throw std::runtime_error(spool_path_.string() + ": cannot write the timeline spool");
    } else {
      done_.push_back(current_.dump());
    }
  }
  current_ = {{"t", Now()}, {"op", nemesis::ToJson(resolved.op)}, {"applied", resolved.Describe()}};
}

nlohmann::json FaultContext::timeline() const {
  nlohmann::json ops = spool_.is_open() ? ReadSpooledOps(spool_path_) : nlohmann::json::array();
  for (const std::string& text : done_) ops.push_back(nlohmann::json::parse(text));
  if (!current_.is_null()) ops.push_back(current_);
  return ops;
}

}  // namespace schism::harness
