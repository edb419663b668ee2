// End layers in the conductivity study (issue 9: the DC-polarisation cell Li-In | SE | sample | SE | Li-In).
// Series resistances computed here for laminates, the constriction of a thin channel that the layers add
// and its convergence with the layer thickness, and bad input.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>

#include "solver/core/Error.hpp"
#include "tests/TestSupport.hpp"
#include "tests/conductivity/CondTestUtil.hpp"

using namespace ssb;
using test::abPhases;
using test::makeVolume;
using test::relErr;
using test::runStudy;

namespace {

const Json& dirRecord(const Json& r, const std::string& d) { return r.at("directions").at(d); }
double num(const Json& r, const std::string& d, const std::string& key) {
  return dirRecord(r, d).at(key).get<double>();
}
double layerNum(const Json& r, const std::string& d, const std::string& key) {
  return dirRecord(r, d).at("end_layers").at(key).get<double>();
}

}  // namespace

// Series laminate along x: A in layers 0-3, B in layers 4-7 (voxel edges h = (1, 2, 1.5) um, so the
// section A = ny nz hy hz). With end layers of n voxels of phase P on both x faces the cell is a chain of
// slabs: per unit area R = 2 n hx / sigma_P + 4 hx / sigma_A + 4 hx / sigma_B (every face between two slabs
// is the harmonic mean of its two half-cells, the electrodes' faces half a voxel from the first centres). The
// sample's value after subtracting the layers is the laminate's harmonic mean, whatever P is.
TEST(EndLayers, LaminateIsASeriesChain) {
  const std::array<double, 3> h{1e-6, 2e-6, 1.5e-6};
  const double sA = 1.0, sB = 0.25;
  Volume v = makeVolume(
      PETSC_COMM_WORLD, {8, 3, 2}, [](int64_t i, int64_t, int64_t) { return uint16_t(i < 4 ? 1 : 2); }, h);
  const PhaseMap pm = abPhases();
  const double area = 3 * h[1] * 2 * h[2];
  const double harmonic = 8 * h[0] / (4 * h[0] / sA + 4 * h[0] / sB);
  for (const auto& [phase, sP] : {std::pair{"A", sA}, std::pair{"B", sB}}) {
    const Json r =
        runStudy(v, pm,
                 std::string("{type: conductivity, directions: [x, y], rtol: 1e-12, conductivities: "
                             "{A: 1 S/m, B: 0.25 S/m}, end_layers: {phase: ") +
                     phase + ", thickness: 3 um}}");
    EXPECT_LT(relErr(num(r, "x", "effective_conductivity"), harmonic), 1e-9) << phase;
    EXPECT_EQ(dirRecord(r, "x").at("end_layers").at("voxels").get<int64_t>(), 3);
    EXPECT_NEAR(layerNum(r, "x", "thickness"), 3e-6, 1e-18);
    const double rCell = (2 * 3 * h[0] / sP + 4 * h[0] / sA + 4 * h[0] / sB) / area;
    EXPECT_LT(relErr(layerNum(r, "x", "cell_resistance"), rCell), 1e-9) << phase;
    EXPECT_LT(relErr(layerNum(r, "x", "layer_resistance"), 2 * 3 * h[0] / sP / area), 1e-12) << phase;
    EXPECT_LT(relErr(layerNum(r, "x", "cell_effective_conductivity"), 14 * h[0] / (rCell * area)), 1e-9);
    // along y: 3 um is 1.5 voxels of 2 um -> rounded to 2 voxels
    EXPECT_EQ(dirRecord(r, "y").at("end_layers").at("voxels").get<int64_t>(), 2);
    // Without layers the stripes are parallel resistors between equipotential faces: exactly the arithmetic
    // mean. The layers are not equipotential: current converges from them into the better stripe, which
    // adds a constriction, so the sample's value falls below the arithmetic mean (and stays above the
    // harmonic one, the series bound).
    const double yEff = num(r, "y", "effective_conductivity");
    EXPECT_LT(yEff, 0.99 * (sA + sB) / 2) << phase;
    EXPECT_GT(yEff, 1.01 * harmonic) << phase;
  }
}

