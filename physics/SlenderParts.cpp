// Slender parts of a voxel set; definition in SlenderParts.hpp.
#include "physics/SlenderParts.hpp"

#include <mpi.h>

#include <algorithm>

#include "mesh/Connectivity.hpp"
#include "physics/GhostBox.hpp"

namespace ssb {

namespace {
// Calls f(offset of the face neighbour in the ghost box, inside) for the six face neighbours of owned voxel
// c; `inside` is false across a bounded domain face (the ghost there holds the periodic DMDA's wrapped copy).
template <typename F>
void forEachNeighbour(const GhostBox& box, const std::array<int64_t, 3>& n,
                      const std::array<bool, 3>& periodic, const Index3& c, F&& f) {
  for (int a = 0; a < 3; ++a)
    for (int s = -1; s <= 1; s += 2) {
      Index3 d = c;
      d[static_cast<size_t>(a)] += s;
      const int64_t x = d[static_cast<size_t>(a)];
      const bool inside = periodic[static_cast<size_t>(a)] || (x >= 0 && x < n[static_cast<size_t>(a)]);
      // An axis of extent 1 has no ghosts: its only neighbour is the voxel itself (periodic) or outside.
      if (n[static_cast<size_t>(a)] == 1) {
        f(box.offset(c), false);
        continue;
      }
      f(box.offset(d), inside);
    }
}
}  // namespace

SlenderParts findSlenderParts(const StructuredGrid& grid, const std::vector<uint8_t>& set,
                              std::array<bool, 3> periodic, int64_t maxVoxels) {
  const MPI_Comm comm = grid.comm();
  const auto& n = grid.geometry().n;
  const GhostBox box = ghostBoxOf(grid);
  const size_t nOwned = set.size();

  // Erode: the voxels whose six face neighbours are in the set (outside a bounded face counts as in it).
  std::vector<double> in(nOwned);
  for (size_t l = 0; l < nOwned; ++l) in[l] = set[l] ? 1.0 : 0.0;
  const std::vector<double> inG = exchangeGhosts(grid, in);
  std::vector<uint8_t> eroded(nOwned, 0);
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    if (!set[static_cast<size_t>(l)]) return;
    bool all = true;
    forEachNeighbour(box, n, periodic, {i, j, k}, [&](size_t o, bool inside) {
      if (inside && inG[o] == 0.0) all = false;
    });
    eroded[static_cast<size_t>(l)] = all ? 1 : 0;
  });

  // The main body: the largest eroded cluster (the smallest id among equals), dilated back within the set.
  const ConnectivityResult core = labelClusters(grid, eroded, periodic);
  int64_t best = 0;
  for (const auto& c : core.clusters) best = std::max(best, c.voxels);
  MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_INT64_T, MPI_MAX, comm);
  int64_t mainId = INT64_MAX;
  for (const auto& c : core.clusters)
    if (c.voxels == best) mainId = std::min(mainId, c.id);
  MPI_Allreduce(MPI_IN_PLACE, &mainId, 1, MPI_INT64_T, MPI_MIN, comm);
  std::vector<double> mainBody(nOwned, 0.0);
  for (size_t l = 0; l < nOwned; ++l) mainBody[l] = core.clusterOf[l] == mainId ? 1.0 : 0.0;
  const std::vector<double> mainG = exchangeGhosts(grid, mainBody);
  std::vector<uint8_t> slender(nOwned, 0);
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const size_t ul = static_cast<size_t>(l);
    if (!set[ul] || mainBody[ul] != 0.0) return;
    bool touches = false;
    forEachNeighbour(box, n, periodic, {i, j, k}, [&](size_t o, bool inside) {
      if (inside && mainG[o] != 0.0) touches = true;
    });
    slender[ul] = touches ? 0 : 1;
  });

  // The parts: slender clusters up to maxVoxels.
  const ConnectivityResult parts = labelClusters(grid, slender, periodic);
  SlenderParts r;
  r.mask.assign(nOwned, 0);
  for (size_t l = 0; l < nOwned; ++l)
    if (slender[l] && parts.cluster(parts.clusterOf[l]).voxels <= maxVoxels) r.mask[l] = 1;
  int64_t stats[3] = {0, 0, 0};  // parts, voxels, skipped (owned clusters)
  parts.forEachOwned([&](const Cluster& c) {
    if (c.voxels <= maxVoxels) {
      ++stats[0];
      stats[1] += c.voxels;
      r.largest = std::max(r.largest, c.voxels);
    } else {
      ++stats[2];
    }
  });
  MPI_Allreduce(MPI_IN_PLACE, stats, 3, MPI_INT64_T, MPI_SUM, comm);
  MPI_Allreduce(MPI_IN_PLACE, &r.largest, 1, MPI_INT64_T, MPI_MAX, comm);
  r.parts = stats[0];
  r.voxels = stats[1];
  r.skipped = stats[2];
  return r;
}

}  // namespace ssb
