// Slender parts (physics/SlenderParts.hpp) and the finest smoother's exact solves on them (LinearSolve,
// MultigridHierarchy::fineBlock). Runs on 1 and 2 ranks; the volumes are split across the rank boundary.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>
#include <string>

#include "physics/SlenderParts.hpp"
#include "tests/mechanics/MechTestUtil.hpp"

namespace ssb {
namespace {

using namespace test;

int64_t allSum(int64_t x) {
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
  return x;
}

// 24^3 voxels: a solid slab (z < 12), a strand one voxel thick standing on it (x = y = 12, z = 12..19) and a
// 4^3 cube (x, y 4..7, z 16..19) on a one-voxel neck (x = y = 5, z = 12..15). Erosion keeps the slab's
// inside (the main body; dilated back it is the whole slab plus the first voxel of the strand and of the
// neck, which touch the slab's eroded voxels) and the cube's 2^3 core (a separate cluster). So the slender
// parts are the strand above its first voxel (z = 13..19: 7 voxels) and the cube with the neck above its
// first voxel (64 + 3 voxels).
bool slabStrandCube(int64_t i, int64_t j, int64_t k) {
  if (k < 12) return true;
  if (i == 12 && j == 12 && k <= 19) return true;
  if (i == 5 && j == 5 && k <= 15) return true;
  return i >= 4 && i <= 7 && j >= 4 && j <= 7 && k >= 16 && k <= 19;
}

TEST(SlenderParts, StrandsAndPiecesOnNecksAreFound) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {24, 24, 24}, [](int64_t i, int64_t j, int64_t k) {
    return slabStrandCube(i, j, k) ? kLps : kPore;
  });
  std::vector<uint8_t> set(static_cast<size_t>(v.grid->owned().voxels()), 0);
  v.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    set[static_cast<size_t>(l)] = slabStrandCube(i, j, k) ? 1 : 0;
  });
  auto expected = [](int64_t i, int64_t j, int64_t k, bool withCube) {
    if (i == 12 && j == 12) return k >= 13 && k <= 19;
    if (!withCube) return false;
    if (i == 5 && j == 5 && k >= 13 && k <= 15) return true;
    return i >= 4 && i <= 7 && j >= 4 && j <= 7 && k >= 16 && k <= 19;
  };
  for (bool withCube : {true, false}) {
    SCOPED_TRACE(withCube ? "parts up to 2000 voxels" : "parts up to 50 voxels");
    const SlenderParts p = findSlenderParts(*v.grid, set, {false, false, false}, withCube ? 2000 : 50);
    int64_t wrong = 0;
    v.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      if ((p.mask[static_cast<size_t>(l)] != 0) != expected(i, j, k, withCube)) ++wrong;
    });
    EXPECT_EQ(allSum(wrong), 0);
    EXPECT_EQ(p.parts, withCube ? 2 : 1);
    EXPECT_EQ(p.voxels, withCube ? 7 + 67 : 7);
    EXPECT_EQ(p.largest, withCube ? 67 : 7);
    EXPECT_EQ(p.skipped, withCube ? 0 : 1);
  }
  // Periodic along z, the slab's bottom meets the top layer: the strand's top voxel (z = 19) is not on the
  // slab, so nothing changes but the slab's own layers, which stay main body.
  const SlenderParts periodic = findSlenderParts(*v.grid, set, {false, false, true}, 2000);
  EXPECT_EQ(periodic.voxels, 7 + 67);
}

// A near-mechanism: a cantilever one voxel thick (x = 1..11, y = 3, z = 15) in the loaded top layer, hanging
// from the wall of a pore pocket (x 1..14, y 1..6, z 8..15) in an LPS block, pressed by the stack pressure on
// z_plus like the rest of the top face. Its bending is a tiny eigenvalue that the trilinear coarse levels
// cannot represent: with point-block Jacobi smoothing everywhere (the user's choice, which turns the exact
// blocks off) CG needs several times the iterations it needs with the slender parts solved in the finest
// smoother, and both must give the answer a direct solve gives.
TEST(Mechanics, SlenderPartsAreSolvedExactlyInTheFinestSmoother) {
  const LabelFn f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    const bool pocket = i >= 1 && i <= 14 && j >= 1 && j <= 6 && k >= 8;
    const bool strand = i >= 1 && i <= 11 && j == 3 && k == 15;
    if (pocket && !strand) return kPore;
    return (i / 4 + j / 4 + k / 4) % 3 == 0 ? kNmc : kLps;
  };
  PhaseMap pm = nmcLpsPhases();
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 16, 16}, f);
  const std::string base = "{type: mechanics, li_fraction: 0.3, stack_pressure: 25 MPa, rtol: 1e-10";
  Json exact = runStudy(v, pm, base + "}");
  Json pointOnly = runStudy(v, pm, base + ", petsc_options: {mg_levels_pc_type: pbjacobi}}");
  Json lu = runStudy(v, pm, base + ", petsc_options: {pc_type: lu, pc_factor_mat_solver_type: mumps}}");
  EXPECT_EQ(exact["preconditioner"], "mg");
  const int itExact = exact["linear_iterations"].get<int>(),
            itPoint = pointOnly["linear_iterations"].get<int>();
  RecordProperty("iterations_exact_blocks", itExact);
  RecordProperty("iterations_point_blocks", itPoint);
  EXPECT_LE(2 * itExact, itPoint) << itExact << " vs " << itPoint;
  for (const Json* r : {&exact, &pointOnly}) {
    const double scale = std::abs(lu["phases"]["LPS"]["max_von_mises_stress"].get<double>());
    ASSERT_GT(scale, 1e6);
    for (const char* ph : {"NMC", "LPS"}) {
      SCOPED_TRACE(ph);
      for (int c = 0; c < 6; ++c)
        EXPECT_NEAR((*r)["phases"][ph]["mean_stress"][c].get<double>(),
                    lu["phases"][ph]["mean_stress"][c].get<double>(), 1e-7 * scale);
      EXPECT_NEAR((*r)["phases"][ph]["max_von_mises_stress"].get<double>(),
                  lu["phases"][ph]["max_von_mises_stress"].get<double>(), 1e-7 * scale);
    }
  }
}

}  // namespace
}  // namespace ssb
