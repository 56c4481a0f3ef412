#include "harness/profiles/profile.h"

namespace schism::harness {
namespace {

using Maker = std::unique_ptr<Profile> (*)();
constexpr Maker kProfiles[] = {&MakeEtcdProfile, &MakeZooKeeperProfile, &MakeRedisLockProfile,
                                 &MakeKeepalivedProfile, &MakeZkRecipeProfile,
                                 &MakeEtcdElectProfile, &MakeRedisSentinelProfile};

}  // namespace

std::vector<std::string> ClientRecipeCheckers() {
  return {"election-safety", "liveness",       "term-monotonic", "lease",
          "fencing",         "split-brain",    "faults-applied", "kpis"};
}

std::vector<std::string> ProfileNames() {
  std::vector<std::string> names;
  for (Maker make : kProfiles) names.emplace_back(make()->name());
  return names;
}

std::unique_ptr<Profile> MakeProfile(std::string_view name) {
  for (Maker make : kProfiles) {
    std::unique_ptr<Profile> profile = make();
    if (profile->name() == name) return profile;
  }
  return nullptr;
}

}  // namespace schism::harness
