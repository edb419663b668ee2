#include "solver/core/Log.hpp"

#include <mpi.h>

#include <cstdio>

namespace ssb {
namespace {
int g_verbosity = 1;
const auto g_start = std::chrono::steady_clock::now();
bool isRoot() {
  int init = 0;
  MPI_Initialized(&init);
  int r = 0;
  if (init) MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r == 0;
}
}  // namespace

void Log::setVerbosity(int v) { g_verbosity = v; }
int Log::verbosity() { return g_verbosity; }
double Log::elapsed() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - g_start).count();
}

void Log::write(int level, const std::string& msg) {
  if (level > g_verbosity || !isRoot()) return;
  std::fprintf(stdout, "[%8.2f s] %s\n", elapsed(), msg.c_str());
  std::fflush(stdout);
}

void Log::warn(const std::string& msg) {
  if (!isRoot()) return;
  std::fprintf(stderr, "[%8.2f s] warning: %s\n", elapsed(), msg.c_str());
  std::fflush(stderr);
}

ScopedTimer::ScopedTimer(std::string name) : m_name(std::move(name)), m_start(std::chrono::steady_clock::now()) {
  Log::info("{} ...", m_name);
}
double ScopedTimer::seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
}
ScopedTimer::~ScopedTimer() { Log::info("{} done in {:.2f} s", m_name, seconds()); }

}  // namespace ssb
