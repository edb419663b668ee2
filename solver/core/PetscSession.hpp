#pragma once
// RAII PetscInitialize/PetscFinalize (and so MPI_Init/MPI_Finalize). Construct it after
// Log::setVerbosity: below verbosity 2 PETSc's own error dump is silenced (our message reports the error).
// At the end of the run it reports the PETSc options that nothing used (reportUnusedPetscOptions).
#include <mpi.h>

#include <string>
#include <vector>

namespace ssb {

class PetscSession {
 public:
  // `petscArgs` are the options after `--` on the ssbvox command line (without the program name).
  explicit PetscSession(const std::vector<std::string>& petscArgs);
  PetscSession(const PetscSession&) = delete;
  PetscSession& operator=(const PetscSession&) = delete;
  ~PetscSession();

  static int rank(MPI_Comm comm = MPI_COMM_WORLD);
  static int size(MPI_Comm comm = MPI_COMM_WORLD);
};

}  // namespace ssb
