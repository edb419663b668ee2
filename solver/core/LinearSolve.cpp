#include "solver/core/LinearSolve.hpp"

#include <algorithm>
#include <chrono>

#include "solver/core/Log.hpp"
#include "solver/core/PetscBridge.hpp"
#include "solver/core/PetscUtil.hpp"

namespace ssb {

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
  // PETSc's own general-purpose choice, stated so that it does not change behind our back; a restart
  // length of 100 keeps GMRES from stalling on the coupled multi-field systems of the transient physics.
  static const PetscOptionList general = {
      {"ksp_type", "gmres"},
      {"ksp_gmres_restart", "100"},
      {"pc_type", "bjacobi"},
      {"sub_pc_type", "ilu"},
  };
  // MUMPS factorises in parallel too; PETSc's own LU is serial only.
  static const PetscOptionList direct = {
      {"ksp_type", "preonly"},
      {"pc_type", "lu"},
      {"pc_factor_mat_solver_type", "mumps"},
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
  // The potential block gets the conduction settings above. Right preconditioning, so that ksp_rtol bounds
  // the true residual |b - J dx| / |b| Newton sees; multiplicative (block Gauss-Seidel) so that the
  // transport and scalar splits see the potential correction. The one coupling the splits leave out of the
  // preconditioner entirely - the collector potential's column in the "phi" rows - is of rank one, which
  // costs GMRES about one iteration.
  static const PetscOptionList coupled = [] {
    PetscOptionList o = {
        {"ksp_type", "gmres"},
        {"ksp_gmres_restart", "50"},
        {"ksp_pc_side", "right"},
        {"pc_type", "fieldsplit"},
        {"pc_fieldsplit_type", "multiplicative"},
        {"fieldsplit_phi_ksp_type", "preonly"},
        {"fieldsplit_x_ksp_type", "preonly"},
        {"fieldsplit_x_pc_type", "bjacobi"},
        {"fieldsplit_x_sub_pc_type", "ilu"},
        {"fieldsplit_cc_ksp_type", "preonly"},
        {"fieldsplit_cc_pc_type", "jacobi"},
    };
    for (const auto& [k, v] : spd)
      if (k != "ksp_type") o.emplace_back("fieldsplit_phi_" + k, v);
    return o;
  }();
  switch (kind) {
    case SystemKind::CoupledPotentials:
      return coupled;
    case SystemKind::SymmetricPositiveDefinite:
      return spd;
    case SystemKind::General:
      return general;
    case SystemKind::Direct:
      return direct;
    case SystemKind::Elasticity:
      return elasticity;
  }
  return general;
}

int geometricLevels(DM grid) {
  PetscInt dim = 0, M[3] = {1, 1, 1}, lo[3] = {0, 0, 0}, m[3] = {1, 1, 1};
  DMBoundaryType bt[3];
  SSB_PETSC(DMDAGetInfo(grid, &dim, &M[0], &M[1], &M[2], nullptr, nullptr, nullptr, nullptr, nullptr, &bt[0],
                        &bt[1], &bt[2], nullptr));
  SSB_PETSC(DMDAGetCorners(grid, &lo[0], &lo[1], &lo[2], &m[0], &m[1], &m[2]));
  MPI_Comm comm = MPI_COMM_NULL;
  SSB_PETSC(PetscObjectGetComm(reinterpret_cast<PetscObject>(grid), &comm));
  PetscInt local = std::min({m[0], dim > 1 ? m[1] : m[0], dim > 2 ? m[2] : m[0]});
  PetscInt minLocal = 0;
  MPI_Allreduce(&local, &minLocal, 1, MPIU_INT, MPI_MIN, comm);
  std::array<int64_t, 3> nodes{M[0], M[1], M[2]};
  std::array<bool, 3> periodic{};
  for (int a = 0; a < 3; ++a) periodic[static_cast<size_t>(a)] = bt[a] == DM_BOUNDARY_PERIODIC;
  return geometricLevels(nodes, periodic, static_cast<int>(dim), minLocal);
}

int geometricLevels(const std::array<int64_t, 3>& nodes, const std::array<bool, 3>& periodic, int dim,
                    int64_t minLocal) {
  std::array<int64_t, 3> M = nodes;
  int levels = 1;
  while (levels < 8) {
    bool ok = minLocal / 2 >= 2;
    std::array<int64_t, 3> C{1, 1, 1};
    for (int a = 0; a < dim && ok; ++a) {
      const size_t ua = static_cast<size_t>(a);
      ok = periodic[ua] ? M[ua] % 2 == 0 : (M[ua] - 1) % 2 == 0;
      C[ua] = periodic[ua] ? M[ua] / 2 : (M[ua] - 1) / 2 + 1;
      ok = ok && C[ua] >= 3;
    }
    if (!ok) break;
    for (int a = 0; a < dim; ++a) M[static_cast<size_t>(a)] = C[static_cast<size_t>(a)];
    minLocal /= 2;
    ++levels;
  }
  return levels;
}

PetscOptionList geometricElasticityOptions(int levels, bool galerkin) {
  return {
      {"ksp_type", "cg"},
      {"pc_type", "mg"},
      {"pc_mg_levels", std::to_string(levels)},
      {"pc_mg_galerkin", galerkin ? "both" : "none"},
      {"mg_levels_ksp_type", "chebyshev"},
      // The operators are symmetric positive definite: Lanczos (CG) estimates the Chebyshev bounds with less
      // work than PETSc's default GMRES.
      {"mg_levels_esteig_ksp_type", "cg"},
      {"mg_levels_pc_type", "pbjacobi"},
      {"mg_coarse_pc_type", "redundant"},
      {"mg_coarse_redundant_pc_type", "lu"},
  };
}

int elasticityMultigridLevels(DM grid, const std::string& prefix) {
  PetscBool userPc = PETSC_FALSE, userLevels = PETSC_FALSE;
  SSB_PETSC(PetscOptionsHasName(nullptr, prefix.c_str(), "-pc_type", &userPc));
  SSB_PETSC(PetscOptionsHasName(nullptr, prefix.c_str(), "-pc_mg_levels", &userLevels));
  if (userPc || userLevels) return 0;
  const int levels = geometricLevels(grid);
  return levels >= 3 ? levels : 0;
}

long directBelowRows() { return 20000; }

SystemKind chooseSystemKind(SystemKind iterative, long rows, const std::string& choice) {
  if (choice == "direct") return SystemKind::Direct;
  if (choice == "iterative") return iterative;
  return rows < directBelowRows() ? SystemKind::Direct : iterative;
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

namespace {
// The finest smoother's preconditioner when the physics names unknowns to solve together
// (MultigridHierarchy::fineBlock): block Jacobi with those unknowns as one block per rank (a sequential LU)
// and point-block (3 x 3 node) Jacobi elsewhere. Block diagonal with SPD blocks, so SPD for an SPD operator.
struct FineBlockJacobi {
  std::vector<PetscInt> rows;  // owned global indices, sorted
  PC pointBlock = nullptr;
  Mat block = nullptr;  // rows x rows of the operator, sequential
  KSP lu = nullptr;
  Vec rb = nullptr, zb = nullptr;

  PetscErrorCode release() {
    PetscFunctionBeginUser;
    PetscCall(PCDestroy(&pointBlock));
    PetscCall(MatDestroy(&block));
    PetscCall(KSPDestroy(&lu));
    PetscCall(VecDestroy(&rb));
    PetscCall(VecDestroy(&zb));
    PetscFunctionReturn(0);
  }
};

PetscErrorCode fineBlockSetUp(PC pc) {
  PetscFunctionBeginUser;
  FineBlockJacobi* s = nullptr;
  PetscCall(PCShellGetContext(pc, &s));
  PetscCall(s->release());
  Mat A = nullptr, P = nullptr;
  PetscCall(PCGetOperators(pc, &A, &P));
  MPI_Comm comm = MPI_COMM_NULL;
  PetscCall(PetscObjectGetComm(reinterpret_cast<PetscObject>(pc), &comm));
  PetscCall(PCCreate(comm, &s->pointBlock));
  PetscCall(PCSetType(s->pointBlock, PCPBJACOBI));
  PetscCall(PCSetOperators(s->pointBlock, A, P));
  PetscCall(PCSetUp(s->pointBlock));
  IS is = nullptr;
  const PetscInt n = static_cast<PetscInt>(s->rows.size());
  PetscCall(ISCreateGeneral(PETSC_COMM_SELF, n, s->rows.data(), PETSC_USE_POINTER, &is));
  Mat* sub = nullptr;
  PetscCall(MatCreateSubMatrices(P, 1, &is, &is, MAT_INITIAL_MATRIX, &sub));
  PetscCall(ISDestroy(&is));
  s->block = sub[0];
  PetscCall(PetscFree(sub));
  if (n > 0) {
    PetscCall(KSPCreate(PETSC_COMM_SELF, &s->lu));
    const char* prefix = nullptr;
    PetscCall(PCGetOptionsPrefix(pc, &prefix));
    PetscCall(KSPSetOptionsPrefix(s->lu, prefix));
    PetscCall(KSPAppendOptionsPrefix(s->lu, "block_"));
    PetscCall(KSPSetType(s->lu, KSPPREONLY));
    PC luPc = nullptr;
    PetscCall(KSPGetPC(s->lu, &luPc));
    PetscCall(PCSetType(luPc, PCLU));
    PetscCall(KSPSetOperators(s->lu, s->block, s->block));
    PetscCall(KSPSetFromOptions(s->lu));
    PetscCall(KSPSetUp(s->lu));
    PetscCall(MatCreateVecs(s->block, &s->rb, &s->zb));
  }
  PetscFunctionReturn(0);
}

PetscErrorCode fineBlockApply(PC pc, Vec r, Vec z) {
  PetscFunctionBeginUser;
  FineBlockJacobi* s = nullptr;
  PetscCall(PCShellGetContext(pc, &s));
  PetscCall(PCApply(s->pointBlock, r, z));
  if (s->rows.empty()) PetscFunctionReturn(0);
  PetscInt lo = 0;
  PetscCall(VecGetOwnershipRange(r, &lo, nullptr));
  const PetscScalar* ra = nullptr;
  PetscScalar* ba = nullptr;
  PetscCall(VecGetArrayRead(r, &ra));
  PetscCall(VecGetArray(s->rb, &ba));
  for (size_t i = 0; i < s->rows.size(); ++i) ba[i] = ra[s->rows[i] - lo];
  PetscCall(VecRestoreArray(s->rb, &ba));
  PetscCall(VecRestoreArrayRead(r, &ra));
  PetscCall(KSPSolve(s->lu, s->rb, s->zb));
  PetscScalar* za = nullptr;
  const PetscScalar* zba = nullptr;
  PetscCall(VecGetArray(z, &za));
  PetscCall(VecGetArrayRead(s->zb, &zba));
  for (size_t i = 0; i < s->rows.size(); ++i) za[s->rows[i] - lo] = zba[i];
  PetscCall(VecRestoreArrayRead(s->zb, &zba));
  PetscCall(VecRestoreArray(z, &za));
  PetscFunctionReturn(0);
}

PetscErrorCode fineBlockDestroy(PC pc) {
  PetscFunctionBeginUser;
  FineBlockJacobi* s = nullptr;
  PetscCall(PCShellGetContext(pc, &s));
  PetscCall(s->release());
  delete s;
  PetscFunctionReturn(0);
}
}  // namespace

namespace {
// Creates the KSP for A (the one place that chooses and configures the solver: kind defaults, the user's
// options, the physics' multigrid levels) and sets it up. The defaults are in the options database only
// inside this call, so the set-up (which reads the level smoothers' options) happens here too.
KSPHandle createKsp(Mat A, SystemKind kind, const std::string& prefix, double rtol, const std::string& who,
                    DM grid, const MultigridHierarchy* multigrid) {
  const int mgLevels = multigrid ? multigrid->levels() : 0;
  if (mgLevels) grid = nullptr;
  // Elasticity on a node DMDA that coarsens: geometric multigrid by default (docs/benchmarks.md, Mechanics),
  // with the physics' coarse operators when it hands them over, else PETSc's Galerkin products; unless the
  // user chose a PC.
  PetscOptionList defaults = defaultSolverOptions(kind);
  if (kind == SystemKind::Elasticity && grid) {
    // The options are the same on every rank, so every rank takes the same branch (geometricLevels is
    // collective).
    PetscBool userPc = PETSC_FALSE;
    SSB_PETSC(PetscOptionsHasName(nullptr, prefix.c_str(), "-pc_type", &userPc));
    const int levels = userPc ? 1 : geometricLevels(grid);
    if (levels >= 3) defaults = geometricElasticityOptions(levels);
  }
  // The physics' exact blocks in the finest smoother, unless the user chose the smoothers' preconditioner.
  const std::string fineLevel = mgLevels ? "mg_levels_" + std::to_string(mgLevels - 1) + "_" : "";
  bool fineBlock = false;
  if (mgLevels) {
    defaults = geometricElasticityOptions(mgLevels, false);
    // The level's own name finds the user's generic mg_levels_pc_type too (PETSc's lookup of a numbered
    // prefix falls back to the name without the number).
    PetscBool userPc = PETSC_FALSE;
    SSB_PETSC(PetscOptionsHasName(nullptr, prefix.c_str(), ("-" + fineLevel + "pc_type").c_str(), &userPc));
    fineBlock = multigrid->fineBlockAnywhere && !userPc;
    // First: the level's own name must be in before the generic mg_levels_pc_type, which PETSc's lookup of a
    // numbered prefix falls back to (and which would make the level's name look set already).
    if (fineBlock) defaults.insert(defaults.begin(), {fineLevel + "pc_type", "shell"});
  }
  SolverOptions options(prefix, who, {}, defaults);
  clearPendingCallbackException();
  MPI_Comm comm = MPI_COMM_NULL;
  SSB_PETSC(PetscObjectGetComm(reinterpret_cast<PetscObject>(A), &comm));
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(comm, ksp.out()));
  SSB_PETSC(KSPSetOptionsPrefix(ksp, prefix.c_str()));
  SSB_PETSC(KSPSetOperators(ksp, A, A));
  if (grid) {
    SSB_PETSC(KSPSetDM(ksp, grid));
    SSB_PETSC(KSPSetDMActive(ksp, PETSC_FALSE));
  }
  if (mgLevels) {
    // The physics' own levels, set before KSPSetFromOptions so that the options (the same level count, no
    // Galerkin products) configure them rather than replace them.
    PC pc = nullptr;
    SSB_PETSC(KSPGetPC(ksp, &pc));
    SSB_PETSC(PCSetType(pc, PCMG));
    SSB_PETSC(PCMGSetLevels(pc, mgLevels, nullptr));
    SSB_PETSC(PCMGSetGalerkin(pc, PC_MG_GALERKIN_NONE));
    for (int l = 0; l + 1 < mgLevels; ++l) {
      KSP smoother = nullptr;
      SSB_PETSC(PCMGGetSmoother(pc, l, &smoother));
      SSB_PETSC(KSPSetOperators(smoother, multigrid->operators[static_cast<size_t>(l)],
                                multigrid->operators[static_cast<size_t>(l)]));
      SSB_PETSC(PCMGSetInterpolation(pc, l + 1, multigrid->interpolations[static_cast<size_t>(l)]));
    }
    if (fineBlock) {
      // A shell now; the options name the same type, so they keep it (PCSetType of the current type is a
      // no-op) and it is set up with the smoother.
      KSP smoother = nullptr;
      PC spc = nullptr;
      SSB_PETSC(PCMGGetSmoother(pc, mgLevels - 1, &smoother));
      SSB_PETSC(KSPGetPC(smoother, &spc));
      SSB_PETSC(PCSetType(spc, PCSHELL));
      auto* ctx = new FineBlockJacobi;
      ctx->rows = multigrid->fineBlock;
      SSB_PETSC(PCShellSetContext(spc, ctx));
      SSB_PETSC(PCShellSetSetUp(spc, fineBlockSetUp));
      SSB_PETSC(PCShellSetApply(spc, fineBlockApply));
      SSB_PETSC(PCShellSetDestroy(spc, fineBlockDestroy));
      SSB_PETSC(PCShellSetName(spc, "point-block Jacobi with exact blocks"));
    }
  }
  SSB_PETSC(KSPSetTolerances(ksp, rtol, 0.0, PETSC_DEFAULT, 1000));
  // The true residual, so that rtol means the same thing whatever the preconditioner.
  SSB_PETSC(KSPSetNormType(ksp, KSP_NORM_UNPRECONDITIONED));
  SSB_PETSC(KSPSetFromOptions(ksp));
  notePetscOptionsRead(prefix);
  SSB_PETSC(KSPSetUp(ksp));
  return ksp;
}

// Solves with a set-up KSP from a zero initial guess; the converged reason is the caller's to check.
LinearSolveResult runKsp(KSP ksp, Mat A, Vec b, Vec x) {
  LinearSolveResult r;
  auto t1 = std::chrono::steady_clock::now();
  SSB_PETSC(KSPSolve(ksp, b, x));
  r.solveSeconds = seconds(t1);
  PetscInt its = 0;
  SSB_PETSC(KSPGetIterationNumber(ksp, &its));
  r.iterations = static_cast<int>(its);
  {
    PC pc = nullptr;
    PCType type = nullptr;
    SSB_PETSC(KSPGetPC(ksp, &pc));
    SSB_PETSC(PCGetType(pc, &type));
    r.preconditioner = type ? type : "";
  }
  {
    VecHandle res;
    SSB_PETSC(VecDuplicate(b, res.out()));
    SSB_PETSC(MatMult(A, x, res));
    SSB_PETSC(VecAYPX(res, -1.0, b));
    const double nb = vecNorm(b);
    r.relativeResidual = nb > 0 ? vecNorm(res) / nb : vecNorm(res);
  }
  return r;
}
}  // namespace

LinearSolveResult solveLinear(Mat A, Vec b, Vec x, SystemKind kind, const std::string& prefix, double rtol,
                              const std::string& who, DM grid, const MultigridHierarchy* multigrid) {
  return LinearSolver(kind, prefix).solve(A, b, x, rtol, who, grid, multigrid);  // a new one: set up afresh
}

LinearSolver::LinearSolver(SystemKind kind, std::string prefix) : m_kind(kind), m_prefix(std::move(prefix)) {}
LinearSolver::~LinearSolver() = default;

LinearSolveResult LinearSolver::solve(Mat A, Vec b, Vec x, double rtol, const std::string& who, DM grid,
                                      const MultigridHierarchy* multigrid,
                                      const std::function<void()>& beforeSetup) {
  if (reusesPreconditioner()) {
    SSB_PETSC(KSPSetOperators(m_ksp, A, A));
    SSB_PETSC(KSPSetReusePreconditioner(m_ksp, PETSC_TRUE));
    // The tolerances (the user's included) stay those of the set-up, but for a new rtol.
    if (rtol != m_rtol) SSB_PETSC(KSPSetTolerances(m_ksp, rtol, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
    m_rtol = rtol;
    LinearSolveResult r = runKsp(m_ksp, A, b, x);
    KSPConvergedReason reason;
    SSB_PETSC(KSPGetConvergedReason(m_ksp, &reason));
    if (reason > 0) {
      checkKspConverged(m_ksp, b, who, m_prefix);
      r.reusedPreconditioner = true;
      if (r.iterations > kStaleFactor * m_freshIterations + kStaleSlack) m_stale = true;
      return r;
    }
    Log::detail(
        "{}: the linear solve with the previous preconditioner did not converge ({} after {} iterations); "
        "setting it up again",
        who, KSPConvergedReasons[reason], r.iterations);
  }
  const auto t0 = std::chrono::steady_clock::now();
  if (beforeSetup) beforeSetup();
  m_ksp.reset();
  m_ksp = createKsp(A, m_kind, m_prefix, rtol, who, grid, multigrid);
  const double setup = seconds(t0);
  LinearSolveResult r = runKsp(m_ksp, A, b, x);
  r.setupSeconds = setup;
  checkKspConverged(m_ksp, b, who, m_prefix);
  m_freshIterations = r.iterations;
  m_rtol = rtol;
  m_stale = false;
  return r;
}

}  // namespace ssb
