#pragma once
// Statistics along the grid axes, the descriptors digital twins of imaged microstructures are matched on:
//
// Chord-length distribution: along every grid line parallel to an axis, each maximal run of voxels of one
// phase is a chord of length (run length) x h_axis. Chords that touch a domain face are cut by the domain
// (their true length is unknown): they are counted separately and left out of the distribution.
//
// Two-point correlation: S2_p(r e_a) = probability that a voxel and the voxel r further along axis a both
// belong to phase p, over all voxel pairs inside the domain (no periodic wrap). S2(0) is the volume fraction,
// S2 -> phi^2 for a structure without long-range order, and for an isotropic structure the first step
// S2(0) - S2(1) = (interface crossings per unit line length) / 2 x h = S_V h / 4.
//
// Distributed: the phases are transposed once to z-slabs (whole lines along x and y) and once to y-slabs
// (whole lines along z); counts are integers reduced over the ranks, so every number is independent of the
// rank count. S2 runs on bit-packed lines: O(N max_lag / 64) word operations per phase.
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct ChordCounts {
  std::vector<int64_t> count;  // count[L]: chords of L voxels (index 0 unused), not touching the domain faces
  int64_t cut = 0;             // chords touching a domain face (left out of `count`)
  int64_t cutVoxels = 0;       // their voxels
};

// Number frequency of interior chords of each length, corrected for the domain (Miles-Lantuejoul): on a line
// of n voxels a chord of L voxels can lie clear of both ends at only n - L - 1 of the positions, so long
// chords are under-represented among the interior ones by that factor; f[L] ~ count[L] / (n - L - 1),
// normalised to sum 1 (all 0 when there is no interior chord). Without it the tail of an exponential law
// decays faster by ~1/(n - L) per voxel (+13 % on the rate for 72-voxel lines with 7-voxel chords).
std::vector<double> chordFrequencies(const ChordCounts& c, int64_t lineVoxels);

// Collective. result[p][axis] for p in [0, nPhases); identical on every rank.
std::vector<std::array<ChordCounts, 3>> chordLengths(const StructuredGrid& grid,
                                                     const std::vector<uint8_t>& phase, int nPhases);

// Collective. result[p][axis][r] = S2 at lag r voxels, r = 0 .. min(maxLag, n_axis - 1); identical on every
// rank. Pair counts: pairs[axis][r] = number of voxel pairs at lag r (the same for every phase).
struct TwoPoint {
  std::vector<std::array<std::vector<int64_t>, 3>> both;  // [p][axis][r]: pairs with both voxels in p
  std::array<std::vector<int64_t>, 3> pairs;              // [axis][r]
  double s2(int p, int axis, size_t r) const {
    return static_cast<double>(both[p][axis][r]) / static_cast<double>(pairs[axis][r]);
  }
};
TwoPoint twoPointCorrelation(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                             int64_t maxLag);

}  // namespace ssb
