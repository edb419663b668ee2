#include "solver/core/PetscSession.hpp"

#include <petscsys.h>

#include <cstring>

#include "solver/core/PetscUtil.hpp"

namespace ssb {

[[noreturn]] void throwPetscError(PetscErrorCode code, const char* file, int line, const char* expr) {
  const char* text = nullptr;
  PetscErrorMessage(code, &text, nullptr);
  throw RunError(fmt::format("PETSc error {} ({}) in {} at {}:{}", static_cast<int>(code), text ? text : "?",
                             expr, file, line));
}

void insertPetscOptions(const std::string& prefix,
                        const std::vector<std::pair<std::string, std::string>>& opts) {
  for (const auto& [key, value] : opts) {
    std::string name = "-" + prefix + key;
    PetscBool set = PETSC_FALSE;
    SSB_PETSC(PetscOptionsHasName(nullptr, nullptr, name.c_str(), &set));
    if (!set) SSB_PETSC(PetscOptionsSetValue(nullptr, name.c_str(), value.empty() ? nullptr : value.c_str()));
  }
}

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
}

PetscSession::~PetscSession() { (void)PetscFinalize(); }

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
