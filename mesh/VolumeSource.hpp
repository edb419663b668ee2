#pragma once
// The YAML `volume:` section -> a distributed Volume: read a file (rank 0 reads the header and broadcasts
// it; every rank then reads only its own box), or run a generator. Optional crop. Collective.
#include "mesh/Volume.hpp"
#include "solver/core/Params.hpp"

namespace ssb {

const Schema& volumeSchema();
Volume loadVolume(MPI_Comm comm, const Params& volume);

// Gather a distributed Volume's labels to rank 0 in natural (x fastest) order. Collective; result is
// empty on other ranks.
std::vector<uint16_t> gatherLabels(const Volume& v);

}  // namespace ssb
