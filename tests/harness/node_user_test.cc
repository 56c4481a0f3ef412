// harness/node_user: who the nodes run as, and whether that user reaches a path.

#include "harness/node_user.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "harness/errors.h"
#include "run_support.h"

namespace schism::harness {
namespace {

namespace fs = std::filesystem;
using testing::TempDir;

// A user that owns nothing here: every check goes by the "other" bits.
const NodeUser kStranger{"stranger", 54321, 54321};

TEST(NodeUser, ResolvesNamesNumbersAndRoot) {
  const NodeUser root = ResolveNodeUser("root");
  EXPECT_TRUE(root.root());
  const NodeUser nobody = ResolveNodeUser("nobody");
  EXPECT_EQ(nobody.uid, 65534u);
  EXPECT_FALSE(nobody.root());
  const NodeUser numbered = ResolveNodeUser("40001:40002");
  EXPECT_EQ(numbered.uid, 40001u);
  EXPECT_EQ(numbered.gid, 40002u);
  EXPECT_EQ(ResolveNodeUser("40001").gid, 40001u) << "no passwd entry: its own number";
}

TEST(NodeUser, ABadUserIsAUsageErrorNamingIt) {
  EXPECT_THROW(ResolveNodeUser("no-such-user-here"), UsageError);
  EXPECT_THROW(ResolveNodeUser("40001:x"), UsageError);
  try {
    ResolveNodeUser("no-such-user-here");
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "--node-user: no user \"no-such-user-here\" on this machine (a user "
                           "name, root, or UID[:GID])");
  }
}

TEST(NodeUser, ReachesOnlyThroughSearchableDirectories) {
  TempDir tmp;  // 0755
  const fs::path closed = tmp.path() / "closed";
  const fs::path open = tmp.path() / "open";
  fs::create_directories(closed / "inner");
  fs::create_directories(open);
  fs::permissions(closed, fs::perms::owner_all);
  EXPECT_EQ(WhyUnreachable(open, kStranger), "");
  EXPECT_EQ(WhyUnreachable(closed / "inner", kStranger),
            "stranger cannot enter " + closed.string() + " (mode 0700, owner " +
                std::to_string(::getuid()) + ":" + std::to_string(::getgid()) + ")");
  EXPECT_EQ(WhyUnreachable(closed / "inner", NodeUser{"root", 0, 0}), "") << "root reaches all";
}

TEST(NodeUser, AProgramMustRunAndAScriptBeRead) {
  TempDir tmp;
  const fs::path script = tmp.path() / "script";
  std::ofstream(script) << "#!/bin/sh\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write | fs::perms::others_read);
  EXPECT_EQ(WhyUnreachable(script, kStranger, /*read_only=*/true), "");
  EXPECT_NE(WhyUnreachable(script, kStranger).find("stranger cannot run " + script.string()),
            std::string::npos);
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
  EXPECT_NE(WhyUnreachable(script, kStranger, true).find("stranger cannot read " + script.string() +
                                                         " (mode 0600"),
            std::string::npos);
}

}  // namespace
}  // namespace schism::harness
