#pragma once
// What a test needs from the machine, said in one place.
//
// Developers run the tests unprivileged, where the tests that need root skip.
// Run as root (CI, scripts/test), a test must not skip because something it
// needs is missing: a root run whose cgroup or clock tests quietly skipped
// proves nothing, so there the missing piece is a failure that names it and
// says how to get it.
//
//   SCHISM_REQUIRE_ROOT();
//   SCHISM_REQUIRE(!nemesis::FindLibfaketime().empty(),
//                  "libfaketime (scripts/setup installs it)");
//
// Both return from the enclosing function (a TEST body or SetUp), so they
// must be used where GTEST_SKIP may be. `what` is streamed into the message,
// so it may itself be a chain: "cgroup v2 (" << why << ")".

#include <gtest/gtest.h>
#include <unistd.h>

namespace schism::testing {

// True when the test runs as root.
inline bool RunningAsRoot() { return ::geteuid() == 0; }

}  // namespace schism::testing

// Skips the test unless it runs as root.
#define SCHISM_REQUIRE_ROOT()               \
  if (::schism::testing::RunningAsRoot()) { \
  } else                                    \
    GTEST_SKIP() << "needs root"

// Passes on when `cond` holds; otherwise skips the test when not root and
// fails it (fatally) as root, naming `what`.
#define SCHISM_REQUIRE(cond, what)                \
  if (cond) {                                     \
  } else if (!::schism::testing::RunningAsRoot()) \
    GTEST_SKIP() << "needs " << what;             \
  else                                            \
    GTEST_FAIL() << "running as root, but this test needs " << what
