#pragma once
// probes: did the probes see enough of each node to judge the run by?

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/node_status.h"
#include "checkers/node_table.h"
#include "checkers/status_view.h"

namespace schism::checkers {

// An elector that prints no contract lines is watched by a probe (DESIGN.md
// §2, harness/prober.h): each answer is a role event carrying "sent", each
// probe that saw nothing a process event "probe-failed". This checker judges
// only the watching, never the elector:
//
// Valid (not applicable) when the history holds no probe events. Unknown when
// a node of the run/start "nodes" was never observed, or when a node's probes
// failed more often while it was up (neither killed, stopped nor paused: a
// probe of a dead or frozen node is expected to fail) than they answered,
// since the other checkers would then judge a cluster they barely saw. Valid
// otherwise.
// Never invalid. Details: per node, probes observed, failed, and failed while
// it was up, and the first failure's "why".
//
// Memory: one entry per node.
class ProbesChecker final : public Checker {
 public:
  static constexpr std::string_view kName = "probes";

  explicit ProbesChecker(const CheckOptions& options);

  std::string_view name() const override { return kName; }
  void Observe(const histories::Event& event, const EventContext& context) override;
  Verdict Finish() override;
  EventTypes Observes() const override {
    return TypeBit(histories::EventType::kRun) | TypeBit(histories::EventType::kRole) |
           TypeBit(histories::EventType::kProcess);
  }

 private:
  struct Counts {
    std::uint64_t observed = 0;
    std::uint64_t failed = 0;
    std::uint64_t failed_up = 0;  // While the node was up and running.
    std::string first_why;        // Of its first failure while up (else of its first).
  };
  // The counts of `node`, whose shared id (EventContext) is `shared`.
  Counts& For(std::string_view node, NodeTable::Id shared = EventContext::kNoNode);

  NodeTable nodes_;
  StatusView status_{nodes_};
  std::vector<Counts> counts_;      // By node id.
  std::vector<std::string> names_;  // From run/start.
  bool ended_ = false;
};

}  // namespace schism::checkers
