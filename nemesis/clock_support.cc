// CheckClockSupport and FindLibfaketime: reading just enough of an ELF file
// (<elf.h>, pread) to tell whether libfaketime can work on a program.
#include <elf.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "nemesis/clock.h"

namespace schism::nemesis {
namespace {

namespace fs = std::filesystem;

#if defined(__x86_64__)
constexpr int kHostMachine = EM_X86_64;
#elif defined(__aarch64__)
constexpr int kHostMachine = EM_AARCH64;
#elif defined(__i386__)
constexpr int kHostMachine = EM_386;
#elif defined(__arm__)
constexpr int kHostMachine = EM_ARM;
#elif defined(__riscv)
constexpr int kHostMachine = EM_RISCV;
#elif defined(__powerpc64__)
constexpr int kHostMachine = EM_PPC64;
#elif defined(__s390x__)
constexpr int kHostMachine = EM_S390;
#else
constexpr int kHostMachine = EM_NONE;  // unknown: not checked
#endif
constexpr int kHostClass = sizeof(void*) == 8 ? ELFCLASS64 : ELFCLASS32;

// Bounds for reading untrusted headers.
constexpr std::size_t kMaxHeaders = 65536;
constexpr std::size_t kMaxStringTable = 1 << 20;
constexpr int kMaxScriptDepth = 4;  // as deep as Linux follows #! interpreters

class ReadOnlyFile {
 public:
  explicit ReadOnlyFile(const fs::path& path) : fd_(open(path.c_str(), O_RDONLY | O_CLOEXEC)) {}
  ~ReadOnlyFile() {
    if (fd_ >= 0) close(fd_);
  }
  ReadOnlyFile(const ReadOnlyFile&) = delete;
  ReadOnlyFile& operator=(const ReadOnlyFile&) = delete;
  bool ok() const { return fd_ >= 0; }
  // Reads exactly `size` bytes at `offset`.
  bool Read(std::uint64_t offset, void* out, std::size_t size) const {
    auto* p = static_cast<char*>(out);
    while (size > 0) {
      ssize_t n = pread(fd_, p, size, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      p += n;
      size -= static_cast<std::size_t>(n);
      offset += static_cast<std::uint64_t>(n);
    }
    return true;
  }
  // Up to `max` bytes at `offset` (fewer at the end of the file).
  std::string ReadSome(std::uint64_t offset, std::size_t max) const {
    std::string out(max, '\0');
    ssize_t n = pread(fd_, out.data(), max, static_cast<off_t>(offset));
    out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
    return out;
  }

 private:
  int fd_;
};

// What CheckClockSupport needs to know about an ELF file.
struct ElfFacts {
  int elf_class = ELFCLASSNONE;
  int machine = EM_NONE;
  bool interp = false;  // PT_INTERP: started through the dynamic loader
  bool go = false;      // a Go section
  std::vector<std::string> needed;
  std::string error;  // set when the headers are damaged
};

struct Elf32 {
  using Ehdr = Elf32_Ehdr;
  using Phdr = Elf32_Phdr;
  using Shdr = Elf32_Shdr;
  using Dyn = Elf32_Dyn;
};
struct Elf64 {
  using Ehdr = Elf64_Ehdr;
  using Phdr = Elf64_Phdr;
  using Shdr = Elf64_Shdr;
  using Dyn = Elf64_Dyn;
};

template <class T>
bool ReadTable(const ReadOnlyFile& file, std::uint64_t offset, std::size_t count,
               std::size_t entry_size, std::vector<T>* out) {
  if (count > kMaxHeaders || (count > 0 && entry_size != sizeof(T))) return false;
  out->resize(count);
  return count == 0 || file.Read(offset, out->data(), count * sizeof(T));
}

template <class E>
void ReadDynamic(const ReadOnlyFile& file, const std::vector<typename E::Phdr>& phdrs,
                 ElfFacts* facts) {
  const typename E::Phdr* dynamic = nullptr;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_DYNAMIC) dynamic = &ph;
  }
  if (dynamic == nullptr) return;
  std::vector<typename E::Dyn> entries;
  std::size_t count =
      std::min<std::size_t>(dynamic->p_filesz / sizeof(typename E::Dyn), kMaxHeaders);
  if (!ReadTable(file, dynamic->p_offset, count, sizeof(typename E::Dyn), &entries)) {
    facts->error = "damaged dynamic section";
    return;
  }
  std::uint64_t strtab = 0, strsz = 0;
  std::vector<std::uint64_t> needed;
  for (const auto& d : entries) {
    if (d.d_tag == DT_NULL) break;
    if (d.d_tag == DT_STRTAB) strtab = d.d_un.d_ptr;
    if (d.d_tag == DT_STRSZ) strsz = d.d_un.d_val;
    if (d.d_tag == DT_NEEDED) needed.push_back(d.d_un.d_val);
  }
  // DT_STRTAB is an address: find the file offset of the segment it lies in.
  std::optional<std::uint64_t> strtab_offset;
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_LOAD && strtab >= ph.p_vaddr && strtab < ph.p_vaddr + ph.p_filesz) {
      strtab_offset = strtab - ph.p_vaddr + ph.p_offset;
    }
  }
  if (!strtab_offset) {
    if (!needed.empty()) facts->error = "damaged dynamic string table";
    return;
  }
  std::string strings =
      file.ReadSome(*strtab_offset, std::min<std::uint64_t>(strsz, kMaxStringTable));
  for (std::uint64_t at : needed) {
    if (at < strings.size()) facts->needed.emplace_back(strings.c_str() + at);
  }
}

