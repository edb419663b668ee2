#pragma once
// Slender parts of a load-carrying voxel set: dangling one- or two-voxel-thin strands and sheets, and small
// pieces that hang on the main body by such thin necks. Under a load they bend or turn almost freely (a
// near-mechanism: a tiny eigenvalue of the stiffness matrix, localised in a few dozen nodes), which a
// multigrid's trilinear coarse space cannot represent and its point smoother cannot remove; the elasticity
// solver resolves them with exact solves on their nodes inside the finest smoother (LinearSolve,
// MultigridHierarchy::fineBlocks).
//
// Definition: the main body is the largest 6-connected cluster of the set eroded by one voxel (a voxel
// stays when its six face neighbours are in the set; outside a bounded domain face counts as in the set, so
// the faces do not erode), dilated back by one voxel within the set. Every other voxel of the set is
// slender; its 6-connected clusters of at most `maxVoxels` voxels are the parts (larger ones are left to the
// multigrid: the LU of a compact part fills in almost densely, docs/mechanics.md, Solver).
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct SlenderParts {
  std::vector<uint8_t> mask;  // per owned voxel (grid.localIndex): 1 in a part
  int64_t parts = 0;          // number of parts (global)
  int64_t voxels = 0;         // voxels in parts (global)
  int64_t largest = 0;        // voxels of the largest part
  int64_t skipped = 0;        // slender clusters larger than maxVoxels (global)
};

// Collective. `set`: per owned voxel, non-zero = in the set. `periodic[a]`: the set wraps across the faces
// normal to axis a.
SlenderParts findSlenderParts(const StructuredGrid& grid, const std::vector<uint8_t>& set,
                              std::array<bool, 3> periodic, int64_t maxVoxels);

}  // namespace ssb
