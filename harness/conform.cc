#include "harness/conform.h"

#include <fstream>
#include <iomanip>
#include <map>

#include <nlohmann/json.hpp>

#include "checkers/conformance.h"
#include "harness/errors.h"
#include "histories/reader.h"
#include "histories/atomic_file.h"

namespace schism::harness {
namespace {

using checkers::ConformItem;
using checkers::ItemStatus;
using nlohmann::json;

// One race: the links lose 70 % of their packets, so that elections drag on
// and overlap; 0.3 s later the leader dies,
// and so do the candidate and the voter of the next vote cast in a term
// another node also stands in (the candidate first, so that it cannot win
// with that vote and end the election). The voter is back after 40 ms, while
// its candidate is still dead and the rival still asks: a node that forgot
// its vote grants a second one. The kills wait up to 3.5 s for such a vote;
// the leaders of 1.6 and 2.9 s in die too, for more elections and so more
// chances of a contested one. The loss ends 4 s in.
void AddRace(json& ops, double t) {
  const json leader_kill = {{"f", "kill"}, {"target", "leader"}, {"restart_after", 1.0}};
  const auto at = [](double time, json op) {
    op["t"] = time;
    return op;
  };
  ops.push_back({{"t", t}, {"f", "loss"}, {"percent", 70}});
  ops.push_back(at(t + 0.3, leader_kill));
  ops.push_back({{"t", t + 0.3}, {"f", "kill"}, {"target", "candidate"}, {"voter_wait", 3.5},
                 {"rival", true}, {"restart_after", 1.0}});
  ops.push_back({{"t", t + 0.3}, {"f", "kill"}, {"target", "voter"}, {"voter_wait", 3.5},
                 {"rival", true}, {"restart_after", 0.04}});
  ops.push_back(at(t + 1.6, leader_kill));
  ops.push_back(at(t + 2.9, leader_kill));
  ops.push_back({{"t", t + 4.0}, {"f", "loss-end"}});
}

std::vector<histories::Event> ReadHistory(const std::filesystem::path& file) {
  std::ifstream in(file);
  histories::HistoryReader reader(in, file.string());
  std::vector<histories::Event> events;
  for (histories::Event e; reader.Next(e);) events.push_back(std::move(e));
  return events;
}

void Print(const std::vector<ConformItem>& items, const std::vector<histories::Event>& history,
           std::ostream& out) {
  std::map<std::uint64_t, const histories::Event*> by_index;
  for (const auto& e : history) by_index[e.index] = &e;
  for (const ConformItem& item : items) {
    out << std::left << std::setw(8) << checkers::ToString(item.status) << std::setw(13)
        << item.name << item.title << "\n"
        << std::string(21, ' ') << item.detail << "\n";
    constexpr std::size_t kShown = 4;
    for (std::size_t n = 0; n < item.evidence.size() && n < kShown; ++n) {
      const auto it = by_index.find(item.evidence[n]);
      out << std::string(23, ' ')
          << (it == by_index.end() ? "i=" + std::to_string(item.evidence[n])
                                   : histories::FormatEvent(*it->second))
          << "\n";
    }
    if (item.evidence.size() > kShown) {
      out << std::string(23, ' ') << "(" << item.evidence.size() - kShown << " more)\n";
    }
  }
}

json ItemsJson(const std::vector<ConformItem>& items) {
  json all = json::array();
  for (const ConformItem& item : items) {
    all.push_back({{"item", item.name},
                   {"title", item.title},
                   {"status", checkers::ToString(item.status)},
                   {"detail", item.detail},
                   {"evidence", item.evidence}});
  }
  return all;
}

}  // namespace

std::vector<nemesis::Op> ConformScript(std::size_t nodes) {
  json ops = json::array();
  ops.push_back({{"t", 8.0}, {"f", "kill"}, {"target", "leader"}, {"restart_after", 2.0}});
  for (double t : {13.0, 18.0, 23.0, 28.0, 33.0, 38.0}) AddRace(ops, t);
  ops.push_back({{"t", 43.5}, {"f", "term"}, {"target", "random"}, {"grace", 3.0},
                 {"restart_after", 1.0}});
  std::vector<std::string> names;
  for (std::size_t i = 1; i <= nodes; ++i) names.push_back("n" + std::to_string(i));
  return nemesis::FromJson(ops, names);
}

int Conform(RunConfig config, std::ostream& out, std::ostream& progress) {
  if (config.nodes < 3) {
    throw UsageError("conform needs at least 3 nodes (a leader's kill must leave a majority), got " +
                     std::to_string(config.nodes));
  }
  config.timeline = ConformScript(config.nodes);
  config.replay_of = "the conform script";
  config.time_s = kConformTimeS;
  RunResult result;
  try {
    result = RunTest(config, progress);
  } catch (const SetupError& e) {
    out << std::left << std::setw(8) << "FAIL" << std::setw(13) << "starts"
        << "every node starts and prints a contract line\n"
        << std::string(21, ' ') << e.what() << "\nconform: FAIL (starts)\n";
    return kExitInvalid;
  }
  const auto history = ReadHistory(result.run_dir / "history.jsonl");
  const auto items = checkers::ConformChecklist(history, result.verdicts);
  const int code = checkers::ConformExitCode(items);
  Print(items, history, out);
  // The items that decide the exit code: the failed ones, else the unknown ones.
  std::string named;
  const ItemStatus deciding = code == 1 ? ItemStatus::kFail : ItemStatus::kUnknown;
  for (const ConformItem& item : items) {
    if (item.status == deciding) named += (named.empty() ? "" : ", ") + item.name;
  }
  const std::string written = histories::WriteFileAtomically(
      result.run_dir / "conform.json",
      json{{"items", ItemsJson(items)}, {"exit", code}}.dump(2) + "\n",
      histories::Durability::kFile);
  if (!written.empty()) progress << "schism: " << written << "\n";
  out << "conform: " << (code == 0 ? "pass" : (code == 1 ? "FAIL (" : "unknown (") + named + ")")
      << "\nreport: " << (result.run_dir / "report.html").string()
      << "\nrun dir: " << result.run_dir.string() << "\n";
  if (result.interrupted) return ExitForInterrupt(result.interrupt_signal);
  return code;
}

}  // namespace schism::harness
