#include "solver/core/AtomicFile.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "solver/core/Error.hpp"

namespace ssb {

namespace {

// Paths removed by the termination handler. The handler may only call async-signal-safe functions
// (unlink), so the registry is a fixed array of C strings; a slot is published by setting its flag after
// the path is complete, and withdrawn by clearing the flag first.
constexpr int kSlots = 64;
constexpr size_t kPathMax = 4096;
char g_paths[kSlots][kPathMax];
volatile sig_atomic_t g_used[kSlots];

void onTermination(int sig) {
  for (int i = 0; i < kSlots; ++i)
    if (g_used[i]) unlink(g_paths[i]);
  signal(sig, SIG_DFL);
  raise(sig);
}

}  // namespace

std::filesystem::path tempPathFor(const std::filesystem::path& path) {
  return path.parent_path() / (path.filename().string() + kTempSuffix);
}

void commitTempFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::rename(tempPathFor(path), path, ec);
  if (ec) throwRun("cannot move {} into place: {}", tempPathFor(path).string(), ec.message());
}

void writeThroughTemp(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write) {
  const auto tmp = tempPathFor(path);
  RemoveOnTermination cleanup(tmp);
  try {
    write(tmp);
    commitTempFile(path);
  } catch (...) {  // failed to write or to rename: leave nothing behind
    std::error_code ec;
    std::filesystem::remove(tmp, ec);
    throw;
  }
}

void writeFileAtomic(const std::filesystem::path& path, const std::string& content) {
  writeThroughTemp(path, [&](const std::filesystem::path& tmp) {
    std::ofstream os(tmp, std::ios::binary | std::ios::trunc);
    if (!os) throwRun("cannot write {}: {}", tmp.string(), std::strerror(errno));
    os.write(content.data(), static_cast<std::streamsize>(content.size()));
    os.flush();
    if (!os) throwRun("error while writing {} (disk full?)", tmp.string());
  });
}

std::vector<std::string> removeStaleTempFiles(const std::filesystem::path& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  const std::string suffix = kTempSuffix;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() <= suffix.size() || name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
      continue;
    std::error_code rc;
    if (std::filesystem::remove(e.path(), rc)) removed.push_back(name);
  }
  return removed;
}

RemoveOnTermination::RemoveOnTermination(const std::filesystem::path& path) {
  std::error_code ec;
  const std::string p = std::filesystem::absolute(path, ec).string();
  if (ec || p.size() >= kPathMax) return;
  for (int i = 0; i < kSlots; ++i) {
    if (g_used[i]) continue;
    std::memcpy(g_paths[i], p.c_str(), p.size() + 1);
    g_used[i] = 1;
    m_slot = i;
    return;
  }
}

RemoveOnTermination::~RemoveOnTermination() {
  if (m_slot >= 0) g_used[m_slot] = 0;
}

void installTerminationCleanup() {
  struct sigaction sa {};
  sa.sa_handler = onTermination;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;
  for (int sig : {SIGTERM, SIGINT, SIGHUP}) sigaction(sig, &sa, nullptr);
}

}  // namespace ssb
