#include "solver/core/LinearSolve.hpp"

#include <chrono>

#include "solver/core/PetscUtil.hpp"

namespace ssb {

PetscOptionList parsePetscOptions(const YAML::Node& node, const std::string& path) {
  PetscOptionList out;
  if (!node || node.IsNull()) return out;
  if (!node.IsMap())
    throwInput(
        "{}: expected a mapping of PETSc options without the prefix, e.g. {{ksp_type: gmres, pc_type: gamg}}",
        path);
  for (const auto& kv : node) {
    std::string key = kv.first.as<std::string>();
    while (!key.empty() && key.front() == '-') key.erase(key.begin());
    if (key.empty()) throwInput("{}: empty option name", path);
    if (!kv.second.IsNull() && !kv.second.IsScalar())
      throwInput("{}.{}: expected a single value (or nothing for a flag)", path, key);
    out.emplace_back(key, kv.second.IsNull() ? std::string() : kv.second.Scalar());
  }
  return out;
}

ScopedPetscOptions::~ScopedPetscOptions() {
  for (const auto& name : m_inserted) (void)PetscOptionsClearValue(nullptr, name.c_str());
}

void ScopedPetscOptions::insert(const std::string& prefix, const PetscOptionList& opts) {
  for (const auto& [key, value] : opts) {
    std::string name = "-" + prefix + key;
    PetscBool set = PETSC_FALSE;
    SSB_PETSC(PetscOptionsHasName(nullptr, nullptr, name.c_str(), &set));
    if (!set) m_inserted.push_back(name);
  }
  insertPetscOptions(prefix, opts);
}

const PetscOptionList& defaultSolverOptions(SystemKind kind) {
  // hypre BoomerAMG settings measured on the seeded sphere packs (docs/conductivity.md): PMIS coarsening
  // with one level of aggressive coarsening, extended+i interpolation truncated to 4 entries per row,
  // strength threshold 0.5 (the usual 3-D value) and Chebyshev smoothing. Against PETSc's BoomerAMG
  // defaults (Falgout, classical interpolation, hybrid Gauss-Seidel) this halves the set-up time and cuts
  // the hierarchy's memory for a few more, cheaper PCG iterations; Chebyshev smoothing also does not
  // depend on how the rows are split between ranks.
  static const PetscOptionList spd = {
      {"ksp_type", "cg"},
      {"pc_type", "hypre"},
      {"pc_hypre_type", "boomeramg"},
      {"pc_hypre_boomeramg_coarsen_type", "PMIS"},
      {"pc_hypre_boomeramg_agg_nl", "1"},
      {"pc_hypre_boomeramg_interp_type", "ext+i"},
      {"pc_hypre_boomeramg_P_max", "4"},
      {"pc_hypre_boomeramg_strong_threshold", "0.5"},
      {"pc_hypre_boomeramg_relax_type_all", "Chebyshev"},
  };
  // Smoothed aggregation built on the near-null space the physics attached to the matrix (rigid-body modes,
  // MatSetNearNullSpace), Chebyshev/Jacobi smoothing. Measured against BoomerAMG in docs/benchmarks.md.
  static const PetscOptionList elasticity = {
      {"ksp_type", "cg"},
      {"pc_type", "gamg"},
      {"pc_gamg_type", "agg"},
      {"pc_gamg_agg_nsmooths", "1"},
      {"pc_gamg_threshold", "0.01"},
      {"mg_levels_ksp_type", "chebyshev"},
      {"mg_levels_pc_type", "jacobi"},
  };
  switch (kind) {
    case SystemKind::SymmetricPositiveDefinite:
      return spd;
    case SystemKind::Elasticity:
      return elasticity;
  }
  return spd;
}

namespace {
double seconds(std::chrono::steady_clock::time_point since) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
}
double vecNorm(Vec v) {
  PetscReal n = 0;
  SSB_PETSC(VecNorm(v, NORM_2, &n));
  return static_cast<double>(n);
}
}  // namespace

LinearSolveResult solveLinear(Mat A, Vec b, Vec x, SystemKind kind, const std::string& prefix, double rtol,
                              const std::string& who) {
  ScopedPetscOptions defaults;
  defaults.insert(prefix, defaultSolverOptions(kind));
  LinearSolveResult r;
  auto t0 = std::chrono::steady_clock::now();
  MPI_Comm comm = MPI_COMM_NULL;
  SSB_PETSC(PetscObjectGetComm(reinterpret_cast<PetscObject>(A), &comm));
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(comm, ksp.out()));
  SSB_PETSC(KSPSetOptionsPrefix(ksp, prefix.c_str()));
  SSB_PETSC(KSPSetOperators(ksp, A, A));
  SSB_PETSC(KSPSetTolerances(ksp, rtol, 0.0, PETSC_DEFAULT, 1000));
  // The true residual, so that rtol means the same thing whatever the preconditioner.
  SSB_PETSC(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  SSB_PETSC(KSPSetFromOptions(ksp));
  SSB_PETSC(KSPSetUp(ksp));
  r.setupSeconds = seconds(t0);
  auto t1 = std::chrono::steady_clock::now();
  SSB_PETSC(KSPSolve(ksp, b, x));
  r.solveSeconds = seconds(t1);

  KSPConvergedReason reason;
  PetscInt its = 0;
  SSB_PETSC(KSPGetConvergedReason(ksp, &reason));
  SSB_PETSC(KSPGetIterationNumber(ksp, &its));
  r.iterations = static_cast<int>(its);
  {
    VecHandle res;
    SSB_PETSC(VecDuplicate(b, res.out()));
    SSB_PETSC(MatMult(A, x, res));
    SSB_PETSC(VecAYPX(res, -1.0, b));
    const double nb = vecNorm(b);
    r.relativeResidual = nb > 0 ? vecNorm(res) / nb : vecNorm(res);
  }
  if (reason < 0)
    throwRun(
        "{}: the linear solve did not converge ({} after {} iterations, relative residual {:.3g}); loosen "
        "`rtol` or choose other solver options under `petsc_options` (PETSc prefix {})",
        who, KSPConvergedReasons[reason], r.iterations, r.relativeResidual, prefix);
  return r;
}

}  // namespace ssb
