#include "harness/spawn.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

// Boost 1.81's header-only mode forgets the definition of
// process_environment::on_setup; this is the one file that uses it.
#include <boost/process/v2/impl/environment.ipp>

extern char** environ;

namespace schism::harness {

namespace {

// Appends `value` in decimal to buf[*len..]; async-signal-safe (no snprintf,
// which may take locks or allocate). `buf` must have room for 20 more chars.
void AppendDecimal(char* buf, int* len, std::int64_t value) {
  char digits[24];
  int n = 0;
  bool negative = value < 0;
  // Negate digit by digit so that INT64_MIN does not overflow.
  do {
    std::int64_t digit = value % 10;
    digits[n++] = static_cast<char>('0' + (digit < 0 ? -digit : digit));
    value /= 10;
  } while (value != 0);
  if (negative) buf[(*len)++] = '-';
  while (n > 0) buf[(*len)++] = digits[--n];
}

void AppendText(char* buf, int* len, const char* text) {
  while (*text != '\0') buf[(*len)++] = *text++;
}

}  // namespace

bool ChildSetup::EnterTimeNamespace(std::int64_t offset_ns) {
  // The new namespace is the one for our children (time_for_children), and
  // exec moves this process into it. Until a process is inside it, its offsets
  // can be written through /proc/self/timens_offsets.
  if (unshare(CLONE_NEWTIME) != 0) return false;
  // "<clock> <seconds> <nanoseconds>\n" with nanoseconds in 0..999999999.
  std::int64_t secs = offset_ns / 1'000'000'000;
  std::int64_t nanos = offset_ns % 1'000'000'000;
  if (nanos < 0) {
    nanos += 1'000'000'000;
    secs -= 1;
  }
  char text[128];
  int len = 0;
  for (const char* clock : {"monotonic ", "boottime "}) {
    AppendText(text, &len, clock);
    AppendDecimal(text, &len, secs);
    AppendText(text, &len, " ");
    AppendDecimal(text, &len, nanos);
    AppendText(text, &len, "\n");
  }
  int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  // Both lines in one write; the kernel answers ERANGE when an offset would
  // make a clock negative, EACCES once a process has entered the namespace.
  bool ok = write(fd, text, static_cast<std::size_t>(len)) == len;
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

std::vector<std::string> ChildEnvironment(
    const std::vector<std::pair<std::string, std::string>>& extra) {
  auto overridden = [&extra](std::string_view entry) {
    std::string_view key = entry.substr(0, entry.find('='));
    for (const auto& kv : extra) {
      if (kv.first == key) return true;
    }
    return false;
  };
  std::vector<std::string> env;
  for (char** e = environ; e && *e; ++e) {
    if (!overridden(*e)) env.emplace_back(*e);
  }
  for (const auto& [key, value] : extra) env.push_back(key + "=" + value);
  return env;
}

boost::process::v2::process SpawnChild(boost::asio::io_context& io,
                                       const std::vector<std::string>& argv,
                                       const std::vector<std::string>& env,
                                       boost::asio::readable_pipe& out, int err_fd,
                                       const ChildSetup& setup) {
  namespace bp = boost::process::v2;
  std::vector<std::string> args(argv.begin() + 1, argv.end());
  return bp::process(io, argv[0], args, bp::process_stdio{nullptr, out, err_fd},
                     bp::process_environment(env), setup);
}

std::filesystem::path FindExecutable(std::string_view name) {
  namespace fs = std::filesystem;
  // A directory of PATH this user may not search (root's ~/.cargo/bin, seen
  // by a rootless run that kept root's PATH) holds nothing it can run.
  auto runnable = [](const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && access(p.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string_view::npos) {
    fs::path p(name);
    return runnable(p) ? p : fs::path();
  }
  std::string dirs = std::getenv("PATH") ? std::getenv("PATH") : "";
  dirs += ":/usr/sbin:/sbin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    if (end > start) {
      fs::path candidate = fs::path(dirs.substr(start, end - start)) / name;
      if (runnable(candidate)) return candidate;
    }
    start = end + 1;
  }
  return {};
}

}  // namespace schism::harness
