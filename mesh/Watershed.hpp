#pragma once
// Particle identities: the watershed split of a phase into particles (the EDT-based watershed used for
// powders and sintered electrodes: PoreSpy's SNOW, MorphoLibJ's distance-transform watershed). In mesh/
// because physics needs particle identities (e.g. a contact conductance between particles) and must not
// depend on postprocess.
//
// Method. D = squared Euclidean distance to the nearest voxel outside the mask (mesh/DistanceTransform, open
// border: the domain faces do not cut a particle's distance map). Every mask voxel points to its 26-neighbour
// in the mask with the largest key (D, natural index) if that key exceeds its own (steepest ascent; the index
// breaks ties on plateaus); a voxel without such a neighbour is a peak, and the basin of a peak is the set of
// voxels whose ascent ends there. Digitisation makes spurious peaks (a digitised ball can have several, a
// plateau's ascent can end on two voxels), so basins are then merged, highest pass first: for two
// 26-adjacent basins the pass value s is the largest min(D(u), D(v)) over adjacent voxel pairs u, v across
// them; the regions are merged when the lower peak (radius r = sqrt(D_peak)) is less than
// max(min_depth, min_relative_depth * r) deeper than the pass, sqrt(D_peak) - sqrt(s). Two balls of radius R
// overlapping with centres d apart have a neck of radius sqrt(R^2 - d^2/4): with the default relative depth
// 0.2 they stay two particles while d > 1.2 R.
//
// Distributed and rank-count independent: the ascent pointers need a one-voxel halo; the peak of every voxel
// is found by pointer chasing with halo rounds until nothing changes; the basin graph (a few numbers per pair
// of touching basins) is gathered on every rank and merged there in one deterministic order. Particle ids are
// dense, 0 .. count - 1, in the order of the natural index of each particle's highest peak.
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct WatershedOptions {
  double minDepth = 1.0;          // [voxels of the smallest edge]: shallower peaks are merged
  double minRelativeDepth = 0.2;  // [1]: shallower than this share of the lower peak's radius: merged
};

struct ParticleInfo {
  int64_t peak = 0;    // natural index of the voxel of the particle's highest distance value
  double radius = 0;   // that distance [m] (the radius of the largest ball about a voxel centre inside it)
  int64_t voxels = 0;  // global voxel count
  int64_t basins = 0;  // ascent basins merged into it
};

struct ParticleLabels {
  std::vector<int64_t> id;              // per owned voxel (grid.localIndex): particle id, -1 outside the mask
  std::vector<ParticleInfo> particles;  // indexed by id; identical on every rank
  int rounds = 0;                       // halo rounds of the pointer chasing (a cost, not a result)
};

// Collective. `mask`: owned voxels (grid.localIndex order), non-zero = in the phase to split.
ParticleLabels particleIds(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                           const WatershedOptions& options = {});

}  // namespace ssb
