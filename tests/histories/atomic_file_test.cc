// WriteFileAtomically: whole files or none, errors as one line.
#include "histories/atomic_file.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace schism::histories {
namespace {

namespace fs = std::filesystem;

std::string Read(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class AtomicFile : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("schism-atomic-" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(AtomicFile, WritesAndReplacesWholeAtEveryDurability) {
  const fs::path file = dir_ / "state.json";
  for (Durability d : {Durability::kNone, Durability::kFile, Durability::kFileAndDirectory}) {
    const std::string content = "{\"term\":" + std::to_string(static_cast<int>(d)) + "}\n";
    EXPECT_EQ(WriteFileAtomically(file, content, d), "");
    EXPECT_EQ(Read(file), content);
    EXPECT_FALSE(fs::exists(dir_ / "state.json.tmp")) << "the temporary file is renamed away";
  }
}

TEST_F(AtomicFile, NamesTheFileAndTheCallThatFailed) {
  const std::string error =
      WriteFileAtomically(dir_ / "missing" / "x.json", "{}", Durability::kFile);
  EXPECT_EQ(error, (dir_ / "missing" / "x.json.tmp").string() + ": open: No such file or directory");
}

}  // namespace
}  // namespace schism::histories
