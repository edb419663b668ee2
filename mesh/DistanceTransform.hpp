#pragma once
// Exact Euclidean distance transform, distributed. Separable (Felzenszwalb & Huttenlocher's lower envelope
// of parabolas, one pass per axis): the x and y passes run on z-slabs (every rank holds whole x-y planes),
// the z pass on y-slabs; two transposes (BoxExchange) move the data between the owned blocks and the slabs.
// Work and memory per rank are O(N / ranks); the result does not depend on the rank count (every voxel's
// value is computed by the same sequence of floating-point operations whatever the split).
//
// Lives in mesh/ (not postprocess/) because the watershed split into particles (mesh/Watershed), which
// physics needs for particle identities, is built on it.
#include <array>
#include <cstdint>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

// Global (i, j, k) of a voxel; with a closed border it may be -1 or n along an axis (the layer just outside).
using VoxelCoord = std::array<int32_t, 3>;

// Collective. Squared distance [m^2] from the centre of each owned voxel with mask != 0 to the centre of the
// nearest voxel with mask == 0 (0 for mask == 0 voxels). Anisotropic spacing is honoured. `closedBorder`:
// the layer of voxels just outside the domain counts as background (otherwise the domain faces do not
// limit distances). Voxels that see no background at all get +infinity.
// `nearest` (optional): per owned voxel the background voxel that realises the distance (the voxel itself
// for mask == 0; {-1, -1, -1} where the distance is infinite). Among equally near background voxels the
// lower envelope's choice is taken: deterministic and rank-count independent, but not the smallest index.
std::vector<double> squaredDistanceTransform(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                             bool closedBorder, std::vector<VoxelCoord>* nearest = nullptr);

// One line: out[x] = min over sites q of f[q] + w (x - q)^2 (f = +inf marks "no site"); with `closedBorder`
// extra zero-valued sites sit at -1 and n. `site` (optional): the minimising q per x (-2 where out is inf).
// Exposed for unit tests. Scratch vectors are resized as needed.
void distanceTransform1d(const double* f, int64_t n, double w, bool closedBorder, double* out,
                         std::vector<int64_t>& v, std::vector<double>& fv, std::vector<double>& z,
                         int64_t* site = nullptr);

}  // namespace ssb
