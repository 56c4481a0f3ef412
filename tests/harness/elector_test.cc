// Contract v1 command templates: splitting and placeholder substitution.
#include "harness/elector.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace schism::harness {
namespace {

TEST(SplitCommandLine, SplitsOnBlanksAndHonoursQuotes) {
  EXPECT_EQ(SplitCommandLine("a  b\tc"), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(SplitCommandLine("x 'a b' \"c \\\" d\" e\\ f"),
            (std::vector<std::string>{"x", "a b", "c \" d", "e f"}));
  EXPECT_EQ(SplitCommandLine("--opt='{node} x'"), (std::vector<std::string>{"--opt={node} x"}));
  EXPECT_EQ(SplitCommandLine("''"), (std::vector<std::string>{""}));
}

TEST(SplitCommandLine, RejectsBrokenInput) {
  EXPECT_THROW(SplitCommandLine("a 'b"), std::invalid_argument);
  EXPECT_THROW(SplitCommandLine("a \"b"), std::invalid_argument);
  EXPECT_THROW(SplitCommandLine("   "), std::invalid_argument);
  EXPECT_THROW(SplitCommandLine("a\\"), std::invalid_argument);
}

TEST(JoinCommandLine, IsTheInverseOfSplit) {
  const std::vector<std::string> words = {"/opt/my elector", "--id", "{node}", "it's", "", "a\"b"};
  EXPECT_EQ(SplitCommandLine(JoinCommandLine(words)), words);
  EXPECT_EQ(JoinCommandLine({"python3", "-u", "x.py", "--peers", "{peers}"}),
            "python3 -u x.py --peers {peers}");
}

TEST(WithAbsoluteProgram, ResolvesARelativeProgramOnly) {
  const std::string cwd = std::filesystem::current_path().string();
  EXPECT_EQ(WithAbsoluteProgram("./e.py --id {node}"), cwd + "/e.py --id {node}");
  EXPECT_EQ(WithAbsoluteProgram("bin/e --id '{node}'"), cwd + "/bin/e --id {node}");
  EXPECT_EQ(WithAbsoluteProgram("python3 ./no-such-file.py"), "python3 ./no-such-file.py");
  EXPECT_EQ(WithAbsoluteProgram("/opt/e --id {node}"), "/opt/e --id {node}");
  const std::filesystem::path here = std::filesystem::path("./elector-test-script.py");
  { std::ofstream(here) << "print()\n"; }
  EXPECT_EQ(WithAbsoluteProgram("python3 ./elector-test-script.py {node}"),
            "python3 " + cwd + "/elector-test-script.py {node}");
  std::filesystem::remove(here);
}

TEST(ClusterVars, GivesEveryNodeItsPeers) {
  auto vars = ClusterVars({"10.0.0.1", "10.0.0.2", "10.0.0.3"}, 7000, "/d", 9);
  ASSERT_EQ(vars.size(), 3u);
  EXPECT_EQ(vars[1].node, "n2");
  EXPECT_EQ(vars[1].index, 2u);
  EXPECT_EQ(vars[1].peers, "n1=10.0.0.1:7000,n3=10.0.0.3:7000");
  EXPECT_EQ(vars[1].all, "n1=10.0.0.1:7000,n2=10.0.0.2:7000,n3=10.0.0.3:7000");
  EXPECT_EQ(vars[1].data_dir, "/d/n2");
  EXPECT_EQ(vars[1].nodes, 3u);
}

TEST(ExpandTemplate, SubstitutesEveryPlaceholder) {
  auto v = ClusterVars({"10.0.0.1", "10.0.0.2"}, 7001, "/data", 42)[0];
  auto argv = ExpandTemplate(
      {"e", "--id={node}", "{index}", "{addr}:{port}", "{peers}", "{all}", "{nodes}", "{data_dir}",
       "{seed}", "{{literal}}"},
      v);
  EXPECT_EQ(argv, (std::vector<std::string>{"e", "--id=n1", "1", "10.0.0.1:7001", "n2=10.0.0.2:7001",
                                            "n1=10.0.0.1:7001,n2=10.0.0.2:7001", "2", "/data/n1",
                                            "42", "{literal}"}));
}

TEST(ExpandTemplate, NamesAnUnknownPlaceholder) {
  NodeVars v;
  try {
    ExpandTemplate({"x", "{nope}"}, v);
    FAIL() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("{nope}"), std::string::npos);
  }
  EXPECT_THROW(ExpandTemplate({"{node"}, v), std::invalid_argument);
}

TEST(ContractEnvironment, ExportsTheSameValues) {
  auto v = ClusterVars({"10.0.0.1", "10.0.0.2"}, 7000, "/d", 5)[1];
  v.service = "redis1=10.0.0.3:6379";
  auto env = ContractEnvironment(v);
  ASSERT_EQ(env.size(), 10u);
  EXPECT_EQ(env[0], (std::pair<std::string, std::string>{"SCHISM_NODE", "n2"}));
  EXPECT_EQ(env[4], (std::pair<std::string, std::string>{"SCHISM_PEERS", "n1=10.0.0.1:7000"}));
  EXPECT_EQ(env[9], (std::pair<std::string, std::string>{"SCHISM_SERVICE", "redis1=10.0.0.3:6379"}));
  EXPECT_EQ(ExpandTemplate({"--redis={service}"}, v), std::vector<std::string>{"--redis=redis1=10.0.0.3:6379"});
}

}  // namespace
}  // namespace schism::harness
