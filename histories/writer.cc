#include "histories/writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <system_error>

namespace schism::histories {
namespace {

[[noreturn]] void ThrowErrno(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

}  // namespace

HistoryWriter::HistoryWriter(const std::filesystem::path& path) : path_(path) {
  fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) ThrowErrno(errno, "cannot open history " + path_.string());
  try {
    Recover();
  } catch (...) {
    ::close(fd_);
    throw;
  }
}

HistoryWriter::HistoryWriter() = default;

HistoryWriter::~HistoryWriter() {
  if (fd_ >= 0) ::close(fd_);
}

void HistoryWriter::Recover() {
  std::ifstream in(path_, std::ios::binary);
  if (!in) ThrowErrno(errno, "cannot read history " + path_.string());
  std::string line;
  std::uint64_t complete_bytes = 0;  // Length of the file up to its last '\n'.
  bool torn = false;
  bool any = false;
  std::uint64_t last = 0;
  while (std::getline(in, line)) {
    if (in.eof()) {  // No '\n' after this line.
      torn = !line.empty();
      break;
    }
    complete_bytes += line.size() + 1;
    try {
      Event event = ParseEventLine(line);
      if (!any || event.index > last) last = event.index;
      any = true;
    } catch (const HistoryError&) {
      // Not ours to repair; the reader will point at it.
    }
  }
  if (in.bad()) ThrowErrno(EIO, "cannot read history " + path_.string());
  if (torn && ::ftruncate(fd_, static_cast<off_t>(complete_bytes)) != 0) {
    ThrowErrno(errno, "cannot cut the torn last line of history " + path_.string());
  }
  next_index_ = any ? last + 1 : 0;
}

std::uint64_t HistoryWriter::Append(Event event) {
  std::lock_guard<std::mutex> lock(mu_);
  event.index = next_index_;
  std::string line = FormatEvent(event);
  line.push_back('\n');
  WriteAll(line);
  return next_index_++;
}

std::uint64_t HistoryWriter::next_index() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_index_;
}

void HistoryWriter::Sync() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0) return;
  if (::fdatasync(fd_) != 0) {
    throw std::system_error(errno, std::generic_category(), "fdatasync " + path_.string());
  }
}

void HistoryWriter::WriteAll(const std::string& data) {
  if (fd_ < 0) {
    memory_ += data;
    return;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd_, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      ThrowErrno(errno, "cannot append to history " + path_.string());
    }
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace schism::histories
