// The pure clock model, the faketime file text, and FaketimeClocks' files.
#include "nemesis/clock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace schism::nemesis {
namespace {
namespace fs = std::filesystem;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The /dev/shm entries (semaphore, shared memory) FaketimeClocks made for
// `node`, from FAKETIME_SHARED="/NAME /NAME".
std::vector<fs::path> SharedFiles(const FaketimeClocks& clocks, const std::string& node) {
  for (auto& [key, value] : clocks.Environment(node)) {
    if (key != "FAKETIME_SHARED") continue;
    std::string name = value.substr(1, value.find(' ') - 1);
    return {fs::path("/dev/shm") / name, fs::path("/dev/shm") / ("sem." + name)};
  }
  return {};
}

TEST(NemesisClock, FaketimeTextBumpsWithMillisecondPrecision) {
  EXPECT_EQ(FaketimeText({}), "+0.000000 x1.000000");
  EXPECT_EQ(FaketimeText({5000, 1}), "+5.000000 x1.000000");
  EXPECT_EQ(FaketimeText({1500, 1}), "+1.500000 x1.000000");
  EXPECT_EQ(FaketimeText({-3000, 1}), "-3.000000 x1.000000");
  EXPECT_EQ(FaketimeText({-250.25, 1}), "-0.250250 x1.000000");
  EXPECT_EQ(FaketimeText({1, 1}), "+0.001000 x1.000000");
  EXPECT_EQ(FaketimeText({-0.0, 1}), "+0.000000 x1.000000");
}

TEST(NemesisClock, FaketimeTextAlwaysCarriesTheRate) {
  EXPECT_EQ(FaketimeText({0, 2}), "+0.000000 x2.000000");
  EXPECT_EQ(FaketimeText({0, 0.5}), "+0.000000 x0.500000");
  EXPECT_EQ(FaketimeText({-1000, 1.25}), "-1.000000 x1.250000");
}

TEST(NemesisClock, FaketimeTextAvoidsLettersLibfaketimeReadsAsUnits) {
  // Any 'm', 'h', 'd' or 'y' would scale the offset by 60, 3600, ...
  for (ClockSetting s :
       {ClockSetting{1e9, 1}, ClockSetting{-123456.789, 0.01}, ClockSetting{0.001, 100}}) {
    EXPECT_EQ(FaketimeText(s).find_first_of("mhdy"), std::string::npos) << FaketimeText(s);
  }
}

TEST(NemesisClock, FaketimeTextRejectsWhatLibfaketimeCannotDo) {
  double nan = std::numeric_limits<double>::quiet_NaN();
  double inf = std::numeric_limits<double>::infinity();
  EXPECT_THROW(FaketimeText({0, 0}), std::invalid_argument);
  EXPECT_THROW(FaketimeText({0, -1}), std::invalid_argument);
  EXPECT_THROW(FaketimeText({0, 101}), std::invalid_argument);
  EXPECT_THROW(FaketimeText({0, nan}), std::invalid_argument);
  EXPECT_THROW(FaketimeText({inf, 1}), std::invalid_argument);
  EXPECT_THROW(FaketimeText({2e12, 1}), std::invalid_argument);
}

TEST(NemesisClock, BumpMovesTheOffsetAndKeepsTheRate) {
  ClockSetting s = Bump(ClockSetting{}, 5000);
  EXPECT_EQ(s, (ClockSetting{5000, 1}));
  s = Bump(ClockSetting{100, 2}, -300);
  EXPECT_EQ(s, (ClockSetting{-200, 2}));
}

TEST(NemesisClock, RateChangeIsContinuous) {
  ClockSetting s;
  s = WithRateAt(s, 2, 1000);  // from t=1 s on the clock runs twice as fast
  EXPECT_DOUBLE_EQ(OffsetAtMs(s, 1000), 0);
  EXPECT_DOUBLE_EQ(OffsetAtMs(s, 2000), 1000);
  s = WithRateAt(s, 0.5, 3000);  // +2000 ms by now; then half as fast
  EXPECT_DOUBLE_EQ(OffsetAtMs(s, 3000), 2000);
  EXPECT_DOUBLE_EQ(OffsetAtMs(s, 5000), 1000);
  EXPECT_DOUBLE_EQ(s.rate, 0.5);
}

TEST(NemesisClock, WithOffsetAtSetsTheOffsetNowUnderAnyRate) {
  ClockSetting s = WithOffsetAt(ClockSetting{0, 2}, 700, 10'000);
  EXPECT_DOUBLE_EQ(OffsetAtMs(s, 10'000), 700);
  EXPECT_DOUBLE_EQ(s.rate, 2);
  EXPECT_DOUBLE_EQ(OffsetAtMs(WithOffsetAt(ClockSetting{}, -40, 5), 99), -40);
}

TEST(NemesisClock, StrobeFlipsBetweenTwoOffsetsEveryPeriod) {
  Strobe strobe{200, -200, 1000};
  EXPECT_EQ(StrobeOffsetMs(strobe, -5), 200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 0), 200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 999.9), 200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 1000), -200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 1999.9), -200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 2000), 200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 3500), -200);
  EXPECT_EQ(StrobeOffsetMs(strobe, 1e9), 200);  // 1e6 periods: even
}

