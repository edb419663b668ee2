#pragma once
// Results are written to a temporary name ("<file>.ssbvox.tmp") and renamed into place, so a crash never
// leaves a half-written result and an older complete result is never destroyed by a failed run. A run
// ended by SIGTERM/SIGINT/SIGHUP removes its temporary files on the way out (installTerminationCleanup);
// one ended by SIGKILL cannot, and the next run into the same directory removes them
// (removeStaleTempFiles, called while it holds the directory's lock).
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace ssb {

// Suffix of every temporary file; nothing else ssbvox writes ends in it.
inline constexpr const char* kTempSuffix = ".ssbvox.tmp";

// Write `content` to `path` atomically (temp file + rename). Not collective: call on one rank.
void writeFileAtomic(const std::filesystem::path& path, const std::string& content);

// Temporary name used while a file is being written: "<path>.ssbvox.tmp".
std::filesystem::path tempPathFor(const std::filesystem::path& path);

// Rename the finished temporary file into place. Throws RunError on failure.
void commitTempFile(const std::filesystem::path& path);

// Call write(tempPathFor(path)) and rename the result into place; if either fails, remove the temporary
// file and rethrow. The one way a writer produces a file, so no half-written file is ever left behind. Not
// collective.
void writeThroughTemp(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write);

// Remove the temporary files (names ending in kTempSuffix) that an interrupted run left in `dir`; returns
// their names. Not collective; call only while holding the directory's OutputLock, so that no live run's
// file is touched.
std::vector<std::string> removeStaleTempFiles(const std::filesystem::path& dir);

// While an object lives, `path` is removed if the process is ended by SIGTERM, SIGINT or SIGHUP (after
// installTerminationCleanup): temporary files while they are written, the output directory's lock. Up to
// 64 paths at a time (further ones are simply not registered); not collective.
class RemoveOnTermination {
 public:
  explicit RemoveOnTermination(const std::filesystem::path& path);
  RemoveOnTermination(const RemoveOnTermination&) = delete;
  RemoveOnTermination& operator=(const RemoveOnTermination&) = delete;
  ~RemoveOnTermination();

 private:
  int m_slot = -1;
};

// Handlers for SIGTERM, SIGINT and SIGHUP that remove the registered paths and then end the process by the
// same signal (its default action, so the exit status still says which signal). Call once from main, after
// PETSc is initialised (this replaces PETSc's handler for these signals, which would call MPI_Abort).
void installTerminationCleanup();

}  // namespace ssb
