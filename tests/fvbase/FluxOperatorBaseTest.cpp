// FluxOperator on the finite-volume base: face weights multiply the face conductances (series-resistance
// answers, derivation below), and a bad coefficient on one rank only is an error on every rank instead of
// a hang in the constructor's collective calls (the ctest timeout catches a hang).
#include <gtest/gtest.h>
#include <petscksp.h>

#include <limits>

#include "physics/FluxOperator.hpp"
#include "solver/core/Error.hpp"
#include "tests/fvbase/FvTestUtil.hpp"

namespace ssb {
namespace {

struct Currents {
  double in, out, power;
};

Currents solve(const FluxOperator& op) {
  VecHandle b = op.createVector(), x = op.createVector();
  MatHandle A = op.createMatrix(b);
  KSPHandle ksp;
  SSB_PETSC(KSPCreate(op.grid().comm(), ksp.out()));
  SSB_PETSC(KSPSetOperators(ksp, A, A));
  SSB_PETSC(KSPSetType(ksp, KSPCG));
  SSB_PETSC(KSPSetTolerances(ksp, 1e-14, 0.0, PETSC_DEFAULT, 1000));
  SSB_PETSC(KSPSolve(ksp, b, x));
  const int ax = kX;
  return {op.boundaryCurrent(x, faceIndex(ax, false)), -op.boundaryCurrent(x, faceIndex(ax, true)),
          op.dissipation(x)};
}

// A uniform block (k, voxels h) driven along x from 1 V to 0 V: each of the ny nz columns is a chain of
// resistors. Between two centres a link is h / (k A) with A = hy hz the face area; with the Dirichlet value
// on the face, the boundary half-cells are h / (2 k A). A face weight w multiplies a face's conductance,
// i.e. divides its resistance by w. Weights: w1 on the plane of x-faces between layers 2 and 3, w0 on the
// x-low domain face. Column resistance:
//   face convention:    R = h/(2kA w0) + (N - 2) h/(kA) + h/(kA w1) + h/(2kA)
//   pinned convention:  R = (N - 2) h/(kA) + h/(kA w1)      (layers 0 and N - 1 hold the values; N - 1 links)
// and the current for 1 V is ny nz / R; the dissipated power equals it (1 V).
TEST(FluxOperatorWeights, WeightedFacesAreSeriesResistances) {
  const std::array<int64_t, 3> n{8, 3, 2};
  const std::array<double, 3> h{2e-6, 1e-6, 1.5e-6};
  auto grid = test::makeGrid(n, h);
  const double k = 0.7, A = h[1] * h[2], hx = h[0];
  const double N = static_cast<double>(n[0]), cols = static_cast<double>(n[1] * n[2]);
  std::vector<double> coef(static_cast<size_t>(grid->owned().voxels()), k);
  for (double w1 : {1.0, 0.25, 0.0}) {
    const double w0 = 0.5;
    auto weights = std::make_shared<FaceWeights>(*grid);
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t kk, int64_t) {
      if (i == 2) weights->setHigh(kX, {i, j, kk}, w1);
      if (i == 0) weights->setLowDomain(kX, {i, j, kk}, w0);
    });
    weights->exchange();
    for (auto placement : {DirichletPlacement::Face, DirichletPlacement::PinnedLayer}) {
      const bool face = placement == DirichletPlacement::Face;
      FluxOperator op(*grid, coef, {}, FluxBoundary::drive(kX, 1.0, 0.0, true, placement), weights);
      const Currents c = solve(op);
      const double link = hx / (k * A);
      const double expected = w1 == 0.0
                                  ? 0.0
                                  : cols / (face ? link / (2 * w0) + (N - 2) * link + link / w1 + link / 2
                                                 : (N - 2) * link + link / w1);
      const double scale = cols / (N * link);  // the unweighted current, for the tolerances
      EXPECT_NEAR(c.in, expected, 1e-10 * scale) << "w1 " << w1 << (face ? " face" : " pinned");
      EXPECT_NEAR(c.out, expected, 1e-10 * scale) << "w1 " << w1 << (face ? " face" : " pinned");
      EXPECT_NEAR(c.power, expected, 1e-10 * scale) << "w1 " << w1 << (face ? " face" : " pinned");
    }
  }
}

TEST(FluxOperatorWeights, WeightsOfAnotherGridOrNotExchangedAreRefused) {
  auto grid = test::makeGrid({6, 4, 3});
  auto other = test::makeGrid({6, 4, 3});
  std::vector<double> coef(static_cast<size_t>(grid->owned().voxels()), 1.0);
  const auto bc = FluxBoundary::drive(kX, 1.0, 0.0, false, DirichletPlacement::Face);
  auto stale = std::make_shared<FaceWeights>(*grid);
  stale->setHigh(kX, grid->owned().lo, 0.5);
  EXPECT_THROW(FluxOperator(*grid, coef, {}, bc, stale), RunError);
  EXPECT_THROW(FluxOperator(*grid, coef, {}, bc, std::make_shared<FaceWeights>(*other)), RunError);
}

// The constructor checks each rank's coefficients before its first collective call; a bad value on one
// rank must reach every rank as the same RunError (before: the other ranks waited in MPI_Allreduce).
TEST(FluxOperatorErrors, BadCoefficientOnOneRankIsAnErrorOnEveryRank) {
  auto grid = test::makeGrid({8, 6, 4});
  const bool last = test::worldRank() == test::worldSize() - 1;
  const Box3& o = grid->owned();
  for (double bad :
       {std::numeric_limits<double>::quiet_NaN(), -1.0, std::numeric_limits<double>::infinity()}) {
    std::vector<double> coef(static_cast<size_t>(o.voxels()), 1.0);
    if (last) coef[coef.size() / 2] = bad;
    int64_t x = 0, y = 0, z = 0;
    grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      if (static_cast<size_t>(l) == coef.size() / 2) x = i, y = j, z = k;
    });
    // Every rank expects the last rank's voxel in the message.
    int64_t where[3] = {x, y, z};
    MPI_Bcast(where, 3, MPI_INT64_T, test::worldSize() - 1, PETSC_COMM_WORLD);
    try {
      FluxOperator op(*grid, coef, {}, FluxBoundary::drive(kZ, 1.0, 0.0, false, DirichletPlacement::Face));
      ADD_FAILURE() << "no error for " << bad;
    } catch (const RunError& e) {
      const std::string w = e.what();
      EXPECT_NE(w.find("negative or not finite"), std::string::npos) << w;
      EXPECT_NE(w.find(fmt::format("(x={}, y={}, z={})", where[0], where[1], where[2])), std::string::npos)
          << w;
    }
  }
  // A coefficient vector of the wrong size on one rank only.
  std::vector<double> coef(static_cast<size_t>(o.voxels()) + (last ? 1 : 0), 1.0);
  EXPECT_THROW(
      FluxOperator(*grid, coef, {}, FluxBoundary::drive(kZ, 1.0, 0.0, false, DirichletPlacement::Face)),
      RunError);
  // The operator still works afterwards (no rank left behind in a collective call).
  std::vector<double> good(static_cast<size_t>(o.voxels()), 1.0);
  FluxOperator op(*grid, good, {}, FluxBoundary::drive(kZ, 1.0, 0.0, false, DirichletPlacement::Face));
  EXPECT_EQ(op.unknowns(), 8 * 6 * 4);
}

}  // namespace
}  // namespace ssb