TEST(NemesisClock, StrobeNextFlip) {
  Strobe strobe{0, 50, 250};
  EXPECT_EQ(NextStrobeFlipMs(strobe, -1), 250);
  EXPECT_EQ(NextStrobeFlipMs(strobe, 0), 250);
  EXPECT_EQ(NextStrobeFlipMs(strobe, 250), 500);
  EXPECT_EQ(NextStrobeFlipMs(strobe, 499), 500);
  EXPECT_THROW(NextStrobeFlipMs(Strobe{0, 1, 0}, 0), std::invalid_argument);
  EXPECT_THROW(StrobeOffsetMs(Strobe{0, 1, -1}, 0), std::invalid_argument);
}

TEST(NemesisClock, ExpectedClocksUnderFaketime) {
  FaketimeAnchor anchor{1'000'000'000'000'000'000, 5'000'000'000, 5'000'000'000, 6'000'000'000};
  ExpectedClocks e = FaketimeExpectedClocks(anchor, {3000, 2}, /*fake_monotonic=*/true);
  EXPECT_EQ(e.mechanism, "faketime");
  EXPECT_DOUBLE_EQ(e.realtime.OffsetAtMs(anchor.realtime_ns), 3000);
  EXPECT_DOUBLE_EQ(e.realtime.OffsetAtMs(anchor.realtime_ns + 1'000'000'000), 4000);
  // The faked monotonic clock counts from the faked realtime at the anchor.
  double epoch_ms = (1e18 - 5e9) / 1e6;
  EXPECT_NEAR(e.monotonic.OffsetAtMs(anchor.monotonic_ns), epoch_ms + 3000, 1e-3);
  EXPECT_NEAR(e.monotonic.OffsetAtMs(anchor.monotonic_ns + 500'000'000), epoch_ms + 3500, 1e-3);

  ExpectedClocks real_monotonic = FaketimeExpectedClocks(anchor, {3000, 2}, false);
  EXPECT_EQ(real_monotonic.monotonic.OffsetAtMs(123'456'789), 0);
}

TEST(NemesisClock, ExpectedClocksInATimeNamespace) {
  ExpectedClocks e = TimeNamespaceClocks(100'000'000'000);
  EXPECT_EQ(e.mechanism, "time namespace");
  EXPECT_EQ(e.realtime.OffsetAtMs(42), 0);
  EXPECT_EQ(e.monotonic.OffsetAtMs(42), 100'000);
}

// The file mechanism needs no real libfaketime: any regular file will do as
// the library it names.
FaketimeOptions FakeLibrary() {
  FaketimeOptions options;
  options.library = "/bin/true";
  return options;
}

TEST(NemesisFaketimeClocks, WritesOneFilePerNodeAndTheEnvironment) {
  FaketimeClocks clocks({"n1", "n2"}, FakeLibrary());
  EXPECT_TRUE(fs::is_directory(clocks.dir()));
  EXPECT_EQ(ReadFile(clocks.TimestampFile("n1")), "+0.000000 x1.000000\n");
  EXPECT_EQ(ReadFile(clocks.TimestampFile("n2")), "+0.000000 x1.000000\n");
  EXPECT_NE(clocks.TimestampFile("n1"), clocks.TimestampFile("n2"));

  std::map<std::string, std::string> env;
  for (auto& [key, value] : clocks.Environment("n2")) env[key] = value;
  EXPECT_EQ(env["LD_PRELOAD"], "/bin/true");
  EXPECT_EQ(env["FAKETIME_TIMESTAMP_FILE"], clocks.TimestampFile("n2").string());
  EXPECT_EQ(env["FAKETIME_NO_CACHE"], "1");
  EXPECT_EQ(env["LC_NUMERIC"], "C");
  EXPECT_EQ(env.count("FAKETIME_DONT_FAKE_MONOTONIC"), 0u);
  // "<semaphore> <shared memory>", both present in /dev/shm.
  EXPECT_EQ(env["FAKETIME_SHARED"].find("/schism-ft-"), 0u) << env["FAKETIME_SHARED"];
  for (const fs::path& file : SharedFiles(clocks, "n2")) EXPECT_TRUE(fs::exists(file)) << file;
  EXPECT_THROW(clocks.Environment("n3"), std::invalid_argument);
}

TEST(NemesisFaketimeClocks, OptionsShowInTheEnvironment) {
  FaketimeOptions options = FakeLibrary();
  options.fake_monotonic = false;
  options.cache_seconds = 0;
  FaketimeClocks clocks({"n1"}, options);
  std::map<std::string, std::string> env;
  for (auto& [key, value] : clocks.Environment("n1")) env[key] = value;
  EXPECT_EQ(env["FAKETIME_DONT_FAKE_MONOTONIC"], "1");
  EXPECT_EQ(env["FAKETIME_CACHE_DURATION"], "0");
  EXPECT_EQ(env.count("FAKETIME_NO_CACHE"), 0u);
  EXPECT_EQ(clocks.Expected("n1").monotonic.OffsetAtMs(0), 0);
}

TEST(NemesisFaketimeClocks, SetRewritesTheFileAndRemembersTheSetting) {
  FaketimeClocks clocks({"n1"}, FakeLibrary());
  clocks.Set("n1", {-3000, 1});
  EXPECT_EQ(ReadFile(clocks.TimestampFile("n1")), "-3.000000 x1.000000\n");
  EXPECT_EQ(clocks.Get("n1"), (ClockSetting{-3000, 1}));
  EXPECT_EQ(clocks.Bump("n1", 500), (ClockSetting{-2500, 1}));
  EXPECT_EQ(ReadFile(clocks.TimestampFile("n1")), "-2.500000 x1.000000\n");

  ClockSetting fast = clocks.SetRate("n1", 2);
  EXPECT_EQ(fast.rate, 2);
  EXPECT_NEAR(OffsetAtMs(fast, clocks.SinceAnchorMs()), -2500, 50);
  ClockSetting reset = clocks.SetOffset("n1", 0);
  EXPECT_NEAR(OffsetAtMs(reset, clocks.SinceAnchorMs()), 0, 50);
  EXPECT_EQ(clocks.Get("n1"), reset);

  EXPECT_THROW(clocks.Set("n1", {0, 0}), std::invalid_argument);
  EXPECT_EQ(clocks.Get("n1"), reset);  // unchanged by the rejected setting
  EXPECT_THROW(clocks.Set("n9", {}), std::invalid_argument);
  // Only the file itself is in the directory: the temporary was renamed.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(clocks.dir())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(NemesisFaketimeClocks, LeavesNothingBehind) {
  fs::path dir;
  std::vector<fs::path> shared;
  {
    FaketimeClocks clocks({"n1", "n2", "n3"}, FakeLibrary());
    dir = clocks.dir();
    for (const char* node : {"n1", "n2", "n3"}) {
      for (const fs::path& file : SharedFiles(clocks, node)) shared.push_back(file);
    }
    clocks.Set("n2", {1000, 2});
    clocks.PrepareStart("n2");
  }
  ASSERT_EQ(shared.size(), 6u);  // a semaphore and a shared-memory object per node
  EXPECT_FALSE(fs::exists(dir));
  for (const fs::path& file : shared) EXPECT_FALSE(fs::exists(file)) << file;
}

TEST(NemesisFaketimeClocks, AControllerKilledBySigkillLeavesNothingBehind) {
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  const pid_t controller = fork();
  ASSERT_GE(controller, 0);
  if (controller == 0) {  // builds the clocks, says where they are, dies without cleaning up
    close(report[0]);
    FaketimeClocks clocks({"n1", "n2"}, FakeLibrary());
    std::string where = clocks.dir().string();
    for (const char* node : {"n1", "n2"}) {
      for (const fs::path& file : SharedFiles(clocks, node)) where += "\n" + file.string();
    }
    where += "\n";
    if (write(report[1], where.data(), where.size()) != static_cast<ssize_t>(where.size())) _exit(1);
    kill(getpid(), SIGKILL);
  }
  close(report[1]);
  std::string text;
  char chunk[512];
  for (ssize_t n; (n = read(report[0], chunk, sizeof chunk)) > 0;) text.append(chunk, n);
  close(report[0]);
  int status = 0;
  ASSERT_EQ(waitpid(controller, &status, 0), controller);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  std::vector<fs::path> left;
  for (std::size_t at = 0, end; (end = text.find('\n', at)) != std::string::npos; at = end + 1) {
    left.emplace_back(text.substr(at, end - at));
  }
  ASSERT_EQ(left.size(), 5u) << text;  // the directory, and a semaphore and memory per node
  // The remover runs rm once it sees the controller's pipe close (bounded wait).
  for (int i = 0; i < 100; ++i) {
    bool any = false;
    for (const fs::path& path : left) any = any || fs::exists(path);
    if (!any) break;
    usleep(50'000);
  }
  for (const fs::path& path : left) EXPECT_FALSE(fs::exists(path)) << path;
}

TEST(NemesisFaketimeClocks, SweepsWhatADeadControllerLeft) {
  // 999999999 is above any pid_max, so no process has it.
  const fs::path parent = fs::temp_directory_path() / ("schism-sweep-test-" + std::to_string(getpid()));
  fs::create_directories(parent / "schism-clock-999999999-abcdef");
  fs::create_directories(parent / ("schism-clock-" + std::to_string(getpid()) + "-abcdef"));
  fs::create_directories(parent / "schism-clockwork");
  const fs::path shm = "/dev/shm/schism-ft-999999999-abcdef-n1";
  std::ofstream(shm) << "x";
  RemoveStaleClockFiles(parent);
  EXPECT_FALSE(fs::exists(parent / "schism-clock-999999999-abcdef"));
  EXPECT_FALSE(fs::exists(shm));
  EXPECT_TRUE(fs::exists(parent / ("schism-clock-" + std::to_string(getpid()) + "-abcdef")))
      << "a live owner's files stay";
  EXPECT_TRUE(fs::exists(parent / "schism-clockwork"));
  fs::remove_all(parent);
}

TEST(NemesisFaketimeClocks, RefusesBadNodesAndMissingPlaces) {
  EXPECT_THROW(FaketimeClocks({"n1", "n1"}, FakeLibrary()), std::invalid_argument);
  EXPECT_THROW(FaketimeClocks({"../n1"}, FakeLibrary()), std::invalid_argument);
  EXPECT_THROW(FaketimeClocks({""}, FakeLibrary()), std::invalid_argument);
  FaketimeOptions nowhere = FakeLibrary();
  nowhere.parent_dir = "/nonexistent-schism-dir";
  EXPECT_THROW(FaketimeClocks({"n1"}, nowhere), std::system_error);
  FaketimeOptions no_library;
  no_library.library = "/nonexistent-libfaketime.so.1";
  EXPECT_THROW(FaketimeClocks({"n1"}, no_library), std::runtime_error);
}

}  // namespace
}  // namespace schism::nemesis
