#pragma once
// Linear solves. Physics states the kind of system and its option prefix; the Krylov method and the
// preconditioner are chosen here (and can be changed from YAML `petsc_options:` or the command line,
// which wins). A solve that does not converge throws RunError naming who asked.
#include <petscksp.h>
#include <yaml-cpp/yaml.h>

#include <string>
#include <utility>
#include <vector>

namespace ssb {

using PetscOptionList = std::vector<std::pair<std::string, std::string>>;

// Options from a YAML `petsc_options:` mapping: keys without the leading dash and the prefix, values
// scalar (or empty for a flag). `path` names the mapping in errors.
PetscOptionList parsePetscOptions(const YAML::Node& node, const std::string& path);

// Options inserted into PETSc's global database for the lifetime of this object and removed afterwards,
// so that one study's `petsc_options` do not leak into the next. Options already set (command line) are
// left alone.
class ScopedPetscOptions {
 public:
  ScopedPetscOptions() = default;
  ScopedPetscOptions(const ScopedPetscOptions&) = delete;
  ScopedPetscOptions& operator=(const ScopedPetscOptions&) = delete;
  ~ScopedPetscOptions();
  void insert(const std::string& prefix, const PetscOptionList& opts);

 private:
  std::vector<std::string> m_inserted;
};

enum class SystemKind {
  SymmetricPositiveDefinite,  // diffusion / conduction on voxels: CG + hypre BoomerAMG
  Elasticity,  // vector SPD (3 dof per node) with the rigid-body near-null space set on the matrix: CG + GAMG
};

// Default options of a kind (prefix-less), inserted after the user's so that the user's win.
const PetscOptionList& defaultSolverOptions(SystemKind kind);

struct LinearSolveResult {
  int iterations = 0;
  double relativeResidual = 0.0;  // true residual |b - A x| / |b|
  double setupSeconds = 0.0;      // preconditioner set-up
  double solveSeconds = 0.0;
};

// Collective. Solve A x = b (x is the initial guess) to relative tolerance `rtol` on the true residual,
// with the KSP options under `prefix`. Throws RunError naming `who` if the solver reports divergence.
LinearSolveResult solveLinear(Mat A, Vec b, Vec x, SystemKind kind, const std::string& prefix, double rtol,
                              const std::string& who);

}  // namespace ssb
