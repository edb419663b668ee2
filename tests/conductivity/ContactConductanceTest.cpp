// Contact conductance in the conductivity study (issue 9): grain boundaries and interfaces against series
// resistances computed here, the limit G -> infinity, and bad input.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>

#include "physics/ContactConductance.hpp"
#include "physics/FluxOperator.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/LinearSolve.hpp"
#include "tests/TestSupport.hpp"
#include "tests/conductivity/CondTestUtil.hpp"
#include "tests/fvbase/FvTestUtil.hpp"

using namespace ssb;
using test::abPhases;
using test::makeVolume;
using test::relErr;
using test::runStudy;

namespace {

double sigmaEff(const Json& r, const std::string& dir) {
  return r.at("directions").at(dir).at("effective_conductivity").get<double>();
}

}  // namespace

// A bar of N voxel layers of one phase (conductivity k, voxel edges h) driven along x with the potentials on
// the domain faces (face convention), split into two particles by the plane of faces between layers m - 1
// and m (ids given directly). Per unit cross-section the bar is a resistor N h / k (N - 1 links h / k plus
// the two boundary half-cells h / (2k)) in series with the contact 1 / G, so for 1 V the current is
//   I = A_total / (N h / k + 1 / G),   A_total = ny nz hy hz,
// and the dissipated power equals it. The pinned-layer convention (layers 0 and N - 1 hold the values, N - 1
// links) gives I = A_total / ((N - 1) h / k + 1 / G).
TEST(ContactConductance, GrainBoundaryIsASeriesResistance) {
  const std::array<int64_t, 3> n{8, 3, 2};
  const std::array<double, 3> h{2e-6, 1e-6, 1.5e-6};
  auto grid = test::makeGrid(n, h);
  const double k = 2.0, N = static_cast<double>(n[0]);
  const double areaTotal = static_cast<double>(n[1] * n[2]) * h[1] * h[2];
  const size_t nOwned = static_cast<size_t>(grid->owned().voxels());
  std::vector<double> coef(nOwned, k);
  std::vector<uint8_t> phase(nOwned, 0);
  std::vector<int64_t> particle(nOwned, -1);
  grid->forEachOwned(
      [&](int64_t i, int64_t, int64_t, int64_t l) { particle[static_cast<size_t>(l)] = i < 3 ? 0 : 1; });
  for (double G : {1e5, 1e6}) {
    ContactRules rules;
    rules.grainBoundary = {G};
    rules.interface = {0.0};
    for (auto placement : {DirichletPlacement::Face, DirichletPlacement::PinnedLayer}) {
      const bool face = placement == DirichletPlacement::Face;
      const FluxBoundary bc = FluxBoundary::drive(kX, 1.0, 0.0, false, placement);
      ContactFaceCounts counts;
      auto w = contactWeights(*grid, phase, {k}, particle, rules, bc, &counts);
      EXPECT_EQ(counts.grainBoundary, n[1] * n[2]);
      EXPECT_EQ(counts.interface, 0);
      FluxOperator op(*grid, coef, {}, bc, w);
      VecHandle b = op.createVector();
      VecHandle x = op.createVector();
      MatHandle A = op.createMatrix(b);
      solveLinear(A, b, x, SystemKind::SymmetricPositiveDefinite, "contact_test_", 1e-12, "contact test");
      const double expected = areaTotal / ((face ? N : N - 1.0) * h[0] / k + 1.0 / G);
      EXPECT_NEAR(op.dissipation(x), expected, 1e-9 * expected) << "G " << G << (face ? " face" : " pinned");
      EXPECT_NEAR(op.boundaryCurrent(x, faceIndex(kX, false)), expected, 1e-8 * expected);
    }
  }
}

// Two phases in series layers along x (A: layers 0-3, sigma_A; B: layers 4-7, sigma_B; voxel edge h) with a
// contact G on the A|B plane. Per unit area: R = 4h / sigma_A + 4h / sigma_B + 1 / G, and the study's
// sigma_eff = L / R with L = 8h (face convention). G given in S/cm^2 checks the unit conversion.
TEST(ContactConductance, InterfaceIsASeriesResistance) {
  const double h = 1e-6, sA = 1.0, sB = 0.25;
  Volume v = makeVolume(PETSC_COMM_WORLD, {8, 3, 2},
                        [](int64_t i, int64_t, int64_t) { return uint16_t(i < 4 ? 1 : 2); });
  const PhaseMap pm = abPhases();
  const std::string base =
      "{type: conductivity, directions: [x], rtol: 1e-10, conductivities: {A: 1 S/m, B: 0.25 S/m}";
  const Json plain = runStudy(v, pm, base + "}");
  EXPECT_FALSE(plain.contains("contact_conductance"));
  EXPECT_LT(relErr(sigmaEff(plain, "x"), 8 * h / (4 * h / sA + 4 * h / sB)), 1e-8);
  for (const auto& [text, G] :
       {std::pair{"1e5 S/m^2", 1e5}, std::pair{"10 S/cm^2", 1e5}, std::pair{"2e6", 2e6}}) {
    const Json r = runStudy(v, pm, base + ", contact_conductance: {interfaces: {\"A|B\": " + text + "}}}");
    const double expected = 8 * h / (4 * h / sA + 4 * h / sB + 1.0 / G);
    EXPECT_LT(relErr(sigmaEff(r, "x"), expected), 1e-8) << text;
    EXPECT_EQ(r.at("directions").at("x").at("contact_faces_interface").get<int64_t>(), 6);
    EXPECT_EQ(r.at("directions").at("x").at("contact_faces_grain_boundary").get<int64_t>(), 0);
    EXPECT_DOUBLE_EQ(r.at("contact_conductance").at("interfaces").at("A|B").get<double>(), G);
  }
}

