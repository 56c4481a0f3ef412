// Lookups over the fault kinds, the names derived from them, and the docs
// table.
#include "nemesis/fault_kind.h"

#include <algorithm>
#include <map>

namespace schism::nemesis {
namespace {

// Every named op kind with its owner and its spec, in enum order.
struct Owned {
  const FaultKind* owner;
  OpSpec spec;
};

const std::map<OpKind, Owned>& Owners() {
  static const std::map<OpKind, Owned> owners = [] {
    std::map<OpKind, Owned> out;
    for (const FaultKind* kind : AllFaultKinds()) {
      for (OpSpec& spec : kind->Ops()) out.emplace(spec.kind, Owned{kind, std::move(spec)});
    }
    return out;
  }();
  return owners;
}

}  // namespace

const FaultKind* FaultKindNamed(std::string_view name) {
  for (const FaultKind* kind : AllFaultKinds()) {
    if (kind->Name() == name) return kind;
  }
  return nullptr;
}

const FaultKind* OwnerOf(OpKind kind) {
  const auto it = Owners().find(kind);
  return it == Owners().end() ? nullptr : it->second.owner;
}

const OpSpec* SpecOf(OpKind kind) {
  const auto it = Owners().find(kind);
  return it == Owners().end() ? nullptr : &it->second.spec;
}

std::vector<OpKind> AllOpKinds() {
  std::vector<OpKind> kinds;
  for (const auto& [kind, owned] : Owners()) kinds.push_back(kind);
  return kinds;
}

NemesisNameList::const_iterator NemesisNameList::begin() const { return Names().begin(); }
NemesisNameList::const_iterator NemesisNameList::end() const { return Names().end(); }
std::size_t NemesisNameList::size() const { return Names().size(); }

const std::vector<std::string_view>& NemesisNameList::Names() {
  static const std::vector<std::string_view> names = [] {
    std::vector<std::string_view> out;
    for (const FaultKind* kind : AllFaultKinds()) out.push_back(kind->Name());
    return out;
  }();
  return names;
}

std::string_view ToString(OpKind kind) {
  const OpSpec* spec = SpecOf(kind);
  return spec == nullptr ? "?" : spec->name;
}

bool EndsFaults(OpKind kind) {
  const auto& kinds = AllFaultKinds();
  return std::any_of(kinds.begin(), kinds.end(),
                     [kind](const FaultKind* k) { return k->EndOp() == kind; });
}

std::string OpsTableMarkdown() {
  std::string table =
      "| fault kind | ops and fields | mechanism | proof (what shows it took effect) | "
      "unknown when |\n"
      "|---|---|---|---|---|\n";
  for (const FaultKind* kind : AllFaultKinds()) {
    const FaultDoc doc = kind->Doc();
    table += "| `" + std::string(kind->Name()) + "` | " + std::string(doc.fields) + " | " +
             std::string(doc.mechanism) + " | " + std::string(doc.proof) + " | " +
             std::string(doc.unknown) + " |\n";
  }
  return table;
}

}  // namespace schism::nemesis
