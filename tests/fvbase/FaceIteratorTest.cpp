// The face iterator (physics/FaceIterator.hpp) against an independent enumeration of the faces of the
// domain (FvTestUtil.hpp: allFaces, written on global indices from the definition). Runs on 1 and 2 ranks:
// on 2 ranks the neighbours of half the boundary voxels are ghosts of the other rank, so the checks cover
// the ghost exchange of phases and weights and the wrapping across periodic faces.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "physics/FaceIterator.hpp"
#include "physics/FaceWeights.hpp"
#include "solver/core/Error.hpp"
#include "tests/fvbase/FvTestUtil.hpp"

namespace ssb {
namespace {

using test::allFaces;
using test::faceId;
using test::faceIdCount;
using test::faceIdOf;
using test::makeGrid;
using test::RefFace;
using test::wrapIndex;

std::vector<int64_t> allSum(std::vector<int64_t> v) {
  MPI_Allreduce(MPI_IN_PLACE, v.data(), static_cast<int>(v.size()), MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
  return v;
}

// The boundary cases every test walks: bounded, periodic sides, an axis of extent 1, pinned layers.
struct Case {
  std::array<int64_t, 3> n;
  FluxBoundary bc;
  std::array<bool, 3> periodic;
};
std::vector<Case> cases() {
  std::vector<Case> out;
  out.push_back({{5, 4, 3}, FluxBoundary{}, {false, false, false}});
  out.push_back(
      {{6, 4, 3}, FluxBoundary::drive(kX, 1.0, 0.0, true, DirichletPlacement::Face), {false, true, true}});
  out.push_back(
      {{6, 1, 4}, FluxBoundary::drive(kZ, 1.0, 0.0, true, DirichletPlacement::Face), {true, true, false}});
  out.push_back({{5, 2, 3},
                 FluxBoundary::drive(kX, 1.0, 0.0, true, DirichletPlacement::PinnedLayer),
                 {false, true, true}});
  return out;
}

// Expected kind of a reference face for phases `ph` and boundary `bc` (from the definitions in
// FaceIterator.hpp).
FaceKind expectedKind(const RefFace& f, const Case& c, const test::VoxelFn& ph) {
  const int a = f.axis;
  if (!f.hasLow || !f.hasHigh) {
    const int df = faceIndex(a, f.hasLow);
    return c.bc.kind[df] == BoundaryKind::Dirichlet && c.bc.placement == DirichletPlacement::Face
               ? FaceKind::Dirichlet
               : FaceKind::NoFlux;
  }
  if (pinnedLayerFace(c.bc, c.n, f.low) >= 0 || pinnedLayerFace(c.bc, c.n, f.high) >= 0)
    return FaceKind::PinnedNeighbour;
  if (ph(f.low[0], f.low[1], f.low[2]) != ph(f.high[0], f.high[1], f.high[2])) return FaceKind::Interface;
  return f.periodic ? FaceKind::Periodic : FaceKind::Interior;
}

TEST(FaceIterator, OnceModeVisitsEveryFaceExactlyOnceWithItsKind) {
  for (const Case& c : cases()) {
    auto grid = makeGrid(c.n, {1e-6, 2e-6, 3e-6});
    const auto ph = test::randomPhases(c.n, 2, 11);
    FaceSpace space(*grid, test::ownedOf<uint8_t>(*grid, ph));
    FaceIterator it(space, c.bc);
    std::vector<int64_t> visits(static_cast<size_t>(faceIdCount(c.n)), 0), kinds(visits.size(), 0);
    it.forEachFace(FaceVisit::Once, PhaseSet::all(), [&](const Face& f) {
      const int64_t id = faceIdOf(c.n, f, c.periodic);
      ++visits[static_cast<size_t>(id)];
      kinds[static_cast<size_t>(id)] =
          static_cast<int64_t>(f.kind) + 1;  // +1: summed over ranks, one visitor
      // Geometry of the face.
      const double h = grid->geometry().spacing[f.axis];
      EXPECT_DOUBLE_EQ(f.h, h);
      EXPECT_DOUBLE_EQ(f.distance, isTwoSided(f.kind) ? h : 0.5 * h);
      EXPECT_DOUBLE_EQ(f.area, 6e-18 / h);
      EXPECT_EQ(f.weight, 1.0);
      if (isTwoSided(f.kind)) {
        EXPECT_EQ(f.side, 1);
        std::array<int64_t, 3> b = f.a;
        b[f.axis] = wrapIndex(b[f.axis] + 1, c.n[f.axis]);
        EXPECT_EQ(f.b, b);
        EXPECT_EQ(f.periodic, f.a[f.axis] == c.n[f.axis] - 1);
        EXPECT_EQ(f.phaseB, ph(b[0], b[1], b[2]));
      } else {
        EXPECT_EQ(f.phaseB, kNoPhase);
        EXPECT_EQ(f.domainFace, faceIndex(f.axis, f.side > 0));
      }
      EXPECT_EQ(f.phaseA, ph(f.a[0], f.a[1], f.a[2]));
    });
    visits = allSum(visits);
    kinds = allSum(kinds);
    std::vector<int64_t> expected(visits.size(), 0);
    for (const RefFace& f : allFaces(c.n, c.periodic)) {
      const size_t id = static_cast<size_t>(faceId(c.n, f.axis, f.plane, f.hasLow ? f.low : f.high));
      ++expected[id];
      EXPECT_EQ(kinds[id], static_cast<int64_t>(expectedKind(f, c, ph)) + 1)
          << "axis " << f.axis << " plane " << f.plane << " case n=" << c.n[0] << "," << c.n[1] << ","
          << c.n[2];
    }
    EXPECT_EQ(visits, expected) << "case n=" << c.n[0] << "," << c.n[1] << "," << c.n[2];
  }
}

TEST(FaceIterator, OnceModeVisitsAFaceIfBothSidesAreInThePhaseSet) {
  const Case c = cases()[1];
  auto grid = makeGrid(c.n);
  const auto ph = test::randomPhases(c.n, 3, 5);
  FaceSpace space(*grid, test::ownedOf<uint8_t>(*grid, ph));
  FaceIterator it(space, c.bc);
  int64_t visited = 0;
  int64_t interface12 = 0;
  it.forEachFace(FaceVisit::Once, PhaseSet{1, 2}, [&](const Face& f) {
    ++visited;
    interface12 += f.between(1, 2) ? 1 : 0;
  });
  MPI_Allreduce(MPI_IN_PLACE, &visited, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
  MPI_Allreduce(MPI_IN_PLACE, &interface12, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
  int64_t expected = 0, expected12 = 0;
  for (const RefFace& f : allFaces(c.n, c.periodic)) {
    auto in = [&](const std::array<int64_t, 3>& v) { return ph(v[0], v[1], v[2]) != 0; };
    expected += (!f.hasLow || in(f.low)) && (!f.hasHigh || in(f.high)) ? 1 : 0;
    if (f.hasLow && f.hasHigh) {
      const int p = ph(f.low[0], f.low[1], f.low[2]), q = ph(f.high[0], f.high[1], f.high[2]);
      expected12 += (p == 1 && q == 2) || (p == 2 && q == 1) ? 1 : 0;
    }
  }
  EXPECT_EQ(visited, expected);
  EXPECT_EQ(interface12, expected12);
  EXPECT_GT(expected12, 0);
}

TEST(FaceIterator, PerCellModeGivesSixFacesPerSelectedVoxelSeenFromIt) {
  for (const Case& c : cases()) {
    auto grid = makeGrid(c.n);
    const auto ph = test::randomPhases(c.n, 2, 3);
    FaceSpace space(*grid, test::ownedOf<uint8_t>(*grid, ph));
    FaceIterator it(space, c.bc);
    // Each two-voxel face is seen from both sides when both are selected (all here), a domain face once.
    std::vector<int64_t> seen(static_cast<size_t>(faceIdCount(c.n)), 0);
    int64_t cells = 0;
    it.forEachCell(PhaseSet::all(), [&](const Cell& cell) {
      ++cells;
      int order = 0;
      it.forEachFaceOf(cell, [&](const Face& f) {
        EXPECT_EQ(f.axis, order / 2);
        EXPECT_EQ(f.side, order % 2 ? 1 : -1);
        ++order;
        EXPECT_EQ(f.a, cell.c);
        ++seen[static_cast<size_t>(faceIdOf(c.n, f, c.periodic))];
        if (!isTwoSided(f.kind)) return;
        std::array<int64_t, 3> b = f.a;
        b[f.axis] = wrapIndex(b[f.axis] + f.side, c.n[f.axis]);
        EXPECT_EQ(f.b, b);
        // The ghosted phase at gb is the neighbour's, whichever rank owns it.
        EXPECT_EQ(space.phaseAt(f.gb), ph(b[0], b[1], b[2]));
        EXPECT_EQ(f.pinnedB, pinnedLayerFace(c.bc, c.n, b));
      });
      EXPECT_EQ(order, 6);
    });
    seen = allSum(seen);
    MPI_Allreduce(MPI_IN_PLACE, &cells, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
    EXPECT_EQ(cells, grid->geometry().voxels());
    for (const RefFace& f : allFaces(c.n, c.periodic)) {
      const size_t id = static_cast<size_t>(faceId(c.n, f.axis, f.plane, f.hasLow ? f.low : f.high));
      // An axis of extent 1 that wraps would be a face seen twice from one voxel; such axes do not wrap.
      EXPECT_EQ(seen[id], (f.hasLow ? 1 : 0) + (f.hasHigh ? 1 : 0))
          << "axis " << f.axis << " plane " << f.plane;
    }
  }
}

// Weight of a face from its global id: distinct values on every face.
double weightOf(int64_t id) { return 1.0 + 0.001 * static_cast<double>(id); }

TEST(FaceWeights, EveryFaceReadsTheWeightSetOnItsOwner) {
  for (const Case& c : cases()) {
    auto grid = makeGrid(c.n);
    FaceSpace space(*grid, std::vector<uint8_t>(static_cast<size_t>(grid->owned().voxels()), 0));
    FaceIterator plain(space, c.bc);
    FaceWeights w(*grid);
    plain.forEachFace(FaceVisit::Once, PhaseSet::all(),
                      [&](const Face& f) { w.set(f, weightOf(faceIdOf(c.n, f, c.periodic))); });
    EXPECT_FALSE(w.exchanged());
    EXPECT_THROW(FaceIterator(space, c.bc, &w), RunError);  // not exchanged yet
    w.exchange();
    FaceIterator weighted(space, c.bc, &w);
    int64_t checked = 0;
    weighted.forEachFace(FaceVisit::PerCell, PhaseSet::all(), [&](const Face& f) {
      EXPECT_EQ(f.weight, weightOf(faceIdOf(c.n, f, c.periodic)))
          << "axis " << f.axis << " side " << f.side << " at " << f.a[0] << "," << f.a[1] << "," << f.a[2];
      ++checked;
    });
    MPI_Allreduce(MPI_IN_PLACE, &checked, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
    EXPECT_EQ(checked, 6 * grid->geometry().voxels());
  }
}

TEST(FaceWeights, NegativeOrNaNWeightOnOneRankIsAnErrorOnEveryRank) {
  auto grid = makeGrid({6, 4, 4});
  for (double bad : {-0.5, std::numeric_limits<double>::quiet_NaN()}) {
    FaceWeights w(*grid);
    // Only the last rank sets a bad weight, on one of its own voxels.
    if (test::worldRank() == test::worldSize() - 1) w.setHigh(kY, grid->owned().lo, bad);
    try {
      w.exchange();
      ADD_FAILURE() << "no error for weight " << bad;
    } catch (const RunError& e) {
      EXPECT_NE(std::string(e.what()).find("face weight"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("along y"), std::string::npos) << e.what();
    }
  }
  FaceWeights w(*grid);
  EXPECT_THROW(w.setLowDomain(kX, {3, 0, 0}, 1.0), RunError);  // not in the first layer
}

TEST(FaceIterator, RegionRestrictsTheWalk) {
  const Case c = cases()[0];
  auto grid = makeGrid(c.n);
  FaceSpace space(*grid, std::vector<uint8_t>(static_cast<size_t>(grid->owned().voxels()), 0));
  FaceIterator it(space, c.bc);
  Box3 slab;
  slab.lo = {0, 0, 2};
  slab.size = {c.n[0], c.n[1], 1};
  int64_t cells = 0;
  it.forEachCell(
      PhaseSet::all(),
      [&](const Cell& cell) {
        EXPECT_EQ(cell.c[2], 2);
        ++cells;
      },
      &slab);
  MPI_Allreduce(MPI_IN_PLACE, &cells, 1, MPI_INT64_T, MPI_SUM, PETSC_COMM_WORLD);
  EXPECT_EQ(cells, c.n[0] * c.n[1]);
}

TEST(FaceIterator, BadBoundaryIsRefused) {
  auto grid = makeGrid({4, 3, 1});
  FaceSpace space(*grid, std::vector<uint8_t>(static_cast<size_t>(grid->owned().voxels()), 0));
  FluxBoundary oneSided;
  oneSided.kind[faceIndex(kY, false)] = BoundaryKind::Periodic;
  EXPECT_THROW(FaceIterator(space, oneSided), RunError);
  EXPECT_THROW(FaceIterator(space, FluxBoundary::drive(kZ, 1, 0, false, DirichletPlacement::PinnedLayer)),
               RunError);
  // A phase array of the wrong size on one rank only: every rank throws (no hang in the exchange).
  std::vector<uint8_t> phases(static_cast<size_t>(grid->owned().voxels()) + (test::worldRank() == 0 ? 1 : 0),
                              0);
  EXPECT_THROW(FaceSpace(*grid, phases), RunError);
}

}  // namespace
}  // namespace ssb
