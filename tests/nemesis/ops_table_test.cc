// docs/nemesis.md's ops table is the fault kinds' Doc() rows (fault_kind.h):
// when they differ, this prints the table to paste into the docs.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "nemesis/fault_kind.h"

namespace schism::nemesis {
namespace {

// The first table after the "## Ops" heading of docs/nemesis.md.
std::string DocsOpsTable() {
  std::ifstream in(std::string(SCHISM_SOURCE_DIR) + "/docs/nemesis.md");
  std::string line;
  while (std::getline(in, line) && line != "## Ops") {
  }
  std::string table;
  while (std::getline(in, line)) {
    if (line.rfind("|", 0) == 0) {
      table += line + "\n";
    } else if (!table.empty()) {
      break;
    }
  }
  return table;
}

// The cells of a row, split at the pipes that markdown reads as borders.
std::size_t Borders(std::string_view text) {
  std::size_t pipes = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '|' && (i == 0 || text[i - 1] != '\\')) ++pipes;
  }
  return pipes;
}

TEST(NemesisOpsTable, DocsHoldTheTableTheFaultKindsDescribe) {
  const std::string expected = OpsTableMarkdown();
  EXPECT_EQ(DocsOpsTable(), expected)
      << "docs/nemesis.md's table under \"## Ops\" differs from the fault kinds' Doc(); "
         "replace it with:\n\n"
      << expected;
}

TEST(NemesisOpsTable, EveryRowNamesItsOpsAndFieldsAndHasFiveCells) {
  for (const FaultKind* kind : AllFaultKinds()) {
    const FaultDoc doc = kind->Doc();
    for (std::string_view cell : {doc.fields, doc.mechanism, doc.proof, doc.unknown}) {
      EXPECT_FALSE(cell.empty()) << kind->Name();
      EXPECT_EQ(Borders(cell), 0u) << kind->Name() << ": a bare | splits the cell: " << cell;
      EXPECT_EQ(cell.find('\n'), std::string_view::npos) << kind->Name();
    }
    const std::string fields(doc.fields);
    for (const OpSpec& spec : kind->Ops()) {
      EXPECT_NE(fields.find("`" + std::string(spec.name) + "`"), std::string::npos)
          << kind->Name() << "'s row does not name op " << spec.name;
      for (const std::string& field : spec.fields) {
        EXPECT_NE(fields.find("`" + field + "`"), std::string::npos)
            << kind->Name() << "'s row does not name " << spec.name << "'s field " << field;
      }
    }
  }
}

}  // namespace
}  // namespace schism::nemesis