// An interface contact G between the layers (A) and a sample of B adds 1 / G twice (one interface per
// side), and it stays in the sample's resistance: R_sample = 8 h / sigma_B + 2 / G per unit area.
TEST(EndLayers, InterfaceContactStaysInTheSample) {
  const double h = 1e-6, sA = 1.0, sB = 0.25, G = 2e5;
  Volume v = makeVolume(PETSC_COMM_WORLD, {8, 3, 2}, [](int64_t, int64_t, int64_t) { return uint16_t(2); });
  const PhaseMap pm = abPhases();
  const Json r =
      runStudy(v, pm,
               "{type: conductivity, directions: [x], rtol: 1e-12, conductivities: {A: 1 S/m, B: 0.25 "
               "S/m}, end_layers: {phase: A, thickness: 2 um}, contact_conductance: {interfaces: "
               "{\"A|B\": 2e5 S/m^2}}}");
  const double area = 6 * h * h;
  EXPECT_LT(relErr(layerNum(r, "x", "sample_resistance"), (8 * h / sB + 2 / G) / area), 1e-9);
  EXPECT_LT(relErr(num(r, "x", "effective_conductivity"), 8 * h / (8 * h / sB + 2 / G)), 1e-9);
  EXPECT_LT(relErr(layerNum(r, "x", "layer_resistance"), 4 * h / sA / area), 1e-12);
  EXPECT_EQ(dirRecord(r, "x").at("contact_faces_interface").get<int64_t>(), 12);  // 6 faces per side
  (void)sA;
}

// A straight channel of one voxel's section through an insulating 7 x 7 section. With the electrodes on the
// faces (no layers) it is a uniform bar: tau = 1 exactly. Between end layers of its own phase the current
// must converge from the whole section into the channel's mouth (a constriction resistance on each side),
// so the sample's resistance rises: tau > 1. The constriction builds up within about a section's width of
// the mouth, so layers of 8 and 16 voxels give the same sample value. Both figures are computed on any rank
// count (the test runs on 1 and 2).
TEST(EndLayers, ConstrictionOfAThinChannel) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {7, 7, 12},
                        [](int64_t i, int64_t j, int64_t) { return uint16_t(i == 3 && j == 3 ? 1 : 0); });
  const PhaseMap pm = abPhases();
  const std::string base = "{type: conductivity, directions: [z], rtol: 1e-12, conductivities: {A: 1 S/m}";
  const Json plain = runStudy(v, pm, base + "}");
  EXPECT_NEAR(test::tau(plain, "z"), 1.0, 1e-9);
  const Json t8 = runStudy(v, pm, base + ", end_layers: {phase: A, thickness: 8 um}}");
  const Json t16 = runStudy(v, pm, base + ", end_layers: {phase: A, thickness: 16 um}}");
  const double tau8 = test::tau(t8, "z"), tau16 = test::tau(t16, "z");
  EXPECT_GT(tau8, 1.05);
  EXPECT_LT(std::abs(tau16 - tau8), 1e-3 * tau8);
  EXPECT_NEAR(num(t8, "z", "percolating_fraction"), 1.0, 1e-12);  // counted in the sample
  EXPECT_NEAR(num(t8, "z", "volume_fraction"), 1.0 / 49.0, 1e-12);
  // The channel's own resistance is 12 h / sigma / h^2; the rest of the sample's resistance is the two
  // mouths' constriction, positive and below the resistance of one layer voxel column's spreading bound.
  const double rChannel = 12e-6 / (1e-12);
  const double rMouths = layerNum(t16, "z", "sample_resistance") - rChannel;
  EXPECT_GT(rMouths, 0.0);
  EXPECT_NEAR(tau16, 1.0 + rMouths / rChannel, 1e-9 * tau16);
}

namespace {

void expectEndLayersError(const std::string& extra, const std::string& needle) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {6, 5, 4},
                        [](int64_t i, int64_t, int64_t) { return uint16_t(i < 3 ? 1 : 2); });
  const PhaseMap pm = abPhases();
  try {
    runStudy(v, pm, "{type: conductivity, directions: [x], conductivities: {A: 1 S/m}, " + extra + "}");
    FAIL() << "no error for " << extra;
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
  }
}

}  // namespace

TEST(EndLayers, BadInput) {
  expectEndLayersError("end_layers: {phase: B, thickness: 2 um}",
                       "studies[0].end_layers.phase: phase 'B' does not conduct");
  expectEndLayersError("end_layers: {phase: C, thickness: 2 um}", "studies[0].end_layers.phase");
  expectEndLayersError("end_layers: {phase: A, thickness: 0.4 um}",
                       "studies[0].end_layers.thickness: 0.4 um is less than half a voxel");
  expectEndLayersError("end_layers: {phase: A, thickness: 0}", "studies[0].end_layers.thickness");
  expectEndLayersError("end_layers: {phase: A}", "studies[0].end_layers.thickness");
  expectEndLayersError("convention: pinned_L_minus_1, end_layers: {phase: A, thickness: 2 um}",
                       "work with convention: face only");
}