template <class E>
void ReadSections(const ReadOnlyFile& file, const typename E::Ehdr& eh, ElfFacts* facts) {
  if (eh.e_shoff == 0) return;  // no section headers (sstrip): nothing to learn
  std::size_t count = eh.e_shnum;
  std::size_t names_index = eh.e_shstrndx;
  typename E::Shdr first{};
  if (count == 0 || names_index == SHN_XINDEX) {  // extended numbering lives in section 0
    if (!file.Read(eh.e_shoff, &first, sizeof first)) return;
    if (count == 0) count = first.sh_size;
    if (names_index == SHN_XINDEX) names_index = first.sh_link;
  }
  std::vector<typename E::Shdr> sections;
  if (!ReadTable(file, eh.e_shoff, count, eh.e_shentsize, &sections) ||
      names_index >= sections.size()) {
    return;
  }
  const auto& names_section = sections[names_index];
  std::string names = file.ReadSome(
      names_section.sh_offset, std::min<std::uint64_t>(names_section.sh_size, kMaxStringTable));
  for (const auto& sh : sections) {
    if (sh.sh_name >= names.size()) continue;
    std::string name = names.c_str() + sh.sh_name;
    if (name == ".note.go.buildid" || name == ".go.buildinfo" || name == ".gopclntab") {
      facts->go = true;
    }
  }
}

template <class E>
ElfFacts ReadElf(const ReadOnlyFile& file) {
  ElfFacts facts;
  typename E::Ehdr eh{};
  if (!file.Read(0, &eh, sizeof eh)) {
    facts.error = "truncated ELF header";
    return facts;
  }
  facts.elf_class = eh.e_ident[EI_CLASS];
  facts.machine = eh.e_machine;
  std::vector<typename E::Phdr> phdrs;
  if (!ReadTable(file, eh.e_phoff, eh.e_phnum, eh.e_phentsize, &phdrs)) {
    facts.error = "damaged program headers";
    return facts;
  }
  for (const auto& ph : phdrs) {
    if (ph.p_type == PT_INTERP) facts.interp = true;
  }
  ReadDynamic<E>(file, phdrs, &facts);
  ReadSections<E>(file, eh, &facts);
  return facts;
}

// Reads an ELF file's facts; nullopt when it is not ELF at all.
std::optional<ElfFacts> InspectElf(const ReadOnlyFile& file) {
  std::string head = file.ReadSome(0, EI_NIDENT);
  if (head.size() < SELFMAG || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0) return std::nullopt;
  if (head.size() < EI_NIDENT) {
    ElfFacts facts;
    facts.error = "truncated ELF header";
    return facts;
  }
  const auto* ident = reinterpret_cast<const unsigned char*>(head.data());
  if (ident[EI_DATA] != ELFDATA2LSB) {  // every host schism runs on is little-endian
    ElfFacts facts;
    facts.elf_class = ident[EI_CLASS];
    return facts;
  }
  if (ident[EI_CLASS] == ELFCLASS64) return ReadElf<Elf64>(file);
  if (ident[EI_CLASS] == ELFCLASS32) return ReadElf<Elf32>(file);
  ElfFacts facts;
  facts.error = "unknown ELF class";
  return facts;
}

