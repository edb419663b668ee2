#pragma once
// The `conductivity_tensor` study: the full effective conductivity tensor of the chosen phases from three
// periodic solves with a macroscopic potential gradient, its principal values and axes, and the
// tortuosity factor per principal direction. See physics/ConductivityTensor.cpp and docs/conductivity.md.
#include <array>
#include <string>
#include <vector>

#include "mesh/StudyContext.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& conductivityTensorSchema();
// Checks that need no voxel (phase names, at least one conducting phase, petsc_options syntax, at least 2
// voxels per axis). InputError naming the key.
void checkConductivityTensorInputs(const PhaseMap& phases, const std::array<int64_t, 3>& n,
                                   const Params& study);
// Collective. Returns the study's results for results.json.
Json runConductivityTensor(const StudyContext& ctx, const Params& study);

// The per-phase conductivity input shared by the studies of this file and physics/ElectrodeTortuosity:
// `conductivities` (per phase name, S/m) read, checked and scaled by the largest value, the owned
// coefficient field, and the reference sigma0 (`bulk_conductivity` or the volume-weighted mean of the
// conducting phases, as in the conductivity study).
struct ScaledConductivities {
  std::vector<double> sigma;        // owned voxels (grid.localIndex order): conductivity / sigmaRef
  std::vector<uint8_t> conducting;  // owned voxels: 1 where sigma > 0
  double sigmaRef = 1.0;            // largest listed conductivity [S/m]
  double sigma0 = 0.0;              // reference conductivity [S/m]
  double sigma0Scaled = 0.0;        // sigma0 / sigmaRef
  double eps = 0.0;                 // volume fraction of the conducting voxels
  double meanScaled = 0.0;          // mean of sigma / sigmaRef over the whole volume (Wiener upper bound)
  std::string sigma0Source;
};
// Collective. InputError naming the key for an unknown phase, no conducting phase, a non-finite value.
ScaledConductivities readScaledConductivities(const StudyContext& ctx, const Params& study);

}  // namespace ssb
