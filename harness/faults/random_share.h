#pragma once
// The mechanism shared by the kinds that act on a random share of each
// chosen pair's packets (loss drops them, duplicate sends them twice):
//   apply   replace the rules in force (the ones replaced are verified first);
//   verify  the rules' seen/hit counters per percent, read once just before
//           they go: the share hit within the binomial bound of what was asked
//           (nemesis::JudgeRandomShare), recorded with the end as "achieved";
//   undo    clear every rule.

#include <functional>
#include <string>
#include <vector>

#include "harness/faults/mechanism.h"

namespace schism::harness {

// How one kind sets, reads and clears its rules, and its words.
struct RandomShareRules {
  std::string kind;  // "loss"
  std::string hit;   // what the rule does to a packet, as recorded: "dropped"
  std::function<void(const nemesis::LossMap&)> set;
  std::function<nemesis::ShareCounts()> read;
  std::function<void()> clear;
};

class RandomShareMechanism final : public Mechanism {
 public:
  RandomShareMechanism(FaultContext& context, RandomShareRules rules)
      : context_(context), rules_(std::move(rules)) {}
  std::string_view Kind() const override { return rules_.kind; }
  void Apply(const nemesis::ResolvedOp& resolved) override;
  void Undo(const nemesis::ResolvedOp&) override { UndoAll(); }
  void UndoAll() override;

 private:
  struct Open {
    std::uint64_t of = 0;
    std::uint64_t forwarded = 0;  // the bridge's counter when it started
  };
  FaultContext& context_;
  RandomShareRules rules_;
  std::optional<Open> open_;
};

}  // namespace schism::harness
