#pragma once
// Contact conductance G [S/m^2] on voxel faces between two distinct particles of one phase (grain
// boundaries) and between two conducting phases (interfaces): a resistance 1 / (G A) in series with the
// bulk conductance of the face,
//     g = 1 / (1 / g_bulk + 1 / (G A)),   g_bulk = A/h * harmonic(k1, k2)   (physics/FaceKernels.hpp),
// applied as the face weight w = g / g_bulk = 1 / (1 + harmonic(k1, k2) / (h G)) (dimensionless: k in S/m,
// h in m, G in S/m^2). Any consistent scaling works: the conductivity study passes k / sigma_ref and
// G / sigma_ref. Faces without a contact rule keep w = 1.
#include <cstdint>
#include <memory>
#include <vector>

#include "mesh/StructuredGrid.hpp"
#include "physics/FaceIterator.hpp"
#include "physics/FaceWeights.hpp"

namespace ssb {

struct ContactRules {
  // Per phase index: G of the faces between two distinct particles of that phase; 0 = no contact rule.
  std::vector<double> grainBoundary;
  // nPhases x nPhases, symmetric, row-major: G of the faces between phases p != q; 0 = no contact rule.
  std::vector<double> interface;
  size_t phases() const { return grainBoundary.size(); }
  double pair(size_t p, size_t q) const { return interface[p * phases() + q]; }
};

struct ContactFaceCounts {
  int64_t grainBoundary = 0;  // global count of faces weighted as grain boundaries
  int64_t interface = 0;      // ... as interfaces
};

// Collective. `phase`: owned phase index per voxel (grid.localIndex order), kNoPhase for voxels that carry
// nothing; `phaseK`: coefficient per phase index (same unit as the G of `rules` divided by metres);
// `particle`: owned particle id per voxel, -1 where the voxel has none (ids compared only within one phase,
// so several phases may reuse ids). The weights follow the faces of `bc` (periodic sides included); the
// domain faces keep w = 1. Throws RunError on every rank for inconsistent sizes.
std::shared_ptr<FaceWeights> contactWeights(const StructuredGrid& grid, const std::vector<uint8_t>& phase,
                                            const std::vector<double>& phaseK,
                                            const std::vector<int64_t>& particle, const ContactRules& rules,
                                            const FluxBoundary& bc, ContactFaceCounts* counts = nullptr);

}  // namespace ssb
