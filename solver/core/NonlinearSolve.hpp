#pragma once
// Nonlinear solves F(x) = 0 with PETSc SNES (Newton with a line search by default), on the pattern of
// LinearSolve: the physics gives the residual, the Jacobian and an option prefix; the method, the
// tolerances' defaults and the linear solver inside Newton are chosen here and tuned from YAML
// `petsc_options:` or the command line (which wins). A solve that does not converge throws RunError
// naming who asked. Exceptions thrown by the callbacks reach the caller unchanged (PetscBridge.hpp).
#include <petscsnes.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "solver/core/LinearSolve.hpp"
#include "solver/core/PetscUtil.hpp"
#include "solver/core/SolverOptions.hpp"

namespace ssb {

using SNESHandle = PetscHandle<SNES, SNESDestroy>;

struct NonlinearSolveSettings {
  std::string prefix;                           // own PETSc option prefix, e.g. "lithiation_"
  std::string who;                              // names the solver in errors
  SystemKind linearKind = SystemKind::General;  // the linear system inside Newton
  PetscOptionList userOptions;                  // the study's parsed `petsc_options` (may be empty)
  PetscOptionList extraDefaults;                // the physics' defaults (e.g. fieldsplit), below the user's
  double rtol = 1e-8;                           // |F| / |F0|
  double atol = 1e-50;                          // |F|
  double stol = 1e-8;                           // |dx| / |x|
  int maxIterations = 50;
  double linearRtol = 0.0;  // the Krylov solves' relative tolerance inside Newton; 0: PETSc's (1e-5)
};

struct NonlinearSolveResult {
  int iterations = 0;        // Newton steps
  int linearIterations = 0;  // Krylov iterations summed over the Newton steps
  int limitedSteps = 0;      // Newton directions the step limiter shortened
  double initialResidual = 0.0;
  double finalResidual = 0.0;
  double seconds = 0.0;
  std::string reason;  // PETSc's converged reason
};

class NonlinearSolve {
 public:
  using Residual = std::function<void(Vec x, Vec f)>;         // collective; f = F(x)
  using Jacobian = std::function<void(Vec x, Mat J, Mat P)>;  // collective; assemble dF/dx at x into J (P)

  // Collective on comm. `r` is a Vec with the layout of F (kept by SNES); `J`/`P` the matrices the
  // Jacobian callback fills (P may be J). The options are read here, so snes()/ksp() already have their
  // final types (set fieldsplit index sets on ksp() after construction).
  NonlinearSolve(MPI_Comm comm, NonlinearSolveSettings settings, Vec r, Residual residual, Mat J, Mat P,
                 Jacobian jacobian);
  NonlinearSolve(const NonlinearSolve&) = delete;
  NonlinearSolve& operator=(const NonlinearSolve&) = delete;

  // Collective. x: initial guess in, solution out. Throws RunError if SNES reports divergence.
  NonlinearSolveResult solve(Vec x);

  SNES snes() const { return m_snes; }
  KSP ksp() const;

  // Optional step limiter (collective): given the iterate x and the Newton direction y (x_new = x - lambda y),
  // return a factor in (0, 1] that y is scaled by before the line search. Physics uses it to bound the change
  // of an exponential's argument per step (Butler-Volmer overpotentials), where a full Newton step from a
  // linear regime overshoots into a saturated one whose Jacobian is nearly singular.
  using StepLimiter = std::function<double(Vec x, Vec y)>;
  void setStepLimiter(StepLimiter limiter);

  // The defaults of the wrapper (PETSc's Newton with backtracking, stated) over those of `linearKind`.
  static PetscOptionList defaultOptions(SystemKind linearKind, const PetscOptionList& extra = {});

 private:
  static PetscErrorCode residualCallback(SNES, Vec x, Vec f, void* ctx);
  static PetscErrorCode jacobianCallback(SNES, Vec x, Mat J, Mat P, void* ctx);
  static PetscErrorCode preCheckCallback(SNESLineSearch, Vec x, Vec y, PetscBool* changed, void* ctx);

  NonlinearSolveSettings m_settings;
  SolverOptions m_options;
  Residual m_residual;
  Jacobian m_jacobian;
  StepLimiter m_limiter;
  int m_limitedSteps = 0;
  SNESHandle m_snes;
};

// Set the fields of a PCFIELDSPLIT preconditioner from index sets the physics built (e.g. {"phi", isPhi},
// {"x", isX}). Does nothing if the PC of `ksp` is not a fieldsplit (the user chose another), so physics
// can always call it. Collective.
void setFieldSplits(KSP ksp, const std::vector<std::pair<std::string, IS>>& splits);

// ------------------------------------------------------------------------------------------------------
// Jacobian check for physics tests: compare an assembled Jacobian with central finite differences of the
// residual, column by column (2 N residual evaluations: meant for test-size problems, N up to a few
// thousand).

struct JacobianCheck {
  // max over rows i of  max_j |J_ij - D_ij| / max_j max(|J_ij|, |D_ij|)  (D the finite-difference
  // Jacobian). Per-row scaling, so that an error in a block whose rows are small (mol/s next to A) is not
  // hidden by large rows. Central differences are accurate to ~1e-9 of the row scale for smooth F.
  double maxRelativeDifference = 0.0;
  double maxAbsoluteDifference = 0.0;             // max_ij |J_ij - D_ij|
  PetscInt row = -1, column = -1;                 // where maxRelativeDifference occurs (global indices)
  double analytic = 0.0, finiteDifference = 0.0;  // J and D there
};

// Collective. J assembled at x; residual(x, f) the function whose Jacobian J claims to be. The step for
// column j is h_j = eps^(1/3) * max(|x_j|, scale), scale = max |x| (1 if x = 0) unless given.
JacobianCheck checkJacobian(Mat J, Vec x, const std::function<void(Vec x, Vec f)>& residual,
                            double scale = 0.0);

}  // namespace ssb
