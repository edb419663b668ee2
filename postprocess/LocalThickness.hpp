#pragma once
// Local thickness (Hildebrand & Ruegsegger 1997): the thickness at a voxel of a phase is the diameter of
// the largest ball that fits in the phase and contains the voxel.
//
// Discrete definition used here: every phase voxel c is the centre of the ball of voxels y with
// |y - c|^2 < D(c), D = squared Euclidean distance from c to the nearest non-phase voxel centre (the
// largest ball of voxel centres inside the phase). A voxel's value is max D over the balls containing it,
// reported as the diameter 2 sqrt(D) - h (h = smallest voxel edge): the distance between background voxel
// centres across the ball, less half a voxel on each side, i.e. face to face. This gives exactly t on a
// slab t voxels thick when t is odd and t - 1 when t is even, and 2R within one voxel on digitised balls and
// cylinders of radius R.
//
// Algorithm (distributed, exact): distance transform (DistanceTransform), then the balls that are inside a
// neighbour's ball of at least the same radius are dropped (discrete containment tables for isotropic
// voxels, the continuous triangle test otherwise - both exact, they only drop redundant balls), the
// remaining centres go to every rank whose block their ball reaches, and each rank paints the maxima on its
// own voxels. Cost ~ sum over the kept balls of their volume.
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct LocalThicknessStats {
  int64_t centres = 0;      // phase voxels (global)
  int64_t keptCentres = 0;  // balls painted after the containment pruning (global)
  bool unbounded = false;   // the phase has no background anywhere (fills an open-bordered domain)
};

// Collective. Thickness [m] per owned voxel (0 outside the phase). See the file comment.
std::vector<double> localThickness(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                   bool closedBorder, LocalThicknessStats* stats = nullptr);

// Largest |y - e|^2 over integer points y with |y|^2 < r2, for the neighbour offset class of e:
// cls 1 = (1,0,0), 2 = (1,1,0), 3 = (1,1,1). Exposed for unit tests.
int64_t ballReachSquared(int64_t r2, int cls);

}  // namespace ssb
