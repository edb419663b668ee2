#pragma once
// A segmented volume distributed over the ranks: the grid plus each rank's owned labels.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mesh/StructuredGrid.hpp"

namespace ssb {

// Particle identity known from a generator (kinds composite and twin: the active spheres). Read volumes have
// none: studies split a phase into particles by a watershed instead (mesh/Watershed.hpp).
struct GeneratedParticles {
  uint16_t label = 0;  // the label whose voxels carry ids
  int64_t count = 0;   // particles with at least one voxel (ids need not be contiguous)
  std::vector<int64_t>
      id;  // owned voxels (grid->localIndex order): particle id >= 0 on `label`, -1 elsewhere
};

struct Volume {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint16_t> labels;                 // owned voxels of this rank, x fastest (grid->localIndex)
  std::string source;                           // file name or "generated:<kind>" for messages and provenance
  std::optional<GeneratedParticles> particles;  // from the generator, where it knows them

  // Collective: global voxel count per label value (index = label, size 65536 trimmed to max label + 1).
  std::vector<int64_t> labelHistogram() const;
};

using LabelFunction = std::function<uint16_t(int64_t i, int64_t j, int64_t k)>;

// Collective. A volume whose label at voxel (i, j, k) (global x, y, z indices) is f(i, j, k): analytic
// shapes for verification tests and simple generators.
Volume volumeFromFunction(MPI_Comm comm, const VoxelGrid& geometry, const LabelFunction& f);

}  // namespace ssb
