// Benchmark driver for the conductivity study (not a test): loads or generates a volume from a small YAML
// case, runs one conductivity study and prints one JSON line on rank 0 with the study's results, the wall
// time of the whole process and the peak resident memory of every rank (getrusage), so that
// bench/run_conductivity_bench.sh can tabulate them. PETSc options may follow on the command line.
//
//   ssb_bench_conductivity CASE.yaml [PETSc options]
//   CASE.yaml:  volume: {...}   (as in ssbvox input files)
//               phases: [...]
//               study: {type: conductivity, ...}
#include <mpi.h>
#include <petscsys.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "mesh/PhaseMap.hpp"
#include "mesh/StudyContext.hpp"
#include "mesh/VolumeSource.hpp"
#include "physics/Conductivity.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Json.hpp"

namespace {

double loadAverage() {
  std::ifstream in("/proc/loadavg");
  double l = -1;
  in >> l;
  return l;
}

int run(int argc, char** argv) {
  using namespace ssb;
  const auto start = std::chrono::steady_clock::now();
  const double load = loadAverage();
  if (argc < 2) throwInput("usage: ssb_bench_conductivity CASE.yaml [PETSc options]");
  YAML::Node root = YAML::LoadFile(argv[1]);
  int rank = 0, size = 1;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  MPI_Comm_size(PETSC_COMM_WORLD, &size);

  const auto t0 = std::chrono::steady_clock::now();
  Volume vol = loadVolume(PETSC_COMM_WORLD, Params(root["volume"], volumeSchema(), "volume"));
  const double loadSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::vector<Params> phaseParams;
  for (size_t i = 0; i < root["phases"].size(); ++i)
    phaseParams.emplace_back(root["phases"][i], phaseSchema(), "phases[" + std::to_string(i) + "]");
  PhaseMap phases = PhaseMap::fromParams(phaseParams);
  Params study(root["study"], conductivitySchema(), "study");
  StudyContext ctx{vol, phases, nullptr, std::filesystem::temp_directory_path(), "bench"};
  Json result = runConductivity(ctx, study);

  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  const double rss = static_cast<double>(ru.ru_maxrss) * 1024.0;  // Linux: kilobytes
  double cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
               1e-6 * static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
  double cpuSum = 0;
  MPI_Reduce(&cpu, &cpuSum, 1, MPI_DOUBLE, MPI_SUM, 0, PETSC_COMM_WORLD);
  double rssSum = 0, rssMax = 0;
  MPI_Reduce(&rss, &rssSum, 1, MPI_DOUBLE, MPI_SUM, 0, PETSC_COMM_WORLD);
  MPI_Reduce(&rss, &rssMax, 1, MPI_DOUBLE, MPI_MAX, 0, PETSC_COMM_WORLD);
  if (rank == 0) {
    Json out;
    out["case"] = argv[1];
    out["ranks"] = size;
    out["voxels"] = vol.grid->geometry().voxels();
    out["load_average_at_start"] = load;
    out["volume_seconds"] = loadSeconds;
    out["process_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    out["cpu_seconds_sum"] = cpuSum;  // user + system, all ranks: less sensitive to a busy machine than wall
    out["peak_rss_bytes_sum"] = rssSum;
    out["peak_rss_bytes_max_rank"] = rssMax;
    out["result"] = result;
    std::cout << out.dump() << std::endl;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 2;
  int code = 0;
  try {
    code = run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    code = 1;
  }
  PetscFinalize();
  return code;
}
