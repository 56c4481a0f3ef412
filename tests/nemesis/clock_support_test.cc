// CheckClockSupport on real programs of the host (Debian 12) and on a fake Go
// binary that the build makes from /bin/true (FAKE_GO_BINARY).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "nemesis/clock.h"
#include "tests/requirements.h"

namespace schism::nemesis {
namespace {
namespace fs = std::filesystem;

// A private directory for scripts, removed with its contents.
class ScriptDir {
 public:
  ScriptDir() {
    std::string templ = (fs::temp_directory_path() / "schism-clock-test-XXXXXX").string();
    if (mkdtemp(templ.data()) != nullptr) dir_ = templ;
  }
  ~ScriptDir() {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }
  fs::path Write(const std::string& name, const std::string& text) {
    fs::path path = dir_ / name;
    std::ofstream(path) << text;
    chmod(path.c_str(), 0755);
    return path;
  }

 private:
  fs::path dir_;
};

TEST(NemesisClockSupport, GlibcDynamicProgramIsSupported) {
  ClockSupport support = CheckClockSupport("/bin/true");
  EXPECT_TRUE(support.faketime) << support.reason;
  EXPECT_EQ(support.reason, "");
}

TEST(NemesisClockSupport, StaticProgramIsNot) {
  // Debian's ldconfig is static-pie: ET_DYN, PT_DYNAMIC, but no PT_INTERP.
  ClockSupport support = CheckClockSupport("/sbin/ldconfig");
  EXPECT_FALSE(support.faketime);
  EXPECT_EQ(support.reason, "ldconfig is statically linked: libfaketime cannot change its clock");
}

TEST(NemesisClockSupport, GoProgramIsNotAndTheReasonSaysGo) {
  ClockSupport support = CheckClockSupport(FAKE_GO_BINARY);
  EXPECT_FALSE(support.faketime);
  std::string name = fs::path(FAKE_GO_BINARY).filename().string();
  EXPECT_EQ(support.reason, name + " is a Go binary: libfaketime cannot change its clock");
}

TEST(NemesisClockSupport, ScriptIsJudgedByItsInterpreter) {
  ScriptDir dir;
  EXPECT_TRUE(CheckClockSupport(dir.Write("a.sh", "#!/bin/sh\necho hi\n")).faketime);
  EXPECT_TRUE(CheckClockSupport(dir.Write("b.sh", "#! /bin/sh -e\n")).faketime);
  EXPECT_TRUE(CheckClockSupport(dir.Write("c.sh", "#!/usr/bin/env sh\n")).faketime);
  EXPECT_TRUE(CheckClockSupport(dir.Write("d.sh", "#!/usr/bin/env -S A=1 sh -e\n")).faketime);

  ClockSupport static_interpreter = CheckClockSupport(dir.Write("e.sh", "#!/sbin/ldconfig\n"));
  EXPECT_FALSE(static_interpreter.faketime);
  EXPECT_EQ(static_interpreter.reason,
            "e.sh is a script run by /sbin/ldconfig: ldconfig is statically linked: libfaketime "
            "cannot change its clock");

  fs::path go_script = dir.Write("f.sh", std::string("#!") + FAKE_GO_BINARY + "\n");
  EXPECT_NE(CheckClockSupport(go_script).reason.find("is a Go binary"), std::string::npos);

  ClockSupport missing = CheckClockSupport(dir.Write("g.sh", "#!/usr/bin/env no-such-program-x\n"));
  EXPECT_FALSE(missing.faketime);
  EXPECT_EQ(missing.reason, "g.sh runs no-such-program-x, which is not on PATH");
}

TEST(NemesisClockSupport, ScriptLoopsAreBounded) {
  ScriptDir dir;
  fs::path loop = dir.Write("loop", "");
  dir.Write("loop", "#!" + loop.string() + "\n");  // runs itself
  ClockSupport support = CheckClockSupport(loop);
  EXPECT_FALSE(support.faketime);
  EXPECT_NE(support.reason.find("too many #! interpreters"), std::string::npos) << support.reason;
}

TEST(NemesisClockSupport, OtherFilesAreNotProgramsWeCanJudge) {
  ScriptDir dir;
  EXPECT_EQ(CheckClockSupport(dir.Write("notes.txt", "hello\n")).reason,
            "notes.txt is neither an ELF program nor a #! script");
  EXPECT_EQ(CheckClockSupport(dir.Write("short",
                                        "\x7f"
                                        "ELF\x02\x01"))
                .reason,
            "short is a damaged ELF file (truncated ELF header)");
  ClockSupport missing = CheckClockSupport("/nonexistent/etcd");
  EXPECT_FALSE(missing.faketime);
  EXPECT_EQ(missing.reason, "etcd cannot be read: No such file or directory");
}

TEST(NemesisClockSupport, FindsLibfaketime) {
  fs::path library = FindLibfaketime();
  SCHISM_REQUIRE(!library.empty(),
                 "libfaketime (scripts/setup installs it: apt-get install faketime libfaketime)");
  EXPECT_EQ(library.filename(), "libfaketime.so.1");
  EXPECT_TRUE(fs::is_regular_file(library));
}

TEST(NemesisClockSupport, LibfaketimeCanBeNamedByTheEnvironment) {
  const char* old = std::getenv("SCHISM_LIBFAKETIME");
  std::string saved = old ? old : "";
  setenv("SCHISM_LIBFAKETIME", "/opt/x/libfaketime.so.1", 1);
  EXPECT_EQ(FindLibfaketime(), "/opt/x/libfaketime.so.1");
  if (old) {
    setenv("SCHISM_LIBFAKETIME", saved.c_str(), 1);
  } else {
    unsetenv("SCHISM_LIBFAKETIME");
  }
}

}  // namespace
}  // namespace schism::nemesis
