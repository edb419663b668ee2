#pragma once
#include "mesh/VolumeReader.hpp"

namespace ssb {
// `ssbvox info VOLUME`: shape, dtype, voxel size, each label's voxel count and volume fraction.
// Runs on rank 0 (other ranks wait). Reads the volume in slabs of z so memory stays bounded.
int infoCommand(const VolumeFileSpec& spec, bool json);
}  // namespace ssb
