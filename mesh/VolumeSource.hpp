#pragma once
// The YAML `volume:` section -> a distributed Volume: read a file (rank 0 reads the header and broadcasts
// it; every rank then reads only its own box), or run a generator. Optional crop. Collective.
#include "mesh/Volume.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& volumeSchema();

// What the `volume:` section describes, known before any voxel is read or allocated: the grid the volume
// will have (after crop, with its voxel size), so that sizes and study inputs are checked first.
struct VolumePlan {
  VoxelGrid geometry;
  std::string sizeKey;  // the YAML key that sets the size (volume.generate.shape, volume.file, volume.crop)
  std::string source;   // file name or "generated:<kind>"
  bool generated = false;
  Box3 crop;  // files: the part of the file that is read
};
// Collective: rank 0 reads the file's header and broadcasts it. Input errors (missing file, bad crop,
// generator keys) are thrown here.
VolumePlan planVolume(MPI_Comm comm, const Params& volume);

// Collective. Read or generate the volume as planned.
Volume loadVolume(MPI_Comm comm, const Params& volume, const VolumePlan& plan);
Volume loadVolume(MPI_Comm comm, const Params& volume);  // planVolume + loadVolume

// Collective. The whole volume's labels on rank 0 in natural (x fastest) order, empty elsewhere. One copy
// of the volume on rank 0: for tests and small volumes (output.save_volume writes in parallel instead).
std::vector<uint16_t> gatherLabels(const Volume& v);

}  // namespace ssb
