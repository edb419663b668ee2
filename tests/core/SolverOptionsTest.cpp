// The shared solver pieces: option layering (command line > YAML > defaults), type and value checks that
// name the YAML key, the unused-option report, PETSc's own error text in RunError, log stages, and
// LinearSolve's converged-reason checks (issue 12: no silent 0-iteration "convergence").
#include <gtest/gtest.h>
#include <petscdmda.h>
#include <petscksp.h>

#include <cmath>

#include "solver/core/Error.hpp"
#include "solver/core/LinearSolve.hpp"
#include "solver/core/PetscBridge.hpp"
#include "solver/core/SolverOptions.hpp"
#include "solver/core/TimeIntegrator.hpp"
#include "tests/core/SolverTestUtil.hpp"

namespace ssb {
namespace {

// PETSc's error dump is for --verbosity 2; the expected errors below would fill the log with it.
class QuietPetscErrors : public ::testing::Environment {
 public:
  void SetUp() override { installPetscErrorHandler(false); }
};
const auto* const kQuiet = ::testing::AddGlobalTestEnvironment(new QuietPetscErrors);

PetscOptionList yamlOptions(const std::string& yaml, const std::string& path = "studies[0].petsc_options") {
  return parsePetscOptions(YAML::Load(yaml), path);
}

std::string inputErrorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

bool inDatabase(const std::string& name) {
  PetscBool set = PETSC_FALSE;
  SSB_PETSC(PetscOptionsHasName(nullptr, nullptr, name.c_str(), &set));
  return set == PETSC_TRUE;
}

TEST(SolverOptions, TypeNamesAreCheckedAgainstThisPetsc) {
  const std::string m = inputErrorOf([] { yamlOptions("{ksp_type: nonsense_ksp}"); });
  EXPECT_NE(m.find("studies[0].petsc_options.ksp_type: 'nonsense_ksp' is not a KSP type (known: "),
            std::string::npos)
      << m;
  EXPECT_NE(m.find("gmres"), std::string::npos) << m;
  EXPECT_NE(m.find("cg,"), std::string::npos) << m;
  // Every type-valued option, also behind a sub-solver prefix.
  for (const char* bad :
       {"{pc_type: amg}", "{snes_type: newton}", "{ts_type: bdf2}", "{ts_adapt_type: pid}",
        "{pc_hypre_type: boomer}", "{fieldsplit_phi_pc_type: hypre_amg}", "{sub_ksp_type: direct}",
        "{snes_linesearch_type: backtracking}", "{pc_fieldsplit_type: schurr}",
        "{pc_factor_mat_solver_type: pardiso_nonexistent}", "{ksp_norm_type: true}"}) {
    const std::string e = inputErrorOf([&] { yamlOptions(bad); });
    EXPECT_NE(e.find("studies[0].petsc_options."), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("is not a"), std::string::npos) << bad << ": " << e;
  }
  // Valid names pass (enum values case-insensitively, as PETSc reads them).
  EXPECT_NO_THROW(yamlOptions(
      "{ksp_type: gmres, pc_type: hypre, pc_hypre_type: boomeramg, snes_type: newtonls, ts_type: bdf, "
      "ts_adapt_type: basic, snes_linesearch_type: bt, pc_fieldsplit_type: schur, fieldsplit_phi_pc_type: "
      "gamg, "
      "pc_factor_mat_solver_type: mumps, ksp_norm_type: UNPRECONDITIONED, ksp_monitor: }"));
}

TEST(SolverOptions, MalformedMappingsNameThePath) {
  EXPECT_NE(inputErrorOf([] {
              yamlOptions("[ksp_type, gmres]");
            }).find("studies[0].petsc_options: expected a mapping"),
            std::string::npos);
  EXPECT_NE(inputErrorOf([] { yamlOptions("{ksp_type: [a, b]}"); }).find("studies[0].petsc_options.ksp_type"),
            std::string::npos);
  EXPECT_NE(inputErrorOf([] { yamlOptions("{'ksp_rtol 1e-3': }"); }).find("contains a blank"),
            std::string::npos);
}

TEST(SolverOptions, DryRunRejectsBadValuesNamingTheKey) {
  const PetscOptionList spd = defaultSolverOptions(SystemKind::SymmetricPositiveDefinite);
  // A number that is not a number.
  std::string m = inputErrorOf([&] {
    checkPetscOptions(yamlOptions("{ksp_max_it: 50, ksp_rtol: abc}"), "chk_", SolverLevel::Linear, spd);
  });
  EXPECT_NE(m.find("studies[0].petsc_options.ksp_rtol: PETSc rejects 'abc'"), std::string::npos) << m;
  // An enum value of the default preconditioner (hypre is chosen by the defaults, not by the user).
  m = inputErrorOf([&] {
    checkPetscOptions(yamlOptions("{pc_hypre_boomeramg_coarsen_type: nonsense}"), "chk_", SolverLevel::Linear,
                      spd);
  });
  EXPECT_NE(m.find("studies[0].petsc_options.pc_hypre_boomeramg_coarsen_type"), std::string::npos) << m;
  // Transient level: the TS, its SNES and its KSP read under one prefix.
  m = inputErrorOf([&] {
    checkPetscOptions(yamlOptions("{ts_bdf_order: two}"), "chk_", SolverLevel::Transient,
                      TimeIntegrator::defaultOptions(SystemKind::General));
  });
  EXPECT_NE(m.find("studies[0].petsc_options.ts_bdf_order"), std::string::npos) << m;
  m = inputErrorOf([&] {
    checkPetscOptions(yamlOptions("{snes_max_it: many}"), "chk_", SolverLevel::Nonlinear,
                      NonlinearSolve::defaultOptions(SystemKind::General));
  });
  EXPECT_NE(m.find("studies[0].petsc_options.snes_max_it"), std::string::npos) << m;
  // Good options pass at every level, and the dry run leaves nothing behind in PETSc's database.
  for (SolverLevel level : {SolverLevel::Linear, SolverLevel::Nonlinear, SolverLevel::Transient})
    EXPECT_NO_THROW(checkPetscOptions(yamlOptions("{ksp_rtol: 1e-6, ksp_type: gmres, ts_bdf_order: 3}"),
                                      "chk_", level, TimeIntegrator::defaultOptions(SystemKind::General)));
  EXPECT_FALSE(inDatabase("-chk_ksp_rtol"));
  EXPECT_FALSE(inDatabase("-chk_ksp_type"));
  EXPECT_FALSE(inDatabase("-chk_pc_type"));
}

std::string kspTypeUnder(const std::string& prefix) {
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(PETSC_COMM_WORLD, ksp.out()));
  SSB_PETSC(KSPSetOptionsPrefix(ksp, prefix.c_str()));
  SSB_PETSC(KSPSetFromOptions(ksp));
  KSPType t = nullptr;
  SSB_PETSC(KSPGetType(ksp, &t));
  return t;
}

TEST(SolverOptions, CommandLineBeatsYamlBeatsDefaults) {
  const PetscOptionList defaults = {{"ksp_type", "cg"}};
  {
    SolverOptions o("layer_", "test", {}, defaults);
    EXPECT_EQ(kspTypeUnder("layer_"), "cg");
  }
  {
    SolverOptions o("layer_", "test", yamlOptions("{ksp_type: gmres}"), defaults);
    EXPECT_EQ(kspTypeUnder("layer_"), "gmres");
  }
  SSB_PETSC(PetscOptionsSetValue(nullptr, "-layer_ksp_type", "bcgs"));  // as if given after `--`
  {
    SolverOptions o("layer_", "test", yamlOptions("{ksp_type: gmres}"), defaults);
    EXPECT_EQ(kspTypeUnder("layer_"), "bcgs");
  }
  EXPECT_TRUE(inDatabase("-layer_ksp_type"));  // the command line's own option stays
  SSB_PETSC(PetscOptionsClearValue(nullptr, "-layer_ksp_type"));
  { SolverOptions o("layer_", "test", yamlOptions("{ksp_type: gmres}"), defaults); }
  EXPECT_FALSE(inDatabase("-layer_ksp_type"));  // scoped options are gone with their scope
}

// A 1-D Dirichlet Laplacian with b = scale * e_0: solution x_i = scale' (n - i) / (n + 1) for the matrix
// scaled by `scale` too, so x does not depend on `scale`.
struct Chain {
  static constexpr PetscInt n = 40;
  VecHandle b = test::makeVec(n), x = test::makeVec(n);
  MatHandle A = test::makeMat(b, 3);
  explicit Chain(double scale, double rhs) {
    test::assembleLaplacian(A, scale);
    test::fill(b, [&](PetscInt i) { return i == 0 ? rhs : 0.0; });
  }
  static double exact(PetscInt i) { return static_cast<double>(n - i) / static_cast<double>(n + 1); }
};

TEST(SolverOptions, UnusedYamlOptionsAreReportedWithTheirKey) {
  (void)takeUnusedPetscOptions();  // start clean
  {
    ScopedPetscOptions study;
    study.insert("unused_", yamlOptions("{ksp_rtoll: 1e-3, ksp_max_it: 500}", "studies[2].petsc_options"));
    Chain c(1.0, 1.0);
    solveLinear(c.A, c.b, c.x, SystemKind::SymmetricPositiveDefinite, "unused_", 1e-10, "test");
  }
  {
    // Options of a study whose solver never ran are not reported (nothing read them, nothing could).
    ScopedPetscOptions study;
    study.insert("neverrun_", yamlOptions("{ksp_typo: 1}", "studies[3].petsc_options"));
  }
  SSB_PETSC(PetscOptionsSetValue(nullptr, "-cmdline_option_nobody_reads", "7"));
  const auto unused = takeUnusedPetscOptions();
  SSB_PETSC(PetscOptionsClearValue(nullptr, "-cmdline_option_nobody_reads"));
  bool typo = false, cmd = false;
  for (const auto& u : unused) {
    EXPECT_NE(u.name, "-unused_ksp_max_it");  // read by KSPSetFromOptions
    EXPECT_NE(u.name, "-neverrun_ksp_typo");
    if (u.name == "-unused_ksp_rtoll") {
      typo = true;
      EXPECT_EQ(u.source, "studies[2].petsc_options.ksp_rtoll");
      EXPECT_EQ(u.value, "1e-3");
    }
    if (u.name == "-cmdline_option_nobody_reads") {
      cmd = true;
      EXPECT_EQ(u.source, "command line");
    }
  }
  EXPECT_TRUE(typo);
  EXPECT_TRUE(cmd);
  EXPECT_TRUE(takeUnusedPetscOptions().size() < unused.size());  // the YAML record was taken
}

TEST(PetscBridge, RunErrorCarriesPetscsOwnMessage) {
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(PETSC_COMM_WORLD, ksp.out()));
  try {
    SSB_PETSC(KSPSetType(ksp, "no_such_krylov"));
    ADD_FAILURE() << "no error";
  } catch (const RunError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("no_such_krylov"), std::string::npos)
        << m;  // PETSc's specific text, not only "error 86"
    EXPECT_NE(m.find("KSPSetType"), std::string::npos) << m;
  }
}