// Two overlapping balls of phase A (radius 4.5 voxels, centres 8 voxels apart along x, each cut by one x
// face) in a void box: the watershed splits them into two particles (centre distance 1.78 radii > 1.2), so
// the neck carries grain-boundary faces. A very large G (k / (h G) = 1e-9) reproduces the result without
// contact; a small one lowers the conductivity.
TEST(ContactConductance, LargeGReproducesNoContactAndWatershedSplits) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 10, 10}, [](int64_t i, int64_t j, int64_t k) {
    const double y = j + 0.5 - 5.0, z = k + 0.5 - 5.0, x = i + 0.5;
    const double d1 = (x - 4.0) * (x - 4.0) + y * y + z * z, d2 = (x - 12.0) * (x - 12.0) + y * y + z * z;
    return uint16_t(d1 <= 4.5 * 4.5 || d2 <= 4.5 * 4.5 ? 1 : 0);
  });
  const PhaseMap pm = abPhases();
  const std::string base = "{type: conductivity, directions: [x], rtol: 1e-10, conductivities: {A: 1 S/m}";
  const Json plain = runStudy(v, pm, base + "}");
  const Json huge = runStudy(v, pm, base + ", contact_conductance: {grain_boundaries: {A: 1e15 S/m^2}}}");
  const Json small = runStudy(v, pm, base + ", contact_conductance: {grain_boundaries: {A: 1e4 S/m^2}}}");
  EXPECT_EQ(huge.at("contact_conductance").at("particles").at("A").get<int64_t>(), 2);
  EXPECT_GT(huge.at("directions").at("x").at("contact_faces_grain_boundary").get<int64_t>(), 0);
  EXPECT_LT(relErr(sigmaEff(huge, "x"), sigmaEff(plain, "x")), 1e-6);
  EXPECT_LT(sigmaEff(small, "x"), 0.9 * sigmaEff(plain, "x"));
}

// Particle identity from the generator (Volume::particles) against the watershed: a ball of phase A (radius
// 5 voxels) between two slabs of A (the electrodes' ends). The "generator" here says the slabs are one
// particle each and the ball is two, split by the plane x = 8. source auto and generator use those ids (4
// particles); source watershed splits the phase itself and never cuts the ball in two, so the generator's
// ids carry the split plane's faces (the ball's section at x = 8: 80 voxel faces) more as grain boundaries
// and give a lower conductance. The ids belong to label 1 = phase A only.
TEST(ContactConductance, GeneratorParticlesOrWatershed) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 12, 12}, [](int64_t i, int64_t j, int64_t k) {
    const double x = i + 0.5 - 8.0, y = j + 0.5 - 6.0, z = k + 0.5 - 6.0;
    return uint16_t(x * x + y * y + z * z <= 25.0 || i < 4 || i >= 12 ? 1 : 0);
  });
  GeneratedParticles gp;
  gp.label = 1;
  gp.count = 4;
  gp.id.assign(v.labels.size(), -1);
  v.grid->forEachOwned([&](int64_t i, int64_t, int64_t, int64_t l) {
    if (v.labels[static_cast<size_t>(l)] == 1)
      gp.id[static_cast<size_t>(l)] = i < 4 ? 0 : i < 8 ? 1 : i < 12 ? 2 : 3;
  });
  v.particles = gp;
  const PhaseMap pm = abPhases();
  const std::string base =
      "{type: conductivity, directions: [x], rtol: 1e-10, conductivities: {A: 1 S/m}, "
      "contact_conductance: {grain_boundaries: {A: 1e5 S/m^2}, particles: {source: ";
  auto faces = [](const Json& r) {
    return r.at("directions").at("x").at("contact_faces_grain_boundary").get<int64_t>();
  };
  const Json ws = runStudy(v, pm, base + "watershed}}}");
  EXPECT_EQ(ws.at("contact_conductance").at("particle_source").at("A").get<std::string>(), "watershed");
  for (const char* src : {"auto", "generator"}) {
    const Json r = runStudy(v, pm, base + src + "}}}");
    EXPECT_EQ(r.at("contact_conductance").at("particle_source").at("A").get<std::string>(), "generator")
        << src;
    EXPECT_EQ(r.at("contact_conductance").at("particles").at("A").get<int64_t>(), 4) << src;
    EXPECT_GE(faces(r), faces(ws) + 80) << src;
    EXPECT_LT(sigmaEff(r, "x"), 0.99 * sigmaEff(ws, "x")) << src;
  }
}

