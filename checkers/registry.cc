#include <functional>
#include <stdexcept>

#include "checkers/agreement.h"
#include "checkers/checker.h"
#include "checkers/election_safety.h"
#include "checkers/faults_applied.h"
#include "checkers/fencing.h"
#include "checkers/kpis.h"
#include "checkers/lease.h"
#include "checkers/liveness.h"
#include "checkers/partition_quorum.h"
#include "checkers/probes.h"
#include "checkers/quorum.h"
#include "checkers/service_failover.h"
#include "checkers/split_brain.h"
#include "checkers/term_monotonic.h"
#include "checkers/vote_once.h"

namespace schism::checkers {
namespace {

struct Entry {
  std::string_view name;
  std::unique_ptr<Checker> (*make)(const CheckOptions&);
  bool by_default = true;  // Run when no checkers are named.
};

template <typename T>
std::unique_ptr<Checker> Make(const CheckOptions& options) {
  return std::make_unique<T>(options);
}

// The order CheckerNames() reports, and the order results are usually shown in.
constexpr Entry kRegistry[] = {
    {ElectionSafetyChecker::kName, &Make<ElectionSafetyChecker>},
    {QuorumChecker::kName, &Make<QuorumChecker>},
    {VoteOnceChecker::kName, &Make<VoteOnceChecker>},
    {LivenessChecker::kName, &Make<LivenessChecker>},
    {TermMonotonicChecker::kName, &Make<TermMonotonicChecker>},
    {AgreementChecker::kName, &Make<AgreementChecker>},
    {LeaseChecker::kName, &Make<LeaseChecker>},
    {FencingChecker::kName, &Make<FencingChecker>},
    {PartitionQuorumChecker::kName, &Make<PartitionQuorumChecker>},
    {SplitBrainChecker::kName, &Make<SplitBrainChecker>},
    {FaultsAppliedChecker::kName, &Make<FaultsAppliedChecker>},
    {ProbesChecker::kName, &Make<ProbesChecker>},
    {KpiChecker::kName, &Make<KpiChecker>},
    {ServiceFailoverChecker::kName, &Make<ServiceFailoverChecker>, false},
};

}  // namespace

std::vector<std::string> CheckerNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kRegistry) names.emplace_back(entry.name);
  return names;
}

std::vector<std::string> DefaultCheckerNames() {
  std::vector<std::string> names;
  for (const Entry& entry : kRegistry) {
    if (entry.by_default) names.emplace_back(entry.name);
  }
  return names;
}

std::unique_ptr<Checker> MakeChecker(std::string_view name, const CheckOptions& options) {
  for (const Entry& entry : kRegistry) {
    if (entry.name == name) return entry.make(options);
  }
  std::string known;
  for (const Entry& entry : kRegistry) {
    if (!known.empty()) known += ", ";
    known += entry.name;
  }
  throw std::invalid_argument("unknown checker \"" + std::string(name) + "\"; known: " + known);
}

}  // namespace schism::checkers
