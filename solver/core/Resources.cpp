#include "solver/core/Resources.hpp"

#include <algorithm>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace ssb {

namespace {

std::optional<double> readNumber(const std::string& path) {
  std::ifstream is(path);
  std::string s;
  if (!(is >> s) || s == "max") return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (end == s.c_str()) return std::nullopt;
  return v;
}

// The memory cgroup this process is in (v1 "N:memory:/path" or v2 "0::/path").
std::optional<double> cgroupAvailable() {
  std::ifstream is("/proc/self/cgroup");
  std::string line, v1, v2;
  while (std::getline(is, line)) {
    const auto a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    const std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    if (controllers == "memory") v1 = path;
    if (controllers.empty()) v2 = path;
  }
  // Inside a container the cgroup root is often mounted as the process's own group: try both.
  std::optional<double> best;
  const auto consider = [&](const std::string& limitFile, const std::string& usageFile) {
    const auto limit = readNumber(limitFile), usage = readNumber(usageFile);
    // v1 reports "no limit" as a huge number near 2^63.
    if (!limit || !usage || *limit > 1e18) return;
    const double left = std::max(0.0, *limit - *usage);
    best = best ? std::min(*best, left) : left;
  };
  for (const std::string& p : {v1, std::string()}) {
    consider("/sys/fs/cgroup/memory" + p + "/memory.limit_in_bytes",
             "/sys/fs/cgroup/memory" + p + "/memory.usage_in_bytes");
  }
  for (const std::string& p : {v2, std::string()}) {
    consider("/sys/fs/cgroup" + p + "/memory.max", "/sys/fs/cgroup" + p + "/memory.current");
  }
  return best;
}

}  // namespace

std::optional<double> availableMemoryBytes() {
  std::optional<double> avail;
  std::ifstream is("/proc/meminfo");
  std::string key;
  double kb = 0;
  std::string unit;
  while (is >> key >> kb >> unit) {
    if (key == "MemAvailable:") {
      avail = kb * 1024.0;
      break;
    }
  }
  if (const auto cg = cgroupAvailable()) avail = avail ? std::min(*avail, *cg) : *cg;
  return avail;
}

std::optional<double> availableMemoryPerRank(MPI_Comm comm) {
  MPI_Comm node = MPI_COMM_NULL;
  MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node);
  int onNode = 1;
  MPI_Comm_size(node, &onNode);
  MPI_Comm_free(&node);
  const auto avail = availableMemoryBytes();
  // Unknown counts as -1 so that the minimum shows it.
  double mine = avail ? *avail / onNode : -1.0, least = 0;
  MPI_Allreduce(&mine, &least, 1, MPI_DOUBLE, MPI_MIN, comm);
  if (least < 0) return std::nullopt;
  return least;
}

}  // namespace ssb