namespace {

void expectInputError(const std::string& contact, const std::string& needle) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {6, 5, 4},
                        [](int64_t i, int64_t, int64_t) { return uint16_t(i < 3 ? 1 : 2); });
  const PhaseMap pm = abPhases();
  const std::string yaml =
      "{type: conductivity, conductivities: {A: 1, B: 2}, contact_conductance: " + contact + "}";
  try {
    runStudy(v, pm, yaml);
    ADD_FAILURE() << "no error for: " << yaml;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(ContactConductanceInput, BadValuesAndNamesAreInputErrors) {
  expectInputError("{grain_boundaries: {A: -1 S/m^2}}", "studies[0].contact_conductance.grain_boundaries.A");
  expectInputError("{grain_boundaries: {A: 0}}", "studies[0].contact_conductance.grain_boundaries.A");
  expectInputError("{grain_boundaries: {A: 1 S/m}}", "studies[0].contact_conductance.grain_boundaries.A");
  expectInputError("{grain_boundaries: {X: 1}}", "studies[0].contact_conductance.grain_boundaries.X");
  expectInputError("{grain_boundaries: {void: 1}}", "studies[0].contact_conductance.grain_boundaries.void");
  expectInputError("{interfaces: {\"A|X\": 1}}", "studies[0].contact_conductance.interfaces.A|X");
  expectInputError("{interfaces: {\"A|B\": -5}}", "studies[0].contact_conductance.interfaces.A|B");
  expectInputError("{interfaces: {AB: 1}}", "studies[0].contact_conductance.interfaces.AB");
  expectInputError("{interfaces: {\"A|A\": 1}}", "studies[0].contact_conductance.interfaces.A|A");
  expectInputError("{interfaces: {\"A|void\": 1}}", "studies[0].contact_conductance.interfaces.A|void");
  expectInputError("{particles: {min_depth: -1}}", "studies[0].contact_conductance.particles.min_depth");
  expectInputError("{grain: {A: 1}}", "studies[0].contact_conductance.grain");
  expectInputError("{grain_boundaries: {A: 1}, particles: {source: generator}}",
                   "studies[0].contact_conductance.particles.source: phase 'A' has no particles from the "
                   "generator (volume test carries none)");
  expectInputError("{grain_boundaries: {A: 1}, particles: {source: voronoi}}",
                   "studies[0].contact_conductance.particles.source");
}

// The same answer on all ranks and on one: two pairs of overlapping balls of A (radius 4.5, centres 8 apart:
// four watershed particles, as in the test above) in B
// (A|B interfaces), periodic sides so that weights on periodic faces are read across ranks too.
TEST(ContactConductance, RankIndependence) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::array<int64_t, 3> n{20, 20, 20};
  const test::LabelFn balls = [](int64_t i, int64_t j, int64_t k) {
    const double c[4][3] = {{4, 5, 6}, {12, 5, 6}, {8, 14, 14}, {16, 14, 14}};
    for (const auto& b : c) {
      const double dx = i + 0.5 - b[0], dy = j + 0.5 - b[1], dz = k + 0.5 - b[2];
      if (dx * dx + dy * dy + dz * dz <= 4.5 * 4.5) return uint16_t{1};
    }
    return uint16_t{2};
  };
  Volume world = makeVolume(PETSC_COMM_WORLD, n, balls);
  Volume self = makeVolume(PETSC_COMM_SELF, n, balls);
  const PhaseMap pm = abPhases();
  const std::string yaml =
      "{type: conductivity, conductivities: {A: 1, B: 0.1}, rtol: 1e-12, side_boundaries: periodic, "
      "contact_conductance: {grain_boundaries: {A: 1e5}, interfaces: {\"A|B\": 3e4}}}";
  const Json a = runStudy(world, pm, yaml);
  const Json b = runStudy(self, pm, yaml);
  EXPECT_EQ(a.at("contact_conductance"), b.at("contact_conductance"));
  EXPECT_GE(a.at("contact_conductance").at("particles").at("A").get<int64_t>(), 2);
  for (const char* d : {"x", "y", "z"}) {
    EXPECT_LT(relErr(test::tau(a, d), test::tau(b, d)), 1e-8) << d;
    EXPECT_EQ(a["directions"][d]["contact_faces_grain_boundary"],
              b["directions"][d]["contact_faces_grain_boundary"]);
    EXPECT_EQ(a["directions"][d]["contact_faces_interface"], b["directions"][d]["contact_faces_interface"]);
    EXPECT_GT(a["directions"][d]["contact_faces_grain_boundary"].get<int64_t>(), 0) << d;
  }
}
