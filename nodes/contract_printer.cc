#include "nodes/contract_printer.h"

#include "nodes/codec.h"

namespace schism::nodes {

bool ContractPrinter::Print(const ContractEvent& event) {
  if (event.kind == ContractEvent::Kind::kRole) {
    if (last_role_ == event) return true;
    last_role_ = event;
  }
  return std::fprintf(out_, "%s\n", FormatEvent(event).c_str()) > 0 && std::fflush(out_) == 0;
}

}  // namespace schism::nodes
