#include "solver/core/AtomicFile.hpp"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>

#include "solver/core/Error.hpp"

namespace ssb {

std::filesystem::path tempPathFor(const std::filesystem::path& path) {
  return path.parent_path() / (path.filename().string() + ".tmp");
}

void commitTempFile(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::rename(tempPathFor(path), path, ec);
  if (ec) throwRun("cannot move {} into place: {}", tempPathFor(path).string(), ec.message());
}

void writeThroughTemp(const std::filesystem::path& path,
                      const std::function<void(const std::filesystem::path&)>& write) {
  const auto tmp = tempPathFor(path);
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

}  // namespace ssb
