#pragma once
// Replacing a small file whole: the one way schism writes run-store files,
// a node's persisted vote and the clock faults' timestamp files.

#include <filesystem>
#include <string>
#include <string_view>

namespace schism::histories {

// How far a write must survive: kNone, a crash of nothing but the reader's
// patience (the file is on tmpfs, or rewritten every moment); kFile, a crash
// of the process (the data is fsynced before the rename); kFileAndDirectory,
// a power cut (the directory is fsynced after the rename too).
enum class Durability { kNone, kFile, kFileAndDirectory };

// Replaces `path` with `content` atomically: writes "<path>.tmp" beside it and
// renames it over `path`, so a reader sees the old content or the new, never
// a part. Returns "" on success, else one line "<file>: <call>: <reason>"
// (the caller throws or reports it, as suits it).
std::string WriteFileAtomically(const std::filesystem::path& path, std::string_view content,
                                Durability durability);

}  // namespace schism::histories
