#include "histories/writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "histories/reader.h"

namespace schism::histories {
namespace {

using ::testing::HasSubstr;

class HistoryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("schism-writer-test-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    path_ = dir_ / "history.jsonl";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Contents() const {
    std::ifstream in(path_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  static Event Role(double t, const char* node) {
    Event e;
    e.time = t;
    e.type = EventType::kRole;
    e.node = node;
    e.role = histories::Role::kLeader;
    e.term = 1;
    return e;
  }

  std::filesystem::path dir_;
  std::filesystem::path path_;
};

TEST_F(HistoryWriterTest, AppendsNumberedLinesVisibleAtOnce) {
  HistoryWriter writer(path_);
  EXPECT_EQ(writer.next_index(), 0u);
  Event run;
  run.f = "start";
  run.detail = {{"nodes", {"n1", "n2"}}};
  run.index = 77;  // Overwritten by the writer.
  EXPECT_EQ(writer.Append(run), 0u);
  // Readable before the writer is closed: nothing is buffered in-process.
  EXPECT_EQ(
      Contents(),
      "{\"i\":0,\"t\":0.000000,\"type\":\"run\",\"f\":\"start\",\"nodes\":[\"n1\",\"n2\"]}\n");
  EXPECT_EQ(writer.Append(Role(0.5, "n1")), 1u);
  EXPECT_EQ(writer.Append(Role(0.75, "n2")), 2u);

  std::ifstream in(path_);
  HistoryReader reader(in, path_.string());
  Event e;
  for (std::uint64_t i = 0; i < 3; ++i) {
    ASSERT_TRUE(reader.Next(e));
    EXPECT_EQ(e.index, i);
  }
  EXPECT_EQ(e.node, "n2");
  EXPECT_DOUBLE_EQ(e.time, 0.75);
  EXPECT_FALSE(reader.Next(e));
}

TEST_F(HistoryWriterTest, SyncKeepsTheLinesAndTheNumbering) {
  HistoryWriter writer(path_);
  writer.Append(Role(0.5, "n1"));
  writer.Sync();
  EXPECT_EQ(writer.Append(Role(0.75, "n2")), 1u);
  writer.Sync();
  EXPECT_EQ(Contents(),
            "{\"i\":0,\"t\":0.500000,\"type\":\"role\",\"node\":\"n1\",\"role\":\"leader\",\"term\":1}\n"
            "{\"i\":1,\"t\":0.750000,\"type\":\"role\",\"node\":\"n2\",\"role\":\"leader\",\"term\":1}\n");
}

TEST_F(HistoryWriterTest, ContinuesAnExistingHistoryAndCutsATornLine) {
  {
    HistoryWriter writer(path_);
    writer.Append(Role(0.1, "n1"));
    writer.Append(Role(0.2, "n1"));
  }
  {
    std::ofstream out(path_, std::ios::app);
    out << "{\"i\":2,\"t\":0.3,\"ty";  // A crash in the middle of a line.
  }
  HistoryWriter writer(path_);
  EXPECT_EQ(writer.next_index(), 2u);
  EXPECT_EQ(writer.Append(Role(0.4, "n2")), 2u);
  std::ifstream in(path_);
  HistoryReader reader(in, path_.string());
  Event e;
  int count = 0;
  while (reader.Next(e)) ++count;
  EXPECT_EQ(count, 3);
  EXPECT_EQ(e.node, "n2");
}

TEST_F(HistoryWriterTest, OpenFailureNamesThePath) {
  const auto bad = dir_ / "missing" / "history.jsonl";
  try {
    HistoryWriter writer(bad);
    FAIL() << "opened " << bad;
  } catch (const std::system_error& e) {
    EXPECT_THAT(e.what(), HasSubstr(bad.string()));
    EXPECT_EQ(e.code().value(), ENOENT);
  }
}

}  // namespace
}  // namespace schism::histories
