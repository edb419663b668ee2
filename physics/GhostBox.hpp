#pragma once
// The ghosted box of a rank: its owned voxels plus one layer of face neighbours, laid out as the
// StructuredGrid's DMDA local vectors are (x fastest). Every ghosted per-voxel array of physics/ (phases,
// coefficients, unknown numbers, face weights, solution values) uses this one layout, so a face iterator
// hands out one offset per voxel that indexes all of them.
//
// Ghost coordinates run from lo - 1 to lo + size along each axis that has ghosts; a neighbour across a
// periodic domain face is found at its unwrapped coordinate (-1 or n), where the DMDA has put a copy of the
// wrapped voxel (StructuredGrid's DMDA is periodic along every axis of extent >= 2). Only face neighbours
// are filled (star stencil); edge and corner entries of the box are never read.
#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

using Index3 = std::array<int64_t, 3>;

struct GhostBox {
  std::array<int64_t, 3> lo{}, size{};

  size_t offset(int64_t i, int64_t j, int64_t k) const {
    return static_cast<size_t>(((k - lo[2]) * size[1] + (j - lo[1])) * size[0] + (i - lo[0]));
  }
  size_t offset(const Index3& c) const { return offset(c[0], c[1], c[2]); }
  // Offset step between face neighbours along `axis`.
  int64_t stride(int axis) const { return axis == 0 ? 1 : axis == 1 ? size[0] : size[0] * size[1]; }
  size_t voxels() const { return static_cast<size_t>(size[0] * size[1] * size[2]); }
};

// The ghosted box of grid.dm() on this rank. Not collective.
GhostBox ghostBoxOf(const StructuredGrid& grid);

// Collective. Owned values (`dof` interlaced values per voxel, voxels in grid.localIndex order) -> the same
// on this rank's ghosted box, through a DMDA with `dof` values per voxel that has grid.dm()'s layout
// (grid.dm() itself for dof 1). Values at offset(c) * dof + d; the edge and corner entries of the box, which
// the star stencil does not exchange, hold `fill`.
std::vector<double> exchangeGhosts(const StructuredGrid& grid, DM dm, int dof,
                                   const std::vector<double>& owned, double fill = 0.0);
inline std::vector<double> exchangeGhosts(const StructuredGrid& grid, const std::vector<double>& owned,
                                          double fill = 0.0) {
  return exchangeGhosts(grid, grid.dm(), 1, owned, fill);
}

}  // namespace ssb