bool IsHostArchitecture(const ElfFacts& facts) {
  return facts.elf_class == kHostClass &&
         (kHostMachine == EM_NONE || facts.machine == kHostMachine);
}

fs::path FindOnPath(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* env = std::getenv("PATH");
  std::stringstream dirs(env ? env : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    if (dir.empty()) continue;
    fs::path candidate = fs::path(dir) / name;
    std::error_code ec;
    if (fs::is_regular_file(candidate, ec) && access(candidate.c_str(), X_OK) == 0) {
      return candidate;
    }
  }
  return {};
}

ClockSupport Unsupported(std::string reason) { return {false, std::move(reason)}; }

ClockSupport Check(const fs::path& program, int depth) {
  std::string name = program.filename().string();
  ReadOnlyFile file(program);
  if (!file.ok()) return Unsupported(name + " cannot be read: " + std::strerror(errno));
  std::string head = file.ReadSome(0, 256);
  if (head.rfind("#!", 0) == 0) {
    if (depth >= kMaxScriptDepth) return Unsupported(name + " nests too many #! interpreters");
    // Linux: the interpreter, then at most one argument (the rest of the line).
    std::size_t end = head.find('\n');
    std::string line = head.substr(2, end == std::string::npos ? std::string::npos : end - 2);
    std::istringstream words(line);
    std::string interpreter, word;
    words >> interpreter;
    if (interpreter.empty()) return Unsupported(name + " has an empty #! line");
    fs::path target = interpreter;
    if (target.filename() == "env") {  // #!/usr/bin/env [-S] [VAR=value] NAME
      std::string command;
      while (command.empty() && words >> word) {
        if (word[0] != '-' && word.find('=') == std::string::npos) command = word;
      }
      if (command.empty()) {
        return Unsupported(name + " has a #!" + interpreter + " line without a program");
      }
      target = FindOnPath(command);
      if (target.empty()) return Unsupported(name + " runs " + command + ", which is not on PATH");
    }
    ClockSupport inner = Check(target, depth + 1);
    if (inner.faketime) return inner;
    return Unsupported(name + " is a script run by " + target.string() + ": " + inner.reason);
  }
  std::optional<ElfFacts> facts = InspectElf(file);
  if (!facts) return Unsupported(name + " is neither an ELF program nor a #! script");
  if (!facts->error.empty())
    return Unsupported(name + " is a damaged ELF file (" + facts->error + ")");
  if (!IsHostArchitecture(*facts)) {
    return Unsupported(name + " is built for another architecture than this host's libfaketime");
  }
  const std::string cannot = ": libfaketime cannot change its clock";
  if (facts->go) return Unsupported(name + " is a Go binary" + cannot);
  if (!facts->interp) return Unsupported(name + " is statically linked" + cannot);
  if (std::find(facts->needed.begin(), facts->needed.end(), "libc.so.6") == facts->needed.end()) {
    return Unsupported(name + " does not link glibc (libc.so.6)" + cannot);
  }
  return {true, ""};
}

}  // namespace

ClockSupport CheckClockSupport(const fs::path& program) { return Check(program, 0); }

fs::path FindLibfaketime() {
  if (const char* env = std::getenv("SCHISM_LIBFAKETIME"); env != nullptr && *env != '\0') {
    return env;
  }
  std::vector<fs::path> dirs;
  std::error_code ec;
  for (fs::directory_iterator it("/usr/lib", ec), end; !ec && it != end; it.increment(ec)) {
    if (fs::is_directory(it->path() / "faketime", ec)) dirs.push_back(it->path() / "faketime");
  }
  std::sort(dirs.begin(), dirs.end());
  for (const char* dir :
       {"/usr/lib64/faketime", "/usr/lib/faketime", "/usr/local/lib/faketime", "/usr/local/lib"}) {
    dirs.emplace_back(dir);
  }
  for (const fs::path& dir : dirs) {
    fs::path candidate = dir / "libfaketime.so.1";
    ReadOnlyFile file(candidate);
    if (!file.ok()) continue;
    std::optional<ElfFacts> facts = InspectElf(file);
    if (facts && facts->error.empty() && IsHostArchitecture(*facts)) return candidate;
  }
  return {};
}

}  // namespace schism::nemesis
