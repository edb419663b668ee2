#pragma once
#include <mpi.h>

#include "mesh/VolumeReader.hpp"

namespace ssb {
// `ssbvox info VOLUME`: shape, dtype, voxel size, each label's voxel count and volume fraction.
// Collective on `comm`: runs on its rank 0 (the others wait). Reads the volume in slabs of z so memory stays
// bounded.
int infoCommand(MPI_Comm comm, const VolumeFileSpec& spec, bool json);
}  // namespace ssb
