#include "solver/core/NonlinearSolve.hpp"

#include <chrono>
#include <cmath>
#include <limits>

#include "solver/core/PetscBridge.hpp"

namespace ssb {

namespace {
MPI_Comm commOf(PetscObject o) {
  MPI_Comm c = MPI_COMM_NULL;
  (void)PetscObjectGetComm(o, &c);
  return c;
}
}  // namespace

PetscOptionList NonlinearSolve::defaultOptions(SystemKind linearKind, const PetscOptionList& extra) {
  // Extra (physics) defaults first: insertion order is precedence.
  PetscOptionList out(extra.begin(), extra.end());
  for (const auto& o : PetscOptionList{{"snes_type", "newtonls"}, {"snes_linesearch_type", "bt"}})
    out.push_back(o);
  for (const auto& o : defaultSolverOptions(linearKind)) out.push_back(o);
  return out;
}

NonlinearSolve::NonlinearSolve(MPI_Comm comm, NonlinearSolveSettings settings, Vec r, Residual residual,
                               Mat J, Mat P, Jacobian jacobian)
    : m_settings(std::move(settings)),
      m_options(m_settings.prefix, m_settings.who, m_settings.userOptions,
                defaultOptions(m_settings.linearKind, m_settings.extraDefaults)),
      m_residual(std::move(residual)),
      m_jacobian(std::move(jacobian)) {
  SSB_PETSC(SNESCreate(comm, m_snes.out()));
  SSB_PETSC(SNESSetOptionsPrefix(m_snes, m_settings.prefix.c_str()));
  SSB_PETSC(SNESSetFunction(m_snes, r, &NonlinearSolve::residualCallback, this));
  SSB_PETSC(SNESSetJacobian(m_snes, J, P ? P : J, &NonlinearSolve::jacobianCallback, this));
  SSB_PETSC(SNESSetTolerances(m_snes, m_settings.atol, m_settings.rtol, m_settings.stol,
                              m_settings.maxIterations, PETSC_DEFAULT));
  if (m_settings.linearRtol > 0)
    SSB_PETSC(KSPSetTolerances(ksp(), m_settings.linearRtol, PETSC_DEFAULT, PETSC_DEFAULT, PETSC_DEFAULT));
  SSB_PETSC(SNESSetFromOptions(m_snes));
  notePetscOptionsRead(m_settings.prefix);
}

KSP NonlinearSolve::ksp() const {
  KSP k = nullptr;
  SSB_PETSC(SNESGetKSP(m_snes, &k));
  return k;
}

PetscErrorCode NonlinearSolve::residualCallback(SNES snes, Vec x, Vec f, void* ctx) {
  auto* self = static_cast<NonlinearSolve*>(ctx);
  return petscCallback(commOf(reinterpret_cast<PetscObject>(snes)), [&] { self->m_residual(x, f); });
}

PetscErrorCode NonlinearSolve::jacobianCallback(SNES snes, Vec x, Mat J, Mat P, void* ctx) {
  auto* self = static_cast<NonlinearSolve*>(ctx);
  return petscCallback(commOf(reinterpret_cast<PetscObject>(snes)), [&] { self->m_jacobian(x, J, P); });
}

void NonlinearSolve::setStepLimiter(StepLimiter limiter) {
  m_limiter = std::move(limiter);
  SNESLineSearch ls = nullptr;
  SSB_PETSC(SNESGetLineSearch(m_snes, &ls));
  SSB_PETSC(SNESLineSearchSetPreCheck(ls, m_limiter ? &NonlinearSolve::preCheckCallback : nullptr, this));
}

PetscErrorCode NonlinearSolve::preCheckCallback(SNESLineSearch ls, Vec x, Vec y, PetscBool* changed,
                                                void* ctx) {
  auto* self = static_cast<NonlinearSolve*>(ctx);
  *changed = PETSC_FALSE;
  return petscCallback(commOf(reinterpret_cast<PetscObject>(ls)), [&] {
    const double f = self->m_limiter(x, y);
    if (!(f > 0.0 && f <= 1.0))
      throwRun("{}: step limiter returned {} (must be in (0, 1])", self->m_settings.who, f);
    if (f < 1.0) {
      SSB_PETSC(VecScale(y, f));
      *changed = PETSC_TRUE;
      ++self->m_limitedSteps;
    }
  });
}

NonlinearSolveResult NonlinearSolve::solve(Vec x) {
  clearPendingCallbackException();
  m_limitedSteps = 0;
  auto t0 = std::chrono::steady_clock::now();
  NonlinearSolveResult res;
  {
    Vec f = nullptr;
    SSB_PETSC(SNESGetFunction(m_snes, &f, nullptr, nullptr));
    SSB_PETSC(SNESComputeFunction(m_snes, x, f));
    PetscReal n0 = 0;
    SSB_PETSC(VecNorm(f, NORM_2, &n0));
    res.initialResidual = static_cast<double>(n0);
  }
  SSB_PETSC(SNESSolve(m_snes, nullptr, x));
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  PetscInt its = 0, lits = 0;
  PetscReal fnorm = 0;
  SNESConvergedReason reason;
  SSB_PETSC(SNESGetIterationNumber(m_snes, &its));
  SSB_PETSC(SNESGetLinearSolveIterations(m_snes, &lits));
  SSB_PETSC(SNESGetFunctionNorm(m_snes, &fnorm));
  SSB_PETSC(SNESGetConvergedReason(m_snes, &reason));
  res.iterations = static_cast<int>(its);
  res.linearIterations = static_cast<int>(lits);
  res.limitedSteps = m_limitedSteps;
  res.finalResidual = static_cast<double>(fnorm);
  res.reason = SNESConvergedReasons[reason];
  checkSnesConverged(m_snes, m_settings.who, m_settings.prefix);
  return res;
}

void setFieldSplits(KSP ksp, const std::vector<std::pair<std::string, IS>>& splits) {
  PC pc = nullptr;
  SSB_PETSC(KSPGetPC(ksp, &pc));
  PetscBool isFieldSplit = PETSC_FALSE;
  SSB_PETSC(PetscObjectTypeCompare(reinterpret_cast<PetscObject>(pc), PCFIELDSPLIT, &isFieldSplit));
  if (!isFieldSplit) return;
  for (const auto& [name, is] : splits) SSB_PETSC(PCFieldSplitSetIS(pc, name.c_str(), is));
}

JacobianCheck checkJacobian(Mat J, Vec x, const std::function<void(Vec x, Vec f)>& residual, double scale) {
  MPI_Comm comm = commOf(reinterpret_cast<PetscObject>(J));
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  PetscInt n = 0, lo = 0, hi = 0;
  SSB_PETSC(VecGetSize(x, &n));
  SSB_PETSC(VecGetOwnershipRange(x, &lo, &hi));
  if (scale <= 0) {
    PetscReal m = 0;
    SSB_PETSC(VecNorm(x, NORM_INFINITY, &m));
    scale = m > 0 ? static_cast<double>(m) : 1.0;
  }
  VecHandle xp, fp, fm, col;
  SSB_PETSC(VecDuplicate(x, xp.out()));
  SSB_PETSC(VecDuplicate(x, fp.out()));
  SSB_PETSC(VecDuplicate(x, fm.out()));
  SSB_PETSC(MatCreateVecs(J, nullptr, col.out()));
  const size_t nLocal = static_cast<size_t>(hi - lo);
  std::vector<double> rowScale(nLocal, 0.0), rowDiff(nLocal, 0.0), rowJ(nLocal, 0.0), rowD(nLocal, 0.0);
  std::vector<PetscInt> rowCol(nLocal, -1);
  const double cbrtEps = std::cbrt(std::numeric_limits<double>::epsilon());
  double maxAbs = 0.0;
  for (PetscInt j = 0; j < n; ++j) {
    // Step for column j, known on every rank.
    double xj = 0.0;
    if (j >= lo && j < hi) {
      PetscScalar v = 0;
      SSB_PETSC(VecGetValues(x, 1, &j, &v));
      xj = static_cast<double>(v);
    }
    double hLocal = (j >= lo && j < hi) ? cbrtEps * std::max(std::abs(xj), scale) : 0.0, h = 0.0;
    MPI_Allreduce(&hLocal, &h, 1, MPI_DOUBLE, MPI_MAX, comm);
    auto evalShifted = [&](double delta, Vec f) {
      SSB_PETSC(VecCopy(x, xp));
      if (j >= lo && j < hi) SSB_PETSC(VecSetValue(xp, j, static_cast<PetscScalar>(delta), ADD_VALUES));
      SSB_PETSC(VecAssemblyBegin(xp));
      SSB_PETSC(VecAssemblyEnd(xp));
      residual(xp, f);
    };
    evalShifted(h, fp);
    evalShifted(-h, fm);
    SSB_PETSC(MatGetColumnVector(J, col, j));
    const PetscScalar *a = nullptr, *b = nullptr, *c = nullptr;
    SSB_PETSC(VecGetArrayRead(fp, &a));
    SSB_PETSC(VecGetArrayRead(fm, &b));
    SSB_PETSC(VecGetArrayRead(col, &c));
    for (size_t i = 0; i < nLocal; ++i) {
      const double d = static_cast<double>(a[i] - b[i]) / (2.0 * h);
      const double an = static_cast<double>(c[i]);
      rowScale[i] = std::max({rowScale[i], std::abs(d), std::abs(an)});
      const double diff = std::abs(an - d);
      maxAbs = std::max(maxAbs, diff);
      if (diff > rowDiff[i] || rowCol[i] < 0) {
        rowDiff[i] = diff;
        rowCol[i] = j;
        rowJ[i] = an;
        rowD[i] = d;
      }
    }
    SSB_PETSC(VecRestoreArrayRead(fp, &a));
    SSB_PETSC(VecRestoreArrayRead(fm, &b));
    SSB_PETSC(VecRestoreArrayRead(col, &c));
  }
  struct {
    double value;
    int rank;
  } mine{-1.0, rank}, best{-1.0, 0};
  size_t bestLocal = 0;
  for (size_t i = 0; i < nLocal; ++i) {
    if (rowScale[i] <= 0) continue;  // an empty row on both sides agrees
    const double rel = rowDiff[i] / rowScale[i];
    if (rel > mine.value) {
      mine.value = rel;
      bestLocal = i;
    }
  }
  MPI_Allreduce(&mine, &best, 1, MPI_DOUBLE_INT, MPI_MAXLOC, comm);
  JacobianCheck out;
  MPI_Allreduce(&maxAbs, &out.maxAbsoluteDifference, 1, MPI_DOUBLE, MPI_MAX, comm);
  out.maxRelativeDifference = std::max(best.value, 0.0);
  double info[4] = {0, 0, 0, 0};
  if (rank == best.rank && mine.value >= 0) {
    info[0] = static_cast<double>(lo + static_cast<PetscInt>(bestLocal));
    info[1] = static_cast<double>(rowCol[bestLocal]);
    info[2] = rowJ[bestLocal];
    info[3] = rowD[bestLocal];
  }
  MPI_Bcast(info, 4, MPI_DOUBLE, best.rank, comm);
  if (best.value >= 0) {
    out.row = static_cast<PetscInt>(info[0]);
    out.column = static_cast<PetscInt>(info[1]);
    out.analytic = info[2];
    out.finiteDifference = info[3];
  }
  return out;
}

}  // namespace ssb