TEST(PetscBridge, LogStagesNest) {
  {
    ScopedLogStage outer("ssb test phase");
    ScopedLogStage inner("ssb test inner phase");
  }
  ScopedLogStage again("ssb test phase");  // registered once, pushed again
  PetscLogStage id = -1;
  SSB_PETSC(PetscLogStageGetId("ssb test phase", &id));
  EXPECT_GE(id, 0);
}

// ---------------------------------------------------------------------------------------------------------
// LinearSolve

TEST(LinearSolve, SolvesAndNamesWhoWhenItDiverges) {
  Chain c(1.0, 1.0);
  LinearSolveResult r =
      solveLinear(c.A, c.b, c.x, SystemKind::SymmetricPositiveDefinite, "lin_", 1e-10, "test");
  EXPECT_LT(test::maxError(c.x, Chain::exact), 1e-8);
  EXPECT_LE(r.relativeResidual, 1e-10);
  EXPECT_GT(r.iterations, 0);
  for (SystemKind kind : {SystemKind::General, SystemKind::Direct}) {
    Chain d(1.0, 1.0);
    solveLinear(d.A, d.b, d.x, kind, "lin_", 1e-10, "test");
    EXPECT_LT(test::maxError(d.x, Chain::exact), 1e-8);
  }
  ScopedPetscOptions study;
  study.insert("stubborn_", yamlOptions("{pc_type: none, ksp_max_it: 2}"));
  try {
    Chain e(1.0, 1.0);
    solveLinear(e.A, e.b, e.x, SystemKind::SymmetricPositiveDefinite, "stubborn_", 1e-10,
                "studies[0] (test 'x')");
    ADD_FAILURE() << "no divergence";
  } catch (const RunError& ex) {
    const std::string m = ex.what();
    EXPECT_NE(m.find("studies[0] (test 'x')"), std::string::npos) << m;
    EXPECT_NE(m.find("DIVERGED_ITS"), std::string::npos) << m;
    EXPECT_NE(m.find("stubborn_"), std::string::npos) << m;
  }
}

