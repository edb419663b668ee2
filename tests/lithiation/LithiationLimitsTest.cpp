// Limits of the 3-D lithiation solver (physics/Lithiation.hpp) against the 1-D references of issue 7, np 1.
//
// - Single spherical particle in a highly conducting electrolyte, against solveSphere
//   (tests/lithiation/LithiationReference.hpp). With kappa and sigma_s 1000 times their defaults and no
//   separator or counter-electrode kinetics, every potential drop outside the particle vanishes, so the
//   voltage is U(x_s) + eta(i, x_s) at a uniform surface current i = I / (4 pi R^2): the 1-D sphere model.
//   Geometry: an octant of a sphere of radius R = 10 voxels (h = 0.5 um, R = 5 um) with its centre on the
//   corner of the domain where the collector face z+ meets the faces x- and y-. The no-flux side faces and
//   the collector face (no Li flux, phi_s nearly uniform) are mirror planes of the full sphere, and the
//   local-normal smoothing continues the indicator by its own value across a non-periodic face (a mirror),
//   so the octant carries the full sphere's surface current density and diffusion at 1/8 of the cost. The
//   C-rate is per active mass on both sides, hence i = q_th rho V / (1 h A): the 3-D solver uses the voxel
//   volume V and the corrected reacting area A (interface_area: local_normal), the reference V / A = R / 3.
//   1C charge to 4.3 V: t_diff = R^2 / D_s = 3125 s, so the cut-off is diffusion limited (x_s runs ahead
//   of the mean) and tests the diffusion in the voxelised sphere, not only the mass balance. Checked: time
//   to the cut-off and capacity within 2 % (issue 7).
//   Measured (docs/lithiation.md): -0.64 % at 1C. Not checked here: at 1C `raw` area also passes (+0.78 %),
//   so this check does not test the area correction (LithiationSolverTest does); at 4C the local-normal
//   error is -2.95 % at R = 10 voxels.
// - Uniform-reaction limit: a thin composite electrode (2 um, NMC and electrolyte side by side) with fast
//   transport (kappa = sigma_s = 30 S/m, D_s = 1e-12 m^2/s: t_diff = L^2 / D_s = 4 s against 20 h) at C/20
//   lithiates uniformly, so the cc charge ends when U(x) + eta reaches 4.3 V with eta ~ mV: the capacity is
//   the OCV-window capacity q_th m_N (x_0 - x(U = 4.3 V)) = F c_max V_N (x_0 - x_up), within 1 %, and below
//   it (the overpotential ends the step before U itself reaches the cut-off).
#include <gtest/gtest.h>
#include <mpi.h>

#include <cmath>
#include <cstdio>

#include "mesh/Volume.hpp"
#include "physics/Lithiation.hpp"
#include "tests/TestSupport.hpp"
#include "tests/lithiation/LithiationReference.hpp"

using namespace ssb;

namespace {

constexpr uint16_t kE = 1, kN = 2;

PhaseMap phases() {
  PhaseMap m;
  m.add({"LPS", PhaseRole::Electrolyte, {kE}});
  m.add({"NMC", PhaseRole::Active, {kN}});
  return m;
}

LithiationSetup setupFrom(const std::string& yaml) {
  Params p(YAML::Load(yaml), lithiationSchema(), "studies[0]");
  return prepareLithiation(p, phases());
}

}  // namespace

