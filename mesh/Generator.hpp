#pragma once
// Seeded synthetic microstructures, identical voxel for voxel whatever the rank count: every rank draws
// the same shape list from the same integer RNG (SplitMix64) and rasterises only its own box; volume
// fraction targets are met with global (MPI_Allreduce) voxel counts, which do not depend on the split.
#include "mesh/Volume.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& generatorSchema();
// Not collective. Every input check of the `volume.generate` section that needs no voxel (list lengths,
// distinct labels, required keys of shapes): called before anything is allocated.
void checkGeneratorParams(const Params& gen);
// Collective. `gen` is the `volume.generate` section; `spacing` [m] from volume.voxel_size.
Volume generateVolume(MPI_Comm comm, const Params& gen, double spacing);

}  // namespace ssb
