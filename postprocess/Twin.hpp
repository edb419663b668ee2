#pragma once
// `volume.generate.kind: twin`: the composite generator (mesh/Generator) with its free parameters tuned until
// the generated volume meets morphology targets measured by the morphology study itself (postprocess/
// Morphology): volume fractions (set directly, the generator meets them by voxel counts), the active
// particles' D50 (tunes `radius`), the electrolyte's mean local thickness or D50 (tunes `pore_radius`), the
// active phase's coverage by the electrolyte (tunes `pore_contact`), and the share of the active phase
// connected to the current collector (checked only). Deterministic for a seed, independent of the rank count
// (every decision uses globally reduced metrics).
#include <mpi.h>

#include "mesh/PhaseMap.hpp"
#include "mesh/Volume.hpp"
#include "solver/core/Json.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

// Not collective. Every check of a `volume` section with `generate.kind: twin` that needs the phases and
// the grid but no voxel (phase names, fractions, targets a voxel grid this size cannot meet). InputError
// naming the YAML key. `geometry` is the planned grid (VolumePlan::geometry).
void checkTwinInputs(const Params& volume, const PhaseMap& phases, const VoxelGrid& geometry);

struct TwinResult {
  Volume volume;  // the first generated volume that met every target
  Json report;    // targets, achieved values, tuned parameters, passes, evaluations, units
};

// Collective. Tunes and returns the volume. RunError naming every target, its tolerance and the best value
// achieved when the budget (max_passes, max_evaluations) runs out or a target is out of the generator's
// reach.
TwinResult generateTwin(MPI_Comm comm, const Params& volume, const PhaseMap& phases,
                        const VoxelGrid& geometry);

// The console lines of a twin report (targets vs achieved, tuned parameters).
std::string twinSummary(const Json& report);

}  // namespace ssb