TEST(LithiationLimits, SphereMatchesOneDimensionalSphere) {
  const LithiationSetup s = setupFrom(
      "{type: lithiation, name: t, separator: {thickness: 0 m}, electrolyte: {conductivity: 300 S/m}, "
      "active: {conductivity: 600 S/m}, interface_area: local_normal, "
      "time_stepping: {rtol: 1e-5, atol_x: 1e-7, initial_step: 0.01 s}, "
      "protocol: {steps: [{type: cc, c_rate: 1, direction: charge}]}}");
  const int n = 12;
  const double h = 0.5e-6, R = 10.0;
  VoxelGrid g;
  g.n = {n, n, n};
  g.spacing = {h, h, h};
  Volume v = volumeFromFunction(MPI_COMM_WORLD, g, [&](int64_t i, int64_t j, int64_t k) -> uint16_t {
    const double x = i + 0.5, y = j + 0.5, z = n - (k + 0.5);
    return x * x + y * y + z * z <= R * R ? kN : kE;
  });
  LithiationSolver solver(*v.grid, v.labels, phases(), s);
  const LithiationRunResult r = solver.run();
  ASSERT_EQ(r.steps.size(), 1u);
  ASSERT_EQ(r.steps[0].reason, EndReason::VoltageLimit);
  const double Rm = R * h;
  const auto ref = lithref::solveSphere(s, {Rm, 1e-10, 0.0});
  ASSERT_EQ(ref.steps.size(), 1u);
  const double kPi = std::acos(-1.0);
  const double volumeRatio = solver.activeVolume() / (kPi / 6.0 * Rm * Rm * Rm);
  const double areaRatio = solver.correctedInterfaceArea() / (kPi / 2.0 * Rm * Rm);
  const double mass = s.activeMass(solver.activeVolume());  // [kg]
  const double cap = r.steps[0].charge / 3.6 / (mass * 1e3), capRef = ref.capacity(0);
  const double tCut = r.steps[0].tEnd, tCutRef = ref.steps[0].tEnd;
  std::printf(
      "sphere R = 10 voxels (octant), 1C: t_cut %.6g s vs %.6g s (%.3e), capacity %.6g vs %.6g mAh/g "
      "(%.3e); voxel volume / exact %.4f, local-normal area / exact %.4f; %ld steps, %zu unknowns\n",
      tCut, tCutRef, tCut / tCutRef - 1.0, cap, capRef, cap / capRef - 1.0, volumeRatio, areaRatio,
      r.timeSteps, static_cast<size_t>(solver.dofs().globalSize()));
  EXPECT_NEAR(tCut / tCutRef, 1.0, 2e-2) << "time to the 4.3 V cut-off";
  EXPECT_NEAR(cap / capRef, 1.0, 2e-2) << "charge capacity";
}

TEST(LithiationLimits, UniformReactionGivesOcvWindowCapacity) {
  const LithiationSetup s = setupFrom(
      "{type: lithiation, name: t, separator: {thickness: 0 m}, electrolyte: {conductivity: 30 S/m}, "
      "active: {conductivity: 30 S/m, diffusivity: 1e-12 m^2/s}, "
      "time_stepping: {rtol: 1e-5, atol_x: 1e-7, initial_step: 0.01 s}, "
      "protocol: {steps: [{type: cc, c_rate: 0.05, direction: charge}]}}");
  // 4 x 4 x 8 voxels of 0.25 um: electrolyte on the separator layer and in a half-space x >= 2, NMC in
  // x < 2 with one NMC voxel reaching into the electrolyte and one electrolyte pocket in the NMC.
  VoxelGrid g;
  g.n = {4, 4, 8};
  g.spacing = {0.25e-6, 0.25e-6, 0.25e-6};
  Volume v = volumeFromFunction(MPI_COMM_WORLD, g, [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    if (k == 0) return kE;
    if (i == 2 && j == 1 && k == 4) return kN;
    if (i == 1 && j == 2 && k == 3) return kE;
    return i < 2 ? kN : kE;
  });
  LithiationSolver solver(*v.grid, v.labels, phases(), s);
  ASSERT_DOUBLE_EQ(solver.solvedActiveVolume(), solver.activeVolume()) << "all NMC reaches the collector";
  const LithiationRunResult r = solver.run();
  ASSERT_EQ(r.steps.size(), 1u);
  ASSERT_EQ(r.steps[0].reason, EndReason::VoltageLimit);
  // q_th m_N (x_0 - x_up) with c_max = q_th rho / F.
  const double window =
      echem::kFaraday * s.cMax() * solver.activeVolume() * (s.initialX - s.xUpperCutoff);  // [C]
  const double ratio = r.steps[0].charge / window;
  std::printf("uniform limit C/20: charge / OCV-window charge = %.6f (x_0 %.4f, x_up %.6f), %ld steps\n",
              ratio, s.initialX, s.xUpperCutoff, r.timeSteps);
  EXPECT_NEAR(ratio, 1.0, 1e-2);
  EXPECT_LT(ratio, 1.0);
}
