#pragma once
// Pore size distribution: every 6-connected cluster of a phase (labelled by mesh/Connectivity) with its
// volume, equivalent diameter (the ball of equal volume, (6 V / pi)^(1/3)) and Feret diameter (largest
// distance between two of its voxel centres, as the thesis's 3D Suite reports it; a single voxel has 0).
// The Feret diameter is the largest caliper over 49 lattice directions (all primitive
// vectors with components in -2..2): exact for extents along those directions, at most ~2.5 % short
// otherwise (the largest angle between any direction and the nearest of the 49 is ~13 deg).
#include <cstdint>
#include <vector>

#include "mesh/Connectivity.hpp"
#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct Pore {
  int64_t id = 0;  // cluster id: smallest natural voxel index
  int64_t voxels = 0;
  double volume = 0;              // [m^3]
  double equivalentDiameter = 0;  // [m]
  double feret = 0;               // [m]
  uint8_t faces = 0;              // domain faces touched (FaceBit); a pore cut by the domain is truncated
};

// Collective. `mask` and `clusters` as given to / returned by labelClusters. Every pore, sorted by id, on
// rank `root` (empty elsewhere): the table lists each pore, so one rank holds it; while computing, every
// rank holds only the pores touching its own box (a segmentation with 1e7 specks stays distributed).
std::vector<Pore> poreSizes(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                            const ConnectivityResult& clusters, int root = 0);

}  // namespace ssb
