#pragma once
// A segmented volume distributed over the ranks: the grid plus each rank's owned labels.
#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

struct Volume {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint16_t> labels;  // owned voxels of this rank, x fastest (grid->localIndex)
  std::string source;            // file name or "generated:<kind>" for messages and provenance

  // Collective: global voxel count per label value (index = label, size 65536 trimmed to max label + 1).
  std::vector<int64_t> labelHistogram() const;
};

using LabelFunction = std::function<uint16_t(int64_t i, int64_t j, int64_t k)>;

// Collective. A volume whose label at voxel (i, j, k) (global x, y, z indices) is f(i, j, k): analytic
// shapes for verification tests and simple generators.
Volume volumeFromFunction(MPI_Comm comm, const VoxelGrid& geometry, const LabelFunction& f);

}  // namespace ssb
