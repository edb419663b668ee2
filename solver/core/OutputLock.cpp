#include "solver/core/OutputLock.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <sstream>

#include "solver/core/Error.hpp"

namespace ssb {

namespace {

std::string hostName() {
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  return host;
}

std::string readAll(int fd) {
  std::string out;
  char buf[512];
  if (lseek(fd, 0, SEEK_SET) < 0) return out;
  for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

// "pid 123 on host h since 2026-..." from the lock file's lines "pid 123", "host h", "started ...".
std::string describeOwner(const std::string& content, long* pid = nullptr, std::string* host = nullptr) {
  std::istringstream is(content);
  std::string key, value, p = "?", h = "?", t = "?";
  while (is >> key && std::getline(is >> std::ws, value)) {
    if (key == "pid") p = value;
    if (key == "host") h = value;
    if (key == "started") t = value;
  }
  if (pid) *pid = std::strtol(p.c_str(), nullptr, 10);
  if (host) *host = h;
  return "pid " + p + " on host " + h + " since " + t;
}

}  // namespace

OutputLock::OutputLock(const std::filesystem::path& dir) : m_path(dir / kFileName) {
  for (int attempt = 0; attempt < 5; ++attempt) {
    const int fd = open(m_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throwRun("output.dir '{}': cannot create the lock file {}: {}", dir.string(), kFileName,
               std::strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int why = errno;
      const std::string content = readAll(fd);
      close(fd);
      if (why == EWOULDBLOCK)
        throwRun(
            "output.dir '{}' is in use by another ssbvox run ({}); wait for it to finish or write elsewhere "
            "(--set output.dir=...)",
            dir.string(), describeOwner(content));
      // No flock on this file system: fall back to asking whether the recorded owner still lives here.
      long pid = 0;
      std::string host;
      const std::string owner = describeOwner(content, &pid, &host);
      if (!content.empty() &&
          (host != hostName() || (pid > 0 && (kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM))))
        throwRun(
            "output.dir '{}' is in use by another ssbvox run ({}; this file system offers no lock to check "
            "it: if no such run is active, delete {})",
            dir.string(), owner, m_path.string());
      // Stale: remove and create a fresh file below.
      std::error_code ec;
      std::filesystem::remove(m_path, ec);
      const int nfd = open(m_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (nfd < 0) continue;  // another run was faster: try again (and be refused)
      if (!content.empty()) m_stale = owner;
      m_fd = nfd;
    } else {
      // A finishing run removes its lock file after we opened it: then we hold a lock on a file that no
      // longer has this name, and must start over.
      struct stat mine {
      }, named{};
      if (fstat(fd, &mine) != 0 || stat(m_path.c_str(), &named) != 0 || mine.st_ino != named.st_ino ||
          mine.st_dev != named.st_dev) {
        close(fd);
        continue;
      }
      const std::string content = readAll(fd);
      if (!content.empty()) m_stale = describeOwner(content);  // its owner died without removing it
      m_fd = fd;
    }
    char started[64];
    const std::time_t now = std::time(nullptr);
    std::strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&now));
    const std::string record =
        "pid " + std::to_string(getpid()) + "\nhost " + hostName() + "\nstarted " + started + "\n";
    if (ftruncate(m_fd, 0) != 0 || lseek(m_fd, 0, SEEK_SET) != 0 ||
        write(m_fd, record.data(), record.size()) != static_cast<ssize_t>(record.size())) {
      const std::string err = std::strerror(errno);
      unlink(m_path.c_str());
      close(m_fd);
      m_fd = -1;
      throwRun("output.dir '{}': cannot write the lock file {}: {}", dir.string(), kFileName, err);
    }
    m_cleanup = std::make_unique<RemoveOnTermination>(m_path);
    return;
  }
  throwRun("output.dir '{}': could not take the lock file {} (another run keeps replacing it)", dir.string(),
           kFileName);
}

OutputLock::~OutputLock() {
  m_cleanup.reset();
  if (m_fd >= 0) {
    unlink(m_path.c_str());  // before closing, so no other run can lock this file after we let go
    close(m_fd);
  }
}

}  // namespace ssb
