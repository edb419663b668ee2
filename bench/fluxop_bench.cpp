// Micro-benchmark of the discretisation alone (not a test): builds the FluxOperator of the conductivity
// study on a generated volume and times, in CPU seconds of this process (less sensitive to a busy machine
// than wall time), the operator's construction, createMatrix, and the post-solve kernels (boundary
// currents, dissipated power, current density) on a random vector. Uses only FluxOperator's public API,
// so the same source builds against older versions of physics/ for before/after comparisons.
//
//   ssb_bench_fluxop CASE.yaml [repeats (default 3)]      (CASE.yaml as for ssb_bench_conductivity)
// Prints one JSON line per repeat on rank 0: the largest CPU time over the ranks of each phase.
#include <mpi.h>
#include <petscsys.h>
#include <sys/resource.h>
#include <yaml-cpp/yaml.h>

#include <ctime>
#include <iostream>

#include "mesh/Connectivity.hpp"
#include "mesh/PhaseMap.hpp"
#include "mesh/VolumeSource.hpp"
#include "physics/FluxOperator.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Json.hpp"

namespace {

double cpuSeconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

double maxOverRanks(double x) {
  double m = 0;
  MPI_Allreduce(&x, &m, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return m;
}

int run(int argc, char** argv) {
  using namespace ssb;
  if (argc < 2) throwInput("usage: ssb_bench_fluxop CASE.yaml [repeats]");
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 3;
  YAML::Node root = YAML::LoadFile(argv[1]);
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  Volume vol = loadVolume(PETSC_COMM_WORLD, Params(root["volume"], volumeSchema(), "volume"));
  std::vector<Params> phaseParams;
  for (size_t i = 0; i < root["phases"].size(); ++i)
    phaseParams.emplace_back(root["phases"][i], phaseSchema(), "phases[" + std::to_string(i) + "]");
  PhaseMap phases = PhaseMap::fromParams(phaseParams);
  const int conducting = phases.index(root["conducting"].as<std::string>(), "conducting");
  const StructuredGrid& grid = *vol.grid;
  std::vector<double> k(vol.labels.size(), 0.0);
  std::vector<uint8_t> mask(vol.labels.size(), 0);
  for (size_t l = 0; l < k.size(); ++l)
    if (phases.phaseOf(vol.labels[l]) == conducting) k[l] = 1.0, mask[l] = 1;
  const std::vector<uint8_t> perc = labelClusters(grid, mask).percolatingMask(kX);

  for (int r = 0; r < repeats; ++r) {
    MPI_Barrier(PETSC_COMM_WORLD);
    double t0 = cpuSeconds();
    FluxOperator op(grid, k, perc, FluxBoundary::drive(kX, 1.0, 0.0, false, DirichletPlacement::Face));
    const double tCtor = maxOverRanks(cpuSeconds() - t0);
    t0 = cpuSeconds();
    VecHandle b = op.createVector();
    MatHandle A = op.createMatrix(b);
    const double tMat = maxOverRanks(cpuSeconds() - t0);
    VecHandle x = op.createVector();
    SSB_PETSC(VecSetRandom(x, nullptr));  // same sequence on any version: a value to sum, not a solution
    t0 = cpuSeconds();
    const double in = op.boundaryCurrent(x, faceIndex(kX, false));
    const double out = op.boundaryCurrent(x, faceIndex(kX, true));
    const double tCurrents = maxOverRanks(cpuSeconds() - t0);
    t0 = cpuSeconds();
    const double power = op.dissipation(x);
    const double tPower = maxOverRanks(cpuSeconds() - t0);
    t0 = cpuSeconds();
    const std::vector<double> j = op.currentDensityMagnitude(x);
    const double tDensity = maxOverRanks(cpuSeconds() - t0);
    struct rusage ru {};
    getrusage(RUSAGE_SELF, &ru);
    double rss = static_cast<double>(ru.ru_maxrss) * 1024.0, rssSum = 0;
    MPI_Reduce(&rss, &rssSum, 1, MPI_DOUBLE, MPI_SUM, 0, PETSC_COMM_WORLD);
    if (rank == 0) {
      Json o;
      o["unknowns"] = op.unknowns();
      o["construct_cpu_s"] = tCtor;
      o["create_matrix_cpu_s"] = tMat;
      o["currents_cpu_s"] = tCurrents;
      o["dissipation_cpu_s"] = tPower;
      o["current_density_cpu_s"] = tDensity;
      o["check"] = {in, out, power, j.empty() ? 0.0 : j[0]};
      o["peak_rss_bytes_per_voxel"] = rssSum / static_cast<double>(grid.geometry().voxels());
      std::cout << o.dump() << std::endl;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) return 2;
  int rc = 0;
  try {
    rc = run(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    rc = 1;
  }
  PetscFinalize();
  return rc;
}