// LinearSolver keeps its preconditioner across solves while it works. With CG + an exact factorisation of the
// chain's matrix: (1) the set-up solve takes 1 iteration; (2) the matrix and b doubled: the old factor is
// half the new inverse, CG still needs 1 iteration, no set-up; (3) the matrix shifted by 100 I: the old
// factor is a poor preconditioner (eigenvalues 1 + 100 / lambda(A) up to ~1e4), CG converges in more than 2 x
// 1 + 5 iterations, and the next solve sets up afresh (1 iteration again); (4) with ksp_max_it 4 the reused
// preconditioner fails on the shifted matrix and the same call sets up afresh and converges.
TEST(LinearSolve, LinearSolverReusesItsPreconditionerWhileItWorks) {
  ScopedPetscOptions opts;
  opts.insert("reuse_", yamlOptions("{ksp_type: cg, pc_type: lu, pc_factor_mat_solver_type: mumps}"));
  opts.insert("reuse_short_",
              yamlOptions("{ksp_type: cg, pc_type: lu, pc_factor_mat_solver_type: mumps, ksp_max_it: 4}"));
  for (const char* prefix : {"reuse_", "reuse_short_"}) {
    SCOPED_TRACE(prefix);
    const bool shortLimit = std::string(prefix) == "reuse_short_";
    Chain c(1.0, 1.0);
    LinearSolver solver(SystemKind::SymmetricPositiveDefinite, prefix);
    EXPECT_FALSE(solver.reusesPreconditioner());
    LinearSolveResult r = solver.solve(c.A, c.b, c.x, 1e-10, "test");
    EXPECT_FALSE(r.reusedPreconditioner);
    EXPECT_EQ(r.iterations, 1);
    EXPECT_LT(test::maxError(c.x, Chain::exact), 1e-8);
    EXPECT_TRUE(solver.reusesPreconditioner());

    test::assembleLaplacian(c.A, 2.0);
    test::fill(c.b, [](PetscInt i) { return i == 0 ? 2.0 : 0.0; });
    r = solver.solve(c.A, c.b, c.x, 1e-10, "test");
    EXPECT_TRUE(r.reusedPreconditioner);
    EXPECT_EQ(r.setupSeconds, 0.0);
    EXPECT_EQ(r.iterations, 1);
    EXPECT_LT(test::maxError(c.x, Chain::exact), 1e-8);

    SSB_PETSC(MatShift(c.A, 100.0));
    r = solver.solve(c.A, c.b, c.x, 1e-10, "test");
    EXPECT_LE(r.relativeResidual, 1e-10);
    if (shortLimit) {  // failed with the old factor, redone with a new one in the same call
      EXPECT_FALSE(r.reusedPreconditioner);
      EXPECT_EQ(r.iterations, 1);
    } else {  // converged with the old factor, but slowly: the next solve sets up afresh
      EXPECT_TRUE(r.reusedPreconditioner);
      EXPECT_GT(r.iterations, LinearSolver::kStaleFactor * 1 + LinearSolver::kStaleSlack);
      EXPECT_FALSE(solver.reusesPreconditioner());
      r = solver.solve(c.A, c.b, c.x, 1e-10, "test");
      EXPECT_FALSE(r.reusedPreconditioner);
      EXPECT_EQ(r.iterations, 1);
    }
    EXPECT_TRUE(solver.reusesPreconditioner());
  }
}

