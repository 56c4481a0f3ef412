// libFuzzer target: arbitrary bytes as a history file.
//
// Reads the input with HistoryReader, strictly and leniently, and feeds every
// event to every registered checker. Nothing may crash, hang, leak or trip a
// sanitizer: bad input must end as a HistoryError or as a verdict. Every line
// that parses must also survive FormatEvent and parse back to an equal event,
// and every line the scanner's written path takes it must read as its
// general path does.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "checkers/checker.h"
#include "checkers/report.h"
#include "histories/event.h"
#include "histories/reader.h"
#include "histories/scan.h"

namespace {

void CheckAll(const std::string& text, bool lenient) {
  std::istringstream in(text);
  schism::histories::HistoryReader reader(in, "fuzz.jsonl", lenient);
  std::vector<std::unique_ptr<schism::checkers::Checker>> checkers;
  for (const std::string& name : schism::checkers::CheckerNames()) {
    checkers.push_back(schism::checkers::MakeChecker(name, {}));
  }
  try {
    const auto verdicts = schism::checkers::RunCheckers(reader, checkers);
    // The reports must render whatever the checkers found.
    (void)schism::checkers::ResultsJson(verdicts, schism::checkers::Validity::kUnknown).dump();
    (void)schism::checkers::VerdictTable(verdicts);
  } catch (const schism::histories::HistoryError&) {
    if (lenient) std::abort();  // Lenient mode skips bad lines instead.
  }
}

void RoundTrip(std::string_view line) {
  schism::histories::Event event;
  try {
    event = schism::histories::ParseEventLine(line);
  } catch (const schism::histories::HistoryError&) {
    return;
  }
  std::string formatted;
  try {
    formatted = schism::histories::FormatEvent(event);
  } catch (const schism::histories::HistoryError&) {
    return;  // E.g. a time that does not fit FormatEvent's rules.
  }
  if (!(schism::histories::ParseEventLine(formatted) == event)) std::abort();
}

void WrittenAgrees(std::string_view text) {
  namespace internal = schism::histories::internal;
  // The line alone in a buffer of its size, so that AddressSanitizer sees
  // any read beyond it.
  const auto bytes = std::make_unique<char[]>(text.size());
  if (!text.empty()) std::memcpy(bytes.get(), text.data(), text.size());
  const std::string_view line(bytes.get(), text.size());
  schism::histories::Event written;
  if (!internal::ScanWrittenLine(line, written)) return;
  schism::histories::Event general;
  internal::SeenFields seen;
  if (!internal::ScanGeneralLine(line, general, seen)) std::abort();
  if (!seen.index || !seen.time || !seen.type) std::abort();
  if (!(written == general) || written.time != general.time) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  CheckAll(text, /*lenient=*/false);
  CheckAll(text, /*lenient=*/true);
  std::string_view rest(text);
  while (!rest.empty()) {
    const std::size_t end = rest.find('\n');
    RoundTrip(rest.substr(0, end));
    WrittenAgrees(rest.substr(0, end));
    if (end == std::string_view::npos) break;
    rest.remove_prefix(end + 1);
  }
  return 0;
}
