#include "harness/recorder.h"

#include <utility>

namespace schism::harness {

using histories::Event;
using histories::EventType;

std::uint64_t Recorder::Record(Event e) {
  e.time = timers_.Now();
  if (status_ != nullptr) status_->Observe(e);
  return history_.Append(std::move(e));
}

void Recorder::Note(EventType type, std::string f, std::string node, nlohmann::json detail) {
  Event e;
  e.type = type;
  e.f = std::move(f);
  e.node = std::move(node);
  e.detail = std::move(detail);
  Record(std::move(e));
}

std::uint64_t Recorder::NoteFaultStart(const std::string& f, const nemesis::ResolvedOp& resolved,
                                       nlohmann::json extra) {
  nlohmann::json detail = resolved.Describe();
  detail.erase("f");
  detail.erase("node");  // the event's own field
  detail["phase"] = "start";
  detail.update(extra);
  Event e;
  e.type = EventType::kNemesis;
  e.f = f;
  e.node = resolved.node;
  e.detail = std::move(detail);
  return Record(std::move(e));
}

std::uint64_t Recorder::NoteFaultStartOn(const std::string& f, const nemesis::ResolvedOp& resolved,
                                         const std::string& node, nlohmann::json extra) {
  nemesis::ResolvedOp one = resolved;
  one.node = node;
  one.victims.clear();
  extra["victims"] = resolved.victims;
  if (resolved.victims.empty()) extra.erase("victims");
  return NoteFaultStart(f, one, std::move(extra));
}

void Recorder::NoteVerified(std::uint64_t of, const std::string& f, const std::string& node,
                            const nemesis::Proof& proof) {
  nlohmann::json detail = proof.ToJson();
  detail["phase"] = "verified";
  detail["of"] = of;
  if (!proof.proven) {
    progress_ << "schism: " << f << (node.empty() ? "" : " on " + node)
              << " not proven: " << proof.how << "\n";
  }
  Note(EventType::kNemesis, f, node, std::move(detail));
}

void Recorder::NoteSkipped(const nemesis::ResolvedOp& resolved) {
  nlohmann::json detail = resolved.Describe();
  detail.erase("f");
  detail.erase("node");  // the event's own field
  Note(EventType::kNemesis, std::string(nemesis::ToString(resolved.op.kind)), resolved.node,
       std::move(detail));
}

}  // namespace schism::harness
