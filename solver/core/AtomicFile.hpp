#pragma once
// Results are written to "<path>.tmp" and renamed into place, so a crash never leaves a half-written
// result and an older complete result is never destroyed by a failed run.
#include <filesystem>
#include <string>

namespace ssb {

// Write `content` to `path` atomically (temp file + rename). Not collective: call on one rank.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);

// Temporary name used while a file is being written.
std::filesystem::path tempPathFor(const std::filesystem::path& path);

// Rename the finished temporary file into place. Throws RunError on failure.
void commitTempFile(const std::filesystem::path& path);

}  // namespace ssb
