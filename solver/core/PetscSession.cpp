#include "solver/core/PetscSession.hpp"

#include <petscsys.h>

#include <cstring>

#include "solver/core/Log.hpp"
#include "solver/core/PetscBridge.hpp"
#include "solver/core/PetscUtil.hpp"
#include "solver/core/SolverOptions.hpp"

namespace ssb {

PetscSession::PetscSession(const std::vector<std::string>& petscArgs) {
  static std::vector<std::string> storage;
  static std::vector<char*> argvStore;
  storage.clear();
  storage.push_back("ssbvox");
  for (const auto& a : petscArgs) storage.push_back(a);
  argvStore.clear();
  for (auto& s : storage) argvStore.push_back(s.data());
  argvStore.push_back(nullptr);
  int argc = static_cast<int>(storage.size());
  char** argv = argvStore.data();
  // PETSc prints its own message if initialisation fails; there is nothing to clean up then.
  if (PetscInitialize(&argc, &argv, nullptr, nullptr) != 0) throw RunError("PetscInitialize failed");
  installPetscErrorHandler(Log::verbosity() >= 2);
}

PetscSession::~PetscSession() {
  try {
    reportUnusedPetscOptions();  // as -options_left does, but naming the YAML key or the command line
  } catch (...) {                // a report must never turn a finished run into a crash
  }
  (void)PetscFinalize();
}

int PetscSession::rank(MPI_Comm comm) {
  int r = 0;
  MPI_Comm_rank(comm, &r);
  return r;
}

int PetscSession::size(MPI_Comm comm) {
  int s = 1;
  MPI_Comm_size(comm, &s);
  return s;
}

}  // namespace ssb
