#pragma once
// Local thickness (Hildebrand & Ruegsegger 1997): the thickness at a voxel of a phase is the diameter of
// the largest ball that fits in the phase and contains the voxel.
//
// Balls. (1) Lattice balls: every phase voxel c is the centre of the ball of voxels y with |y - c|^2 < D(c),
// D = squared Euclidean distance from c to the nearest non-phase voxel centre (the largest ball of voxel
// centres inside the phase). (2) Refined balls (sub-voxel): a lattice ball's centre may sit up to
// sqrt(3)/2 voxel from the true centre of a particle (a ball centred on a voxel corner loses two voxels of
// diameter), so at every local maximum of D (D(c) >= D of all 26 neighbours: the centres of blobs, the axes
// of tubes, the mid-planes of plates) the centre is moved within the voxel, x in c + [-1/2, 1/2]^3, to the
// point farthest from Q = the nearest background voxels of c and its 26 neighbours (a coarse-to-fine search
// on a 1/4 then 1/16 voxel grid, ties to the point nearest c): D(x) = min over Q of |x - q|^2. The centre
// moves only across a ridge of D (along a plateau - a tube's axis, a plate's plane - the distance to the
// surface does not change, while the distance to the discrete background centres would grow). A voxel's
// value is max D over the balls containing it, reported as the diameter 2 sqrt(D) - h/2 (h = smallest voxel
// edge): the surface lies between 0 (a curved or tilted surface passing just inside a background centre)
// and h/2 (a face normal to an axis) inside the nearest background voxel centre, so subtracting the middle
// of that range, h/4 per side, leaves at most h/2 per side. Measured: balls of radius 5-12.5 at voxel-centre,
// face-centre, edge and corner placement -0.48 .. -0.16 voxel from 2R, balls and cylinders of any placement
// -0.55 .. +0.05, slabs t + 1/2 (docs/morphology.md). Without refinement the lattice balls alone lose up to
// 2.7 voxels on those shapes.
//
// Algorithm (distributed): distance transform with nearest-background features (mesh/DistanceTransform),
// lattice balls inside a neighbour's lattice ball of at least the same radius are dropped (discrete
// containment tables for isotropic voxels, the continuous triangle test otherwise - both exact, they only
// drop redundant balls), refined balls are added at the local maxima, every ball goes to every rank whose
// block it reaches, and each rank paints the maxima on its own voxels. Cost ~ sum over the kept balls of
// their volume.
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct LocalThicknessStats {
  int64_t centres = 0;      // phase voxels (global)
  int64_t keptCentres = 0;  // lattice balls painted after the containment pruning (global)
  int64_t refined = 0;      // refined (sub-voxel) balls added at local maxima of D (global)
  bool unbounded = false;   // the phase has no background anywhere (fills an open-bordered domain)
};

// Collective. Thickness [m] per owned voxel (0 outside the phase). See the file comment.
// `refine = false` paints the lattice balls only (for tests of that definition).
std::vector<double> localThickness(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                   bool closedBorder, LocalThicknessStats* stats = nullptr,
                                   bool refine = true);

// Largest |y - e|^2 over integer points y with |y|^2 < r2, for the neighbour offset class of e:
// cls 1 = (1,0,0), 2 = (1,1,0), 3 = (1,1,1). Exposed for unit tests.
int64_t ballReachSquared(int64_t r2, int cls);

}  // namespace ssb
