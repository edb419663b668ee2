#pragma once
// `ssbvox run CASE.yaml`: one case, a sweep (`sweep:`) or a calibration (`calibrate:`), by what the file
// holds.
#include <mpi.h>

#include "solver/driver/Case.hpp"

namespace ssb {

// Collective on `comm`. Prints the summary (rank 0) and returns the exit status: 0 ok, 1 a study, case or
// calibration failed at run time, 2 an input error found while running. Throws InputError / RunError.
int runCommand(MPI_Comm comm, const CaseInput& input);

}  // namespace ssb