TEST(LinearSolve, ZeroIterationConvergenceWithNonzeroRhsIsAnError) {
  // Issue 12: coefficients of 1e-300 make |b|^2 underflow to 0 inside the Krylov method, which then
  // "converges" at once with x = 0. The same system at scale 1 needs many iterations.
  Chain tiny(1e-300, 1e-300);
  try {
    solveLinear(tiny.A, tiny.b, tiny.x, SystemKind::SymmetricPositiveDefinite, "tiny_", 1e-8, "scaled test");
    // If this PETSc does converge properly, the answer must be right.
    EXPECT_LT(test::maxError(tiny.x, Chain::exact), 1e-6);
    if (test::rank() == 0) std::printf("  scale 1e-300: converged to the right answer\n");
  } catch (const RunError& e) {
    const std::string m = e.what();
    if (test::rank() == 0) std::printf("  scale 1e-300: %s\n", e.what());
    EXPECT_NE(m.find("scaled test"), std::string::npos) << m;
    EXPECT_TRUE(m.find("0 iterations") != std::string::npos ||
                m.find("did not converge") != std::string::npos)
        << m;
  }
  // The rule itself, independent of how a PETSc version handles underflow: a tolerance that the
  // zero guess already meets (atol above |b|) gives 0 iterations with b != 0.
  ScopedPetscOptions loose;
  loose.insert("loose_", yamlOptions("{ksp_atol: 10}"));
  Chain c(1.0, 1.0);
  try {
    solveLinear(c.A, c.b, c.x, SystemKind::SymmetricPositiveDefinite, "loose_", 1e-8, "loose test");
    ADD_FAILURE() << "0 iterations accepted";
  } catch (const RunError& e) {
    EXPECT_NE(std::string(e.what()).find("after 0 iterations from a zero initial guess"), std::string::npos)
        << e.what();
  }
  // b = 0 exactly: x = 0 after 0 iterations is the right answer.
  Chain zero(1.0, 0.0);
  LinearSolveResult r =
      solveLinear(zero.A, zero.b, zero.x, SystemKind::SymmetricPositiveDefinite, "zero_", 1e-8, "t");
  EXPECT_EQ(r.iterations, 0);
  EXPECT_EQ(test::maxError(zero.x, [](PetscInt) { return 0.0; }), 0.0);
}

