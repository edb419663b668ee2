// NonlinearSolve (PETSc SNES) on a problem with a known root and an analytic Jacobian, the Jacobian
// check helper (it must pass the right Jacobian and catch a wrong one), fieldsplit set-up from index sets,
// divergence and exceptions from the callbacks.
//
// Problem: F(x) = A x + x^3 - b (x^3 entrywise), A the 1-D Dirichlet Laplacian tridiag(-1, 2, -1),
// b = A x* + x*^3 for x*_i = 1 + sin(pi (i + 1) / (n + 1)). F is the gradient of the strictly convex
// phi(x) = x'Ax/2 + sum x_i^4/4 - b'x (A is SPD, x^4 convex), so x* is its only root.
// Jacobian: A + diag(3 x^2).
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <tuple>

#include "solver/core/Error.hpp"
#include "solver/core/NonlinearSolve.hpp"
#include "tests/core/SolverTestUtil.hpp"

namespace ssb {
namespace {

struct Cubic {
  static constexpr PetscInt n = 30;
  static double exact(PetscInt i) { return 1.0 + std::sin(M_PI * static_cast<double>(i + 1) / (n + 1)); }
  double jacobianFactor = 3.0;  // 3 is right; anything else is a wrong Jacobian for the check to catch
  VecHandle x = test::makeVec(n), r = test::makeVec(n), b = test::makeVec(n);
  MatHandle A = test::makeMat(x, 3), J;
  Cubic() {
    test::assembleLaplacian(A, 1.0);
    SSB_PETSC(MatDuplicate(A, MAT_COPY_VALUES, J.out()));
    VecHandle xs = test::makeVec(n);
    test::fill(xs, exact);
    SSB_PETSC(MatMult(A, xs, b));
    test::fill(x, [&](PetscInt i) { return std::pow(exact(i), 3); });
    SSB_PETSC(VecAXPY(b, 1.0, x));
    SSB_PETSC(VecSet(x, 0.0));
  }
  void residual(Vec v, Vec f) const {
    SSB_PETSC(MatMult(A, v, f));
    PetscInt lo = 0, hi = 0;
    SSB_PETSC(VecGetOwnershipRange(v, &lo, &hi));
    const PetscScalar *a = nullptr, *bb = nullptr;
    PetscScalar* ff = nullptr;
    SSB_PETSC(VecGetArrayRead(v, &a));
    SSB_PETSC(VecGetArrayRead(b, &bb));
    SSB_PETSC(VecGetArray(f, &ff));
    for (PetscInt i = 0; i < hi - lo; ++i) ff[i] += a[i] * a[i] * a[i] - bb[i];
    SSB_PETSC(VecRestoreArray(f, &ff));
    SSB_PETSC(VecRestoreArrayRead(b, &bb));
    SSB_PETSC(VecRestoreArrayRead(v, &a));
  }
  void jacobian(Vec v, Mat Jm) const {
    SSB_PETSC(MatCopy(A, Jm, SAME_NONZERO_PATTERN));
    VecHandle d;
    SSB_PETSC(VecDuplicate(v, d.out()));
    SSB_PETSC(VecPointwiseMult(d, v, v));
    SSB_PETSC(VecScale(d, jacobianFactor));
    SSB_PETSC(MatDiagonalSet(Jm, d, ADD_VALUES));
  }
  NonlinearSolveSettings settings() const {
    NonlinearSolveSettings s;
    s.prefix = "cubic_";
    s.who = "cubic test";
    s.rtol = 1e-12;
    s.atol = 1e-13;
    s.extraDefaults = {{"ksp_rtol", "1e-12"}};
    return s;
  }
  std::unique_ptr<NonlinearSolve> solver(NonlinearSolveSettings s) {
    return std::make_unique<NonlinearSolve>(
        PETSC_COMM_WORLD, std::move(s), r, [this](Vec v, Vec f) { residual(v, f); }, J, J,
        [this](Vec v, Mat Jm, Mat) { jacobian(v, Jm); });
  }
};

TEST(NonlinearSolve, FindsTheKnownRootWithNewtonsRate) {
  Cubic c;
  auto s = c.solver(c.settings());
  NonlinearSolveResult res = s->solve(c.x);
  EXPECT_LT(test::maxError(c.x, Cubic::exact), 1e-10);
  EXPECT_LE(res.iterations, 10);  // quadratic convergence from x = 0
  EXPECT_GT(res.initialResidual, 1.0);
  EXPECT_LT(res.finalResidual, 1e-11);
  EXPECT_GE(res.linearIterations, res.iterations);
}

TEST(NonlinearSolve, StepLimiterBoundsEveryNewtonStep) {
  // From x = 0 the first Newton step of the cubic problem changes x by up to ~1.6 (x* reaches 2). A limiter
  // that scales the direction to a max-norm of 0.25 must be obeyed by every accepted step (plain Newton,
  // so that the line search does not shorten the steps further and hide a limiter that does nothing), and
  // the solve must still reach the root; the count of limited steps is reported.
  Cubic c;
  NonlinearSolveSettings st = c.settings();
  st.extraDefaults.push_back({"snes_linesearch_type", "basic"});
  auto s = c.solver(st);
  constexpr double kMax = 0.25;
  int calls = 0;
  s->setStepLimiter([&](Vec, Vec y) {
    ++calls;
    PetscReal m = 0;
    SSB_PETSC(VecNorm(y, NORM_INFINITY, &m));
    return m > kMax ? kMax / static_cast<double>(m) : 1.0;
  });
  VecHandle prev = test::makeVec(Cubic::n), d = test::makeVec(Cubic::n);
  double maxChange = 0.0;
  SSB_PETSC(SNESMonitorSet(
      s->snes(),
      [](SNES sn, PetscInt it, PetscReal, void* ctx) -> PetscErrorCode {
        auto* st2 = static_cast<std::tuple<Vec, Vec, double*>*>(ctx);
        Vec x = nullptr;
        PetscCall(SNESGetSolution(sn, &x));
        if (it > 0) {
          PetscReal m = 0;
          PetscCall(VecWAXPY(std::get<1>(*st2), -1.0, std::get<0>(*st2), x));
          PetscCall(VecNorm(std::get<1>(*st2), NORM_INFINITY, &m));
          *std::get<2>(*st2) = std::max(*std::get<2>(*st2), static_cast<double>(m));
        }
        PetscCall(VecCopy(x, std::get<0>(*st2)));
        return 0;
      },
      new std::tuple<Vec, Vec, double*>(prev, d, &maxChange),
      [](void** ctx) -> PetscErrorCode {
        delete static_cast<std::tuple<Vec, Vec, double*>*>(*ctx);
        return 0;
      }));
  const NonlinearSolveResult res = s->solve(c.x);
  EXPECT_LT(test::maxError(c.x, Cubic::exact), 1e-10);
  EXPECT_GE(res.limitedSteps, 4);  // 1.6 / 0.25 > 6 steps of the first stretch are cut
  EXPECT_GE(calls, res.iterations);
  EXPECT_LE(maxChange, kMax * (1 + 1e-12));
  EXPECT_GT(maxChange, 0.9 * kMax);

  // A limiter outside (0, 1] is a programming error reported by name, not a silent zero step.
  Cubic c2;
  auto s2 = c2.solver(c2.settings());
  s2->setStepLimiter([](Vec, Vec) { return 0.0; });
  try {
    s2->solve(c2.x);
    FAIL() << "no error for a zero step factor";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("step limiter"), std::string::npos) << e.what();
  }
}

TEST(NonlinearSolve, JacobianCheckPassesRightAndCatchesWrong) {
  Cubic c;
  test::fill(c.x, [](PetscInt i) { return 0.3 + 0.05 * static_cast<double>(i); });
  auto f = [&](Vec v, Vec out) { c.residual(v, out); };
  c.jacobian(c.x, c.J);
  JacobianCheck good = checkJacobian(c.J, c.x, f);
  EXPECT_LT(good.maxRelativeDifference, 1e-8) << "row " << good.row << " col " << good.column;
  c.jacobianFactor = 2.0;  // d(x^3)/dx written as 2 x^2
  c.jacobian(c.x, c.J);
  JacobianCheck bad = checkJacobian(c.J, c.x, f);
  EXPECT_GT(bad.maxRelativeDifference, 0.05);
  EXPECT_EQ(bad.row, bad.column);  // the wrong entries are the diagonal ones
  const double xi = 0.3 + 0.05 * static_cast<double>(bad.row);
  EXPECT_NEAR(bad.finiteDifference - bad.analytic, xi * xi, 1e-6);  // 3 x^2 - 2 x^2
}

TEST(NonlinearSolve, FieldSplitFromIndexSets) {
  // Two "fields": even and odd unknowns (owned indices only, as physics builds them from its DofMap).
  Cubic c;
  NonlinearSolveSettings st = c.settings();
  st.userOptions = {{"pc_type", "fieldsplit"}, {"pc_fieldsplit_type", "additive"}};
  auto s = c.solver(st);
  PetscInt lo = 0, hi = 0;
  SSB_PETSC(VecGetOwnershipRange(c.x, &lo, &hi));
  std::vector<PetscInt> even, odd;
  for (PetscInt i = lo; i < hi; ++i) (i % 2 ? odd : even).push_back(i);
  ISHandle isEven, isOdd;
  SSB_PETSC(ISCreateGeneral(PETSC_COMM_WORLD, static_cast<PetscInt>(even.size()), even.data(),
                            PETSC_COPY_VALUES, isEven.out()));
  SSB_PETSC(ISCreateGeneral(PETSC_COMM_WORLD, static_cast<PetscInt>(odd.size()), odd.data(),
                            PETSC_COPY_VALUES, isOdd.out()));
  setFieldSplits(s->ksp(), {{"even", isEven}, {"odd", isOdd}});
  s->solve(c.x);
  EXPECT_LT(test::maxError(c.x, Cubic::exact), 1e-10);
  PC pc = nullptr;
  SSB_PETSC(KSPGetPC(s->ksp(), &pc));
  PetscInt nsplits = 0;
  KSP* subs = nullptr;
  SSB_PETSC(PCFieldSplitGetSubKSP(pc, &nsplits, &subs));
  EXPECT_EQ(nsplits, 2);
  const char* prefix = nullptr;
  SSB_PETSC(KSPGetOptionsPrefix(subs[0], &prefix));
  EXPECT_STREQ(prefix, "cubic_fieldsplit_even_");  // users tune a split by its name
  SSB_PETSC(PetscFree(subs));
  // Without fieldsplit the same call does nothing.
  Cubic d;
  auto plain = d.solver(d.settings());
  EXPECT_NO_THROW(setFieldSplits(plain->ksp(), {{"even", isEven}}));
}

TEST(NonlinearSolve, DivergenceNamesWhoAndPrefix) {
  Cubic c;
  NonlinearSolveSettings st = c.settings();
  st.maxIterations = 1;
  auto s = c.solver(st);
  try {
    s->solve(c.x);
    ADD_FAILURE() << "no divergence";
  } catch (const RunError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cubic test"), std::string::npos) << m;
    EXPECT_NE(m.find("DIVERGED_MAX_IT"), std::string::npos) << m;
    EXPECT_NE(m.find("cubic_"), std::string::npos) << m;
  }
}

TEST(NonlinearSolve, CallbackExceptionsKeepTheirType) {
  const bool last = test::rank() == test::size() - 1;
  {
    Cubic c;
    NonlinearSolve s(
        PETSC_COMM_WORLD, c.settings(), c.r,
        [&](Vec v, Vec f) {
          c.residual(v, f);
          if (last) throw InputError("phases.LPS.conductivity: NaN at voxel (3, 4, 5)");
        },
        c.J, c.J, [&](Vec v, Mat Jm, Mat) { c.jacobian(v, Jm); });
    try {
      s.solve(c.x);
      ADD_FAILURE() << "no exception";
    } catch (const InputError& e) {  // on every rank, as an InputError (exit 2), with its own message
      EXPECT_STREQ(e.what(), "phases.LPS.conductivity: NaN at voxel (3, 4, 5)");
    }
  }
  {
    Cubic c;
    NonlinearSolve s(
        PETSC_COMM_WORLD, c.settings(), c.r, [&](Vec v, Vec f) { c.residual(v, f); }, c.J, c.J,
        [&](Vec, Mat, Mat) { throw RunError("Jacobian assembly failed"); });
    EXPECT_THROW(s.solve(c.x), RunError);
  }
}

}  // namespace
}  // namespace ssb
