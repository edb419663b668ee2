#pragma once
// Geodesic distance through a phase from one domain face, and the geometric tortuosity derived from it.
//
// Distances are shortest-path lengths on the voxel graph of the phase: 6-neighbour steps of one voxel
// edge (the thesis's choice, Roque & Costa's plugin; city-block metric, so a straight diagonal channel
// reads sqrt(2) too long), or 26-neighbour steps weighted by their Euclidean length (1, sqrt 2, sqrt 3
// voxel edges; at most ~8 % too long, for directions like (2,1,0)). Sources: the phase voxels of the inlet
// layer, at half a voxel from the inlet face. The length of a path to an outlet-layer voxel adds the last
// half voxel, so a straight channel has length = thickness exactly and tortuosity 1.
//
// Distributed: each rank runs Dijkstra on its own block with the halo values as fixed sources, exchanges
// the halo and repeats until no value changes anywhere. Shortest-path distances are the unique fixed point
// of d(v) = min_u d(u) + w(u, v), and every value is the same sum of the same step lengths in the same
// order (along its path from the source), so the result is bit-identical whatever the rank count. Rounds
// grow with the number of times shortest paths cross block boundaries (typically a few).
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct GeodesicResult {
  std::vector<double> distance;  // owned voxels [m]; -1 outside the phase or not reached from the inlet
  int64_t outletVoxels = 0;      // phase voxels in the outlet layer (global)
  int64_t reached = 0;           // of those, reached from the inlet
  double minLength = 0, meanLength = 0, maxLength = 0, stdLength = 0;  // path lengths to the outlet face [m]
  double thickness = 0;  // straight distance inlet face -> outlet face [m]
  double minTortuosity = 0, meanTortuosity = 0, maxTortuosity = 0, stdTortuosity = 0;  // lengths / thickness
  int rounds = 0;                                                                      // halo exchange rounds
};

// Collective. `axis` 0..2; `fromPlus`: the inlet is the + face; `neighbours` 6 or 26.
GeodesicResult geodesicDistance(const StructuredGrid& grid, const std::vector<uint8_t>& mask, int axis,
                                bool fromPlus, int neighbours);

}  // namespace ssb