// Geometric multigrid levels of a node DMDA (3 dof): each level halves every axis (bounded: an odd node count
// M -> (M - 1) / 2 + 1; periodic: an even M -> M / 2), keeps >= 3 nodes per axis and >= 2 owned nodes per
// axis on every rank. On one rank: 17 -> 9 -> 5 -> 3 (4 levels); 13 -> 7 -> 4 (3; 4 nodes cannot halve);
// 14 (even, bounded): 1; periodic 16 -> 8 -> 4 (3); 129 -> 65 -> 33 -> 17 -> 9 -> 5 -> 3 (7). With more
// ranks the owned-node bound can only lower these.
TEST(LinearSolve, GeometricLevelsOfANodeGrid) {
  auto levels = [](PetscInt M, bool periodic, MPI_Comm comm) {
    DM dm = nullptr;
    const DMBoundaryType b = periodic ? DM_BOUNDARY_PERIODIC : DM_BOUNDARY_NONE;
    SSB_PETSC(DMDACreate3d(comm, b, b, b, DMDA_STENCIL_BOX, M, M, M, PETSC_DECIDE, PETSC_DECIDE, PETSC_DECIDE,
                           3, 1, nullptr, nullptr, nullptr, &dm));
    SSB_PETSC(DMSetUp(dm));
    const int l = geometricLevels(dm);
    SSB_PETSC(DMDestroy(&dm));
    return l;
  };
  EXPECT_EQ(levels(17, false, PETSC_COMM_SELF), 4);
  EXPECT_EQ(levels(13, false, PETSC_COMM_SELF), 3);
  EXPECT_EQ(levels(14, false, PETSC_COMM_SELF), 1);
  EXPECT_EQ(levels(16, true, PETSC_COMM_SELF), 3);
  EXPECT_EQ(levels(129, false, PETSC_COMM_SELF), 7);
  // The rule without a grid (the size check's estimate): the same counts, and the owned-node limit.
  const std::array<bool, 3> bounded{false, false, false}, periodic{true, true, true};
  EXPECT_EQ(geometricLevels({17, 17, 17}, bounded, 3, 17), 4);
  EXPECT_EQ(geometricLevels({14, 14, 14}, bounded, 3, 14), 1);
  EXPECT_EQ(geometricLevels({16, 16, 16}, periodic, 3, 16), 3);
  EXPECT_EQ(geometricLevels({129, 129, 129}, bounded, 3, 129), 7);
  EXPECT_EQ(geometricLevels({129, 129, 129}, bounded, 3, 64), 6);  // 64 -> 32 -> 16 -> 8 -> 4 -> 2
  EXPECT_EQ(geometricLevels({129, 129, 17}, bounded, 3, 17), 4);   // the smallest axis decides
  for (PetscInt M : {17, 13, 33}) {
    const int all = levels(M, false, PETSC_COMM_WORLD), one = levels(M, false, PETSC_COMM_SELF);
    EXPECT_LE(all, one) << M;
    EXPECT_GE(all, 1) << M;
    int lo = all, hi = all;
    MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT, MPI_MIN, PETSC_COMM_WORLD);
    MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD);
    EXPECT_EQ(lo, hi) << M;  // the same on every rank (collective)
  }
}

}  // namespace
}  // namespace ssb
