#include "harness/faults/mechanism.h"

#include <algorithm>
#include <stdexcept>
#include <utility>

#include "nemesis/random.h"

namespace schism::harness {

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
  nlohmann::json ops = nlohmann::json::array();
  if (spool_.is_open()) {
    std::ifstream in(spool_path_);
    std::string line;
    while (std::getline(in, line)) ops.push_back(nlohmann::json::parse(line));
  }
  for (const std::string& text : done_) ops.push_back(nlohmann::json::parse(text));
  if (!current_.is_null()) ops.push_back(current_);
  return ops;
}

}  // namespace schism::harness
