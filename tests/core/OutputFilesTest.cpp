// The output directory's lock and the temporary files of interrupted runs.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "solver/core/AtomicFile.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/OutputLock.hpp"

using namespace ssb;
namespace fs = std::filesystem;

namespace {
fs::path freshDir(const std::string& name) {
  const fs::path d = fs::path("output_files") / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}
void touch(const fs::path& p, const std::string& text = "x") { std::ofstream(p) << text; }
}  // namespace

TEST(OutputLock, SecondHolderIsRefusedWithTheOwner) {
  const fs::path d = freshDir("busy");
  {
    OutputLock first(d);
    EXPECT_FALSE(first.staleOwner());
    ASSERT_TRUE(fs::exists(d / OutputLock::kFileName));
    try {
      OutputLock second(d);
      FAIL() << "a second lock on the same directory was granted";
    } catch (const RunError& e) {
      const std::string m = e.what();
      EXPECT_NE(m.find("is in use by another ssbvox run (pid " + std::to_string(getpid()) + " on host"),
                std::string::npos)
          << m;
      EXPECT_NE(m.find("output.dir"), std::string::npos) << m;
    }
  }
  EXPECT_FALSE(fs::exists(d / OutputLock::kFileName));  // released and removed
  OutputLock again(d);                                  // and free again
  EXPECT_FALSE(again.staleOwner());
}

// A lock file whose owner died (the kernel dropped its flock) is taken over and reported.
TEST(OutputLock, StaleLockOfADeadRunIsTakenOver) {
  const fs::path d = freshDir("stale");
  touch(d / OutputLock::kFileName, "pid 2147480000\nhost elsewhere\nstarted 2026-01-01T00:00:00Z\n");
  OutputLock lock(d);
  ASSERT_TRUE(lock.staleOwner());
  EXPECT_EQ(*lock.staleOwner(), "pid 2147480000 on host elsewhere since 2026-01-01T00:00:00Z");
  std::ifstream is(d / OutputLock::kFileName);
  std::string key, pid;
  is >> key >> pid;
  EXPECT_EQ(key, "pid");
  EXPECT_EQ(pid, std::to_string(getpid()));
}

TEST(OutputLock, UnwritableDirectoryIsARunError) {
  EXPECT_THROW(OutputLock(fs::path("output_files") / "no" / "such" / "dir"), RunError);
}

// Only files with the temporary suffix go; a user's own *.tmp stays.
TEST(TempFiles, StaleTemporaryFilesAreRemovedAndNothingElse) {
  const fs::path d = freshDir("temps");
  touch(d / ("results.json" + std::string(kTempSuffix)));
  touch(d / ("fields.h5" + std::string(kTempSuffix)));
  touch(d / "notes.tmp");
  touch(d / "results.json");
  auto removed = removeStaleTempFiles(d);
  std::sort(removed.begin(), removed.end());
  EXPECT_EQ(removed, (std::vector<std::string>{"fields.h5.ssbvox.tmp", "results.json.ssbvox.tmp"}));
  EXPECT_TRUE(fs::exists(d / "notes.tmp"));
  EXPECT_TRUE(fs::exists(d / "results.json"));
  EXPECT_EQ(tempPathFor(d / "a.txt"), d / "a.txt.ssbvox.tmp");
}
