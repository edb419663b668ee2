#pragma once
// Results are written to "<path>.tmp" and renamed into place, so a crash never leaves a half-written
// result and an older complete result is never destroyed by a failed run.
#include <filesystem>
#include <functional>
#include <string>

namespace ssb {

// Write `content` to `path` atomically (temp file + rename). Not collective: call on one rank.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);

// Temporary name used while a file is being written.
std::filesystem::path tempPathFor(const std::filesystem::path& path);

// Rename the finished temporary file into place. Throws RunError on failure.
void commitTempFile(const std::filesystem::path& path);

// Call write(tempPathFor(path)) and rename the result into place; if either fails, remove the temporary
// file and rethrow. The one way a writer produces a file, so no half-written file is ever left behind. Not
// collective.
void writeThroughTemp(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write);

}  // namespace ssb
