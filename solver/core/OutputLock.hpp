#pragma once
// One run at a time per output directory. `<dir>/.ssbvox.lock` names the owner (pid, host, start time) and
// is held with flock(2) while the run lives, so two runs writing into the same directory are refused
// instead of interleaving their files. The kernel drops the lock when its process dies, even by SIGKILL:
// a lock file left behind by a killed run is stale, taken over by the next run and reported.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "solver/core/AtomicFile.hpp"

namespace ssb {

class OutputLock {
 public:
  // Not collective (one rank holds it). Throws RunError naming the directory and the live owner if another
  // run holds the lock, or if the lock file cannot be created.
  explicit OutputLock(const std::filesystem::path& dir);
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;
  ~OutputLock();  // removes the lock file

  static constexpr const char* kFileName = ".ssbvox.lock";
  // The owner recorded in a stale lock that was taken over ("pid 123 on host h since ..."), if any.
  const std::optional<std::string>& staleOwner() const { return m_stale; }

 private:
  std::filesystem::path m_path;
  int m_fd = -1;
  std::optional<std::string> m_stale;
  std::unique_ptr<RemoveOnTermination> m_cleanup;
};

}  // namespace ssb
