#pragma once
// Linear solves. Physics states the kind of system and its option prefix; the Krylov method and the
// preconditioner are chosen here (and can be changed from YAML `petsc_options:` or the command line,
// which wins). A solve that does not converge throws RunError naming who asked.
//
// SystemKind + defaultSolverOptions(kind) is the extension point: a new kind of system (elasticity, a
// saddle point) adds an enum value and its default options here, never a KSPSetType in physics.
#include <petscksp.h>

#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "solver/core/PetscUtil.hpp"
#include "solver/core/SolverOptions.hpp"

namespace ssb {

enum class SystemKind {
  SymmetricPositiveDefinite,  // diffusion / conduction on voxels: CG + hypre BoomerAMG
  General,                    // nonsymmetric, no structure assumed: GMRES + block Jacobi/ILU(0)
  Direct,                     // small systems and fallbacks: LU (MUMPS, in parallel too)
  Elasticity,  // vector SPD (3 dof per node) with the rigid-body near-null space set on the matrix: CG +
               // GAMG, or CG + geometric multigrid when the matrix's node DMDA coarsens (geometricLevels)
  // Coupled fields with a conduction-like potential block (the physics names its splits through
  // setFieldSplits: "phi" the potentials, a symmetric M-matrix up to row scaling; "x" a transport field with
  // a mass term; "cc" bordered global scalars): right-preconditioned GMRES + multiplicative fieldsplit, hypre
  // BoomerAMG on "phi", block Jacobi/ILU(0) on "x", Jacobi on "cc" (docs/solvers.md).
  CoupledPotentials,
};

// A kind that scales (e.g. CoupledPotentials) on a system of `rows` unknowns, or Direct when `rows` is below
// the size up to which MUMPS is measured to be faster (directBelowRows(); docs/benchmarks.md, lithiation).
// `choice`: "auto" (that rule), "direct" or "iterative" (the user's, e.g. a study's `linear_solver` key).
long directBelowRows();
SystemKind chooseSystemKind(SystemKind iterative, long rows, const std::string& choice = "auto");

// Default options of a kind (prefix-less), inserted after the user's so that the user's win.
const PetscOptionList& defaultSolverOptions(SystemKind kind);

// Collective. How many levels of a geometric multigrid the DMDA `grid` allows (1: none): each coarsening
// halves every axis (periodic: an even node count; bounded: an odd one), keeps at least 3 nodes per axis and
// at least 2 owned nodes per axis on every rank, at most 8 levels.
int geometricLevels(DM grid);
// Not collective. The same rule on node counts per axis (`dim` axes), their periodicity and the smallest
// number of nodes any rank owns along any axis: what geometricLevels applies to a DMDA, and what a size
// estimate made before the grid exists can apply to an assumed decomposition.
int geometricLevels(const std::array<int64_t, 3>& nodes, const std::array<bool, 3>& periodic, int dim,
                    int64_t minLocal);
// The Elasticity defaults on a grid with `levels` >= 3: CG + PCMG, Chebyshev / point-block Jacobi
// smoothing, redundant LU on the coarsest level; `galerkin`: PETSc forms the coarse operators P^T A P from
// the DMDA's interpolation (else the physics supplies them, MultigridHierarchy).
PetscOptionList geometricElasticityOptions(int levels, bool galerkin = true);

// A geometric multigrid hierarchy whose coarse operators the physics assembles itself (elasticity: element
// by element, ElasticOperator), used instead of PETSc's Galerkin products P^T A P.
struct MultigridHierarchy {
  std::vector<Mat> operators;       // levels 0 (coarsest) .. n - 2; level n - 1 is the system matrix
  std::vector<Mat> interpolations;  // interpolations[l]: from level l to level l + 1
  // Unknowns of the finest level (global indices, owned by this rank, sorted) that the finest smoother solves
  // exactly, together, instead of node by node: where the physics knows of error the coarse levels cannot
  // represent (elasticity: the near-mechanisms of slender parts, physics/SlenderParts.hpp). The smoother is
  // then block Jacobi: one block per rank of these unknowns (LU), 3 x 3 node blocks elsewhere.
  // `fineBlockAnywhere`: some rank has such unknowns (the same on every rank).
  std::vector<PetscInt> fineBlock;
  bool fineBlockAnywhere = false;
  int levels() const { return operators.empty() ? 0 : static_cast<int>(operators.size()) + 1; }
};
// Collective. The number of multigrid levels (>= 3) an Elasticity solve under `prefix` on the node DMDA
// `grid` takes from the physics as a MultigridHierarchy, or 0 when it takes none: the user chose a
// preconditioner (`pc_type`) or multigrid levels (`pc_mg_levels`), or the grid does not coarsen
// (geometricLevels < 3).
int elasticityMultigridLevels(DM grid, const std::string& prefix);

struct LinearSolveResult {
  int iterations = 0;
  double relativeResidual = 0.0;  // true residual |b - A x| / |b|
  double setupSeconds = 0.0;      // preconditioner set-up
  double solveSeconds = 0.0;
  std::string preconditioner;         // the PC type used (PETSc's name, e.g. "gamg", "mg", "hypre")
  bool reusedPreconditioner = false;  // LinearSolver: the preconditioner of an earlier solve (no set-up)
};

// Collective. Solve A x = b from a zero initial guess to relative tolerance `rtol` on the true residual,
// with the KSP options under `prefix` (the user's scoped petsc_options, then the defaults of `kind`).
// Throws RunError naming `who` if the solver reports divergence, or reports convergence after 0
// iterations although b is not zero (issue 12: a residual norm that underflowed would otherwise return
// x = 0 as the answer).
// `grid`: the DMDA A was created on (optional). Given, the KSP knows it (not as the operator's source), so
// that `-<prefix>pc_type mg` can build a geometric hierarchy by DMCoarsen / DMCreateInterpolation with
// Galerkin coarse operators.
// `multigrid` (optional, non-empty): the hierarchy to precondition with (PCMG with its operators and
// interpolations, no Galerkin products); `grid` is then not used.
LinearSolveResult solveLinear(Mat A, Vec b, Vec x, SystemKind kind, const std::string& prefix, double rtol,
                              const std::string& who, DM grid = nullptr,
                              const MultigridHierarchy* multigrid = nullptr);

// A linear solver kept across the solves of one operator whose matrix keeps its nonzero pattern while its
// values change (load steps, a damage iteration, a coupled run's mechanics updates). The preconditioner of
// the last set-up is reused while it works: a solve with it that does not converge is redone at once with a
// fresh set-up; one that needs more than kStaleFactor times the iterations of the set-up's own solve (plus
// kStaleSlack) is kept, and the next solve sets up afresh. Every solve is checked as solveLinear checks
// (checkKspConverged) and gets the same options (kind defaults, the user's under `prefix`).
class LinearSolver {
 public:
  static constexpr int kStaleFactor = 2, kStaleSlack = 5;

  LinearSolver(SystemKind kind, std::string prefix);
  ~LinearSolver();
  LinearSolver(const LinearSolver&) = delete;
  LinearSolver& operator=(const LinearSolver&) = delete;

  // Not collective (the same on every rank). Will the next solve reuse the preconditioner?
  bool reusesPreconditioner() const { return m_ksp && !m_stale; }
  // Collective. Solve A x = b to `rtol` (as solveLinear, `grid` and `multigrid` likewise). `beforeSetup` runs
  // before every fresh set-up: the physics refreshes there what the preconditioner is built from but the
  // solve itself does not use (e.g. the multigrid's coarse operators), so that a reused preconditioner
  // stays consistent with its own levels.
  LinearSolveResult solve(Mat A, Vec b, Vec x, double rtol, const std::string& who, DM grid = nullptr,
                          const MultigridHierarchy* multigrid = nullptr,
                          const std::function<void()>& beforeSetup = {});

 private:
  SystemKind m_kind;
  std::string m_prefix;
  KSPHandle m_ksp;
  bool m_stale = false;
  int m_freshIterations = 0;
  double m_rtol = 0.0;
};

}  // namespace ssb
