// Finding the own cgroup v2 directory from /proc/self/{mountinfo,cgroup}. Pure.
#include <gtest/gtest.h>

#include "nemesis/cgroup.h"

namespace schism::nemesis {
namespace {

// A hybrid host: v1 controllers on a tmpfs, v2 at /sys/fs/cgroup/unified.
constexpr const char* kHybridMounts =
    "30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer\n"
    "40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridCgroup = "6:freezer:/\n4:memory:/x/y\n1:cpu:/\n0::/\n";

// A pure v2 host (systemd), with an optional field before the separator.
constexpr const char* kV2Mounts =
    "22 1 0:20 / /proc rw - proc proc rw\n"
    "26 24 0:23 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";

TEST(NemesisCgroupDir, HybridHostUsesTheUnifiedMount) {
  std::string why;
  EXPECT_EQ(OwnCgroup2Dir(kHybridMounts, kHybridCgroup, &why), "/sys/fs/cgroup/unified") << why;
}

TEST(NemesisCgroupDir, PureV2HostWithANestedOwnCgroup) {
  EXPECT_EQ(OwnCgroup2Dir(kV2Mounts, "0::/system.slice/ci-runner.service\n", nullptr),
            "/sys/fs/cgroup/system.slice/ci-runner.service");
}

TEST(NemesisCgroupDir, AMountOfASubtreeIsJoinedBelowItsRoot) {
  const char* mounts =
      "26 24 0:23 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n"
      "90 80 0:23 /docker/abc /mnt/my\\040cg rw - cgroup2 cgroup2 rw\n";
  EXPECT_EQ(OwnCgroup2Dir(mounts, "0::/docker/abc/inner\n", nullptr), "/mnt/my cg/inner");
  // "/docker/abcd" is not below "/docker/abc": the whole-tree mount serves it.
  EXPECT_EQ(OwnCgroup2Dir(mounts, "0::/docker/abcd\n", nullptr), "/sys/fs/cgroup/docker/abcd");
}

TEST(NemesisCgroupDir, NoCgroup2MountSaysSo) {
  std::string why;
  EXPECT_EQ(OwnCgroup2Dir("30 22 0:27 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n", kHybridCgroup, &why),
            std::nullopt);
  EXPECT_NE(why.find("no cgroup2"), std::string::npos) << why;
}

TEST(NemesisCgroupDir, NoV2MembershipSaysSo) {
  std::string why;
  EXPECT_EQ(OwnCgroup2Dir(kV2Mounts, "6:freezer:/\n", &why), std::nullopt);
  EXPECT_NE(why.find("0::"), std::string::npos) << why;
}

TEST(NemesisCgroupDir, AnOwnCgroupOutsideEveryMountSaysSo) {
  std::string why;
  EXPECT_EQ(OwnCgroup2Dir("90 80 0:23 /a /mnt rw - cgroup2 cgroup2 rw\n", "0::/b\n", &why),
            std::nullopt);
  EXPECT_NE(why.find("outside"), std::string::npos) << why;
}

}  // namespace
}  // namespace schism::nemesis
