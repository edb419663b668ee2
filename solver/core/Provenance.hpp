#pragma once
#include <mpi.h>

#include <string>

#include "solver/core/Json.hpp"

namespace ssb {

// version, git revision, input hash (SHA-256 of the case file bytes after --set overrides), ranks,
// PETSc version, host, start time. `mpi_ranks` is the size of `comm`, the communicator the case runs on.
// Wall time is added by the caller at the end of the run. Not collective.
Json provenance(MPI_Comm comm, const std::string& inputText);

std::string sha256Hex(const std::string& data);

}  // namespace ssb
