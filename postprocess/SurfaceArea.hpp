#pragma once
// Interface areas by intercept counting (Cauchy-Crofton stereology). For a line direction u, P_L(u), the
// number of interface crossings per unit length of test line, relates to the area per volume S_V by
// S_V = 2 <P_L>, the mean over all directions (Crofton). On the voxel lattice a test line of direction d
// (an integer vector) is sampled by the voxel pairs (p, p + d); a pair whose two voxels belong to phases
// a != b is one crossing of the a|b interface. Each pair stands for |d| of line per voxel, so with N voxels
//     A_ab = V * S_V = 2 * sum_d w_d * crossings_ab(d) * voxelVolume / |d|,
// w_d = the share of the unit sphere closest to +-d (spherical Voronoi weights, so the directional mean
// is a quadrature over the sphere). Unlike counting voxel faces, this does not see the staircase: a plane
// of any orientation is exact up to the quadrature error of the direction set (13 directions: the
// neighbours in a 3x3x3 cube, <= 7.3 % for planes near an axis; 49 directions, all primitive vectors with
// components in -2..2: <= 2.1 %), and digitised spheres of radius >= 8 voxels come out within 1 %.
// At the domain faces the volume is mirrored, so no pair is lost and the faces themselves count as no
// interface; a structure thinner than a direction's step can be jumped over by that direction (the
// 49-direction set needs features >= 2 voxels thick, the 13-direction set >= 1 voxel).
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct CroftonDirection {
  std::array<int, 3> d;  // primitive integer vector, first non-zero component positive
  double weight = 0.0;   // Voronoi share of the sphere (the weights sum to 1)
  double length = 0.0;   // |d| [m] with the grid spacing
};

// The direction set (13 or 49) with weights for the given spacing (anisotropic voxels tilt the physical
// directions; the weights follow). Deterministic quadrature; not collective.
std::vector<CroftonDirection> croftonDirections(int count, const std::array<double, 3>& spacing);

// Collective. `phase` = owned voxels' phase index in [0, nPhases). Returns the symmetric matrix of interface
// areas [m^2], A[a * nPhases + b] = A[b * nPhases + a] (diagonal 0).
std::vector<double> interfaceAreas(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                                   int directions);

}  // namespace ssb
