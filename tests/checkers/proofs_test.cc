// faults-applied and partition-quorum over histories whose faults carry proofs
// ("verified" events, nemesis/proof.h).
#include <gtest/gtest.h>

#include <string>

#include "check_history.h"

namespace schism::checkers {
namespace {

const std::string kStart =
    R"({"i":0,"t":0,"type":"run","f":"start","nodes":["n1","n2","n3","n4","n5"],"fault_proofs":1})";

// n1 leads; a partition strands it on a minority for 3 s; a kill of n5.
std::string History(const std::string& partition_proof, const std::string& kill_proof) {
  return kStart + R"(
{"i":1,"t":0.5,"type":"role","node":"n1","role":"leader","term":1}
{"i":2,"t":0.6,"type":"role","node":"n2","role":"follower","term":1,"leader":"n1"}
{"i":3,"t":1.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1","n2"],["n3","n4","n5"]]}
{"i":4,"t":4.0,"type":"nemesis","f":"partition","phase":"end"}
)" + partition_proof + R"(
{"i":6,"t":5.0,"type":"nemesis","f":"kill","node":"n5","phase":"start","target":"random"}
)" + kill_proof + R"(
{"i":8,"t":5.5,"type":"nemesis","f":"kill","node":"n5","phase":"end"}
{"i":9,"t":20.0,"type":"run","f":"end"}
)";
}

const std::string kPartitionProven =
    R"({"i":5,"t":4.0,"type":"nemesis","f":"partition","phase":"verified","of":3,"proven":true,"by":"dropped 40"})";
const std::string kPartitionNotProven =
    R"({"i":5,"t":4.0,"type":"nemesis","f":"partition","phase":"verified","of":3,"proven":false,"why":"partition at 1.0 s dropped no packet between cut pairs"})";
const std::string kKillProven =
    R"({"i":7,"t":5.0,"type":"nemesis","f":"kill","node":"n5","phase":"verified","of":6,"proven":true,"by":"cgroup empty"})";
// Any other line in the proof's place, so that the numbering holds.
const std::string kNoProof = R"({"i":7,"t":5.0,"type":"process","f":"kill","node":"n5","pid":9})";

TEST(FaultsAppliedProofs, EveryFaultProvenIsValidAndSaysByWhat) {
  Verdict v = CheckHistory("faults-applied", History(kPartitionProven, kKillProven));
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason, "2 of 2 faults proven (kill 1, partition 1)");
  EXPECT_EQ(v.details["proven_by"]["partition"], "dropped 40");
}

TEST(FaultsAppliedProofs, AFaultNotProvenIsUnknownNamingItAndWhy) {
  Verdict v = CheckHistory("faults-applied", History(kPartitionNotProven, kKillProven));
  EXPECT_EQ(v.valid, Validity::kUnknown);
  EXPECT_EQ(v.reason,
            "1 of 2 faults proven (kill 1); not proven: partition at 1.0 s dropped no packet "
            "between cut pairs");
  EXPECT_EQ(v.evidence, std::vector<std::uint64_t>{3});
}

TEST(FaultsAppliedProofs, AFaultWithoutAProofIsUnknown) {
  Verdict v = CheckHistory("faults-applied", History(kPartitionProven, kNoProof));
  EXPECT_EQ(v.valid, Validity::kUnknown);
  EXPECT_EQ(v.reason,
            "1 of 2 faults proven (partition 1); not proven: kill on n5 at 5.000 s: no proof was "
            "recorded (the run ended before it could be checked)");
  EXPECT_EQ(v.evidence, std::vector<std::uint64_t>{6});
}

// The nodes sent nothing across the bridge while the partition held; the
// harness's own frame across a cut pair was dropped.
const std::string kPartitionProvenByProbe =
    R"({"i":5,"t":4.0,"type":"nemesis","f":"partition","phase":"verified","of":3,"proven":true,"by":"the harness's frame was dropped","dropped":0,"forwarded":0,"probe":"n1->n3"})";

TEST(FaultsAppliedProofs, PartitionsProvenOnlyByTheHarnesssFrameAskWhetherTheElectorTalks) {
  Verdict v = CheckHistory("faults-applied", History(kPartitionProvenByProbe, kKillProven));
  EXPECT_EQ(v.valid, Validity::kUnknown);
  EXPECT_EQ(v.reason,
            "2 of 2 faults proven (kill 1, partition 1), but the nodes sent no frame across the "
            "bridge while any of the 1 partition(s) held (each was proven only by a frame the "
            "harness sent): does this elector talk over the network?");
  EXPECT_EQ(v.details["partitions_proven_by_probe"], 1);
}

TEST(FaultsAppliedProofs, OnePartitionProvenByTheHarnesssFrameAmongOthersIsValid) {
  // A second partition, which dropped the nodes' own packets.
  std::string history = History(kPartitionProvenByProbe, kKillProven);
  const std::string end = R"({"i":9,"t":20.0,"type":"run","f":"end"})";
  history.replace(history.find(end), end.size(),
                  R"({"i":9,"t":10.0,"type":"nemesis","f":"partition","phase":"start","components":[["n1"],["n2","n3","n4","n5"]]}
{"i":10,"t":12.0,"type":"nemesis","f":"partition","phase":"end"}
{"i":11,"t":12.0,"type":"nemesis","f":"partition","phase":"verified","of":9,"proven":true,"by":"dropped 12"}
{"i":12,"t":20.0,"type":"run","f":"end"})");
  Verdict v = CheckHistory("faults-applied", history);
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason, "3 of 3 faults proven (kill 1, partition 2)");
}

TEST(PartitionQuorumProofs, NoLeaderIsFailedUnderPartitionsNoNodeSentAFrameAcross) {
  Verdict v = CheckHistory("partition-quorum", History(kPartitionProvenByProbe, kKillProven));
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason,
            "no leader outlasted the 1.500 s grace on a minority in 1 partitions (0 stepped down "
            "in time); 1 stranding(s) under partitions no node sent a frame across are not "
            "judged");
  EXPECT_EQ(v.details["excused_by_silent_partitions"], 1);
}

TEST(PartitionQuorumProofs, AStrandedLeaderIsInvalidUnderAProvenPartition) {
  Verdict v = CheckHistory("partition-quorum", History(kPartitionProven, kKillProven));
  EXPECT_EQ(v.valid, Validity::kInvalid) << v.reason;
  EXPECT_EQ(v.evidence, (std::vector<std::uint64_t>{1, 3}));
}

TEST(PartitionQuorumProofs, APartitionNotProvenIsNoEvidence) {
  Verdict v = CheckHistory("partition-quorum", History(kPartitionNotProven, kKillProven));
  EXPECT_EQ(v.valid, Validity::kValid) << v.reason;
  EXPECT_EQ(v.reason,
            "no leader outlasted the 1.500 s grace on a minority in 1 partitions (0 stepped down "
            "in time); 1 stranding(s) under partitions not proven to have cut anything are not "
            "judged");
  EXPECT_EQ(v.details["excused_by_unproven_partitions"], 1);
}

}  // namespace
}  // namespace schism::checkers
