// Verification of the mechanics study against analytic solutions (derivations in each test). Every test runs
// on 1 and 2 ranks (ctest) with rank-independent expected values; the rank-independence test also solves the
// same volume on one rank inside the 2-rank run and compares.
#include <gtest/gtest.h>
#include <petscsys.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "mesh/FieldWriter.hpp"
#include "physics/Decohesion.hpp"
#include "physics/Elasticity.hpp"
#include "solver/core/Error.hpp"
#include "tests/mechanics/MechTestUtil.hpp"

namespace ssb {
namespace {

using namespace test;
using elastic::Vec6;

int worldSize() {
  int s = 1;
  MPI_Comm_size(PETSC_COMM_WORLD, &s);
  return s;
}

double allMax(double x) {
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
  return x;
}
double allSum(double x) {
  MPI_Allreduce(MPI_IN_PLACE, &x, 1, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  return x;
}

const LabelFn kAllNmc = [](int64_t, int64_t, int64_t) { return kNmc; };

// Is the centre of voxel (i, j, k) inside the ball of radius r [voxels] about (cx, cy, cz)?
bool inBall(int64_t i, int64_t j, int64_t k, double cx, double cy, double cz, double r) {
  const double x = i + 0.5 - cx, y = j + 0.5 - cy, z = k + 0.5 - cz;
  return x * x + y * y + z * z <= r * r;
}

// ---------------------------------------------------------------------------------------------------------
// The node DMDA follows the cell DMDA's ownership: the same lower corners, the last rank along a bounded axis
// owns one more node plane, periodic axes have n nodes.

TEST(NodeGrid, OwnershipFollowsCells) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {7, 5, 9}, kAllNmc);
  const StructuredGrid& g = *v.grid;
  for (std::array<bool, 3> periodic :
       {std::array<bool, 3>{false, false, false}, std::array<bool, 3>{true, false, true}}) {
    DMHandle dm = g.createNodeDM(3, periodic);
    PetscInt lo[3], sz[3], M[3], dof;
    SSB_PETSC(DMDAGetCorners(dm, &lo[0], &lo[1], &lo[2], &sz[0], &sz[1], &sz[2]));
    SSB_PETSC(DMDAGetInfo(dm, nullptr, &M[0], &M[1], &M[2], nullptr, nullptr, nullptr, &dof, nullptr, nullptr,
                          nullptr, nullptr, nullptr));
    EXPECT_EQ(dof, 3);
    for (int a = 0; a < 3; ++a) {
      const int64_t n = g.geometry().n[a];
      EXPECT_EQ(M[a], periodic[a] ? n : n + 1);
      EXPECT_EQ(lo[a], g.owned().lo[a]);
      const bool last = g.owned().lo[a] + g.owned().size[a] == n;
      EXPECT_EQ(sz[a], g.owned().size[a] + (last && !periodic[a] ? 1 : 0));
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Homogeneous blocks.

// Free swelling: rollers on the three low faces only hold the rigid-body motion. A uniform eigenstrain e0 is
// then compatible, so u = e0 x, eps = e0 I, sigma = C (eps - eps*) = 0 exactly (Q1 reproduces linear fields).
TEST(Mechanics, FreeSwellingIsStressFreeAndStrainEqualsEigenstrain) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {6, 5, 4}, kAllNmc, {1e-6, 2e-6, 0.5e-6});
  PhaseMap pm = nmcLpsPhases();
  // Two routes to the eigenstrain: a uniform thermal-style value, and the Li table: x = 0.25 on the default
  // table (dV/V = -4 % against x = 1) gives e0 = 0.96^(1/3) - 1.
  const double eTable = std::cbrt(0.96) - 1.0;
  for (const auto& [extra, e0] : {std::pair<std::string, double>{"eigenstrain: {NMC: -0.01}", -0.01},
                                  std::pair<std::string, double>{"li_fraction: 0.25", eTable}}) {
    SCOPED_TRACE(extra);
    MechanicsModel model(
        context(v, pm),
        studyParams("{type: mechanics, roller: [x_minus, y_minus, z_minus], rtol: 1e-12, " + extra + "}"));
    model.solve();
    const auto stress = model.cellStress();
    const auto strain = model.cellStrain();
    const auto disp = model.cellDisplacement();
    double maxStress = 0, maxStrainErr = 0, maxDispErr = 0;
    v.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
      const size_t lv = static_cast<size_t>(l);
      for (int c = 0; c < 6; ++c)
        maxStress = std::max(maxStress, std::abs(stress[lv][static_cast<size_t>(c)]));
      for (int c = 0; c < 6; ++c)
        maxStrainErr =
            std::max(maxStrainErr, std::abs(strain[lv][static_cast<size_t>(c)] - (c < 3 ? e0 : 0.0)));
      const double x[3] = {(i + 0.5) * 1e-6, (j + 0.5) * 2e-6, (k + 0.5) * 0.5e-6};
      for (int c = 0; c < 3; ++c)
        maxDispErr = std::max(maxDispErr, std::abs(disp[lv][static_cast<size_t>(c)] - e0 * x[c]));
    });
    const double scale = kNmcIso.E * std::abs(e0);
    EXPECT_LT(allMax(maxStress), 1e-9 * scale);
    EXPECT_LT(allMax(maxStrainErr), 1e-9 * std::abs(e0));
    EXPECT_LT(allMax(maxDispErr), 1e-9 * std::abs(e0) * 6e-6);
  }
}

// Fully constrained block (rollers on all six faces): eps = 0, so sigma = -C eps* = -3 K e0 I: the
// hydrostatic stress is -E e0 / (1 - 2 nu) in every voxel.
TEST(Mechanics, ConstrainedBlockHydrostaticStress) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {5, 6, 4}, kAllNmc);
  PhaseMap pm = nmcLpsPhases();
  for (const auto& [extra, e0] :
       {std::pair<std::string, double>{"eigenstrain: {NMC: -0.0135}", -0.0135},
        std::pair<std::string, double>{"li_fraction: 0.45", std::cbrt((1 - 0.015) / 1.0) - 1.0}}) {
    SCOPED_TRACE(extra);
    // li_fraction 0.45 sits halfway between the table's (0.4, -2 %) and (0.5, -1 %): dV/V = -1.5 %.
    Json r = runStudy(
        v, pm,
        "{type: mechanics, roller: [x_minus, x_plus, y_minus, y_plus, z_minus, z_plus], rtol: 1e-12, "
        "youngs_modulus: {NMC: 199 GPa}, poisson_ratio: {NMC: 0.2}, " +
            extra + "}");
    const double expected = -kNmcIso.E * e0 / (1 - 2 * kNmcIso.nu);
    const Json& p = r["phases"]["NMC"];
    EXPECT_NEAR(p["min_hydrostatic_stress"].get<double>(), expected, 1e-9 * std::abs(expected));
    EXPECT_NEAR(p["max_hydrostatic_stress"].get<double>(), expected, 1e-9 * std::abs(expected));
    EXPECT_LT(p["max_von_mises_stress"].get<double>(), 1e-9 * std::abs(expected));
  }
}

// Stack pressure on a laterally confined column (fixed bottom, rollers on the sides, traction p on top):
// uniaxial strain, sigma_zz = -p, sigma_xx = sigma_yy = -p nu / (1 - nu), and the top settles by p L / M.
// With a pore channel through the column the solid carries the same total force p A: the fixed face's
// reaction is -p A.
TEST(Mechanics, StackPressureUniaxialStrainAndForceBalance) {
  PhaseMap pm = nmcLpsPhases();
  {
    Volume v = makeVolume(PETSC_COMM_WORLD, {3, 4, 8}, [](int64_t, int64_t, int64_t) { return kLps; });
    MechanicsModel model(context(v, pm),
                         studyParams("{type: mechanics, rtol: 1e-12}"));  // default faces, 25 MPa
    model.solve();
    const double p = 25e6;
    const auto s = model.cellStress();
    double err = 0;
    for (const auto& x : s) {
      err = std::max(err, std::abs(x[2] + p));
      err = std::max(err, std::abs(x[0] + p * kLpsIso.nu / (1 - kLpsIso.nu)));
      err = std::max(err, std::abs(x[1] + p * kLpsIso.nu / (1 - kLpsIso.nu)));
    }
    EXPECT_LT(allMax(err), 1e-9 * p);
    Json r = model.results();
    const double area = 3 * 4 * 20e-9 * 20e-9;
    EXPECT_NEAR(r["steps"][0]["reaction_force"]["z_minus"].get<double>(), -p * area, 1e-9 * p * area);
  }
  {
    // A pore channel (x = 1, y = 1..2) through the whole column: the solid is 10 of 12 columns.
    Volume v = makeVolume(PETSC_COMM_WORLD, {3, 4, 8}, [](int64_t i, int64_t j, int64_t) {
      return (i == 1 && (j == 1 || j == 2)) ? kPore : kLps;
    });
    Json r = runStudy(v, pm, "{type: mechanics, rtol: 1e-12, stack_pressure: 10 MPa}");
    const double area = 3 * 4 * 20e-9 * 20e-9;
    EXPECT_NEAR(r["steps"][0]["reaction_force"]["z_minus"].get<double>(), -10e6 * area, 1e-8 * 10e6 * area);
    // Mean over the box of sigma_zz = -p (equilibrium), while the solid carries p * 12 / 10.
    EXPECT_NEAR(r["mean_stress"][2].get<double>(), -10e6, 1e-8 * 10e6);
    EXPECT_NEAR(r["load_carrying_fraction"].get<double>(), 10.0 / 12.0, 1e-12);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bilayer NMC (t_N voxels) | LPS (t_E voxels) stacked along z, periodic in x and y, roller on z_minus, free
// top, eigenstrain e0 in NMC only. Laminate theory (no bending: the periodic sides keep the layers flat):
// both layers share the in-plane strain eps, sigma_zz = 0 (free top), so each is in equal biaxial stress
//   sigma_i = B_i (eps - e_i),  B_i = E_i / (1 - nu_i).
// Free in-plane macroscopic strain: t_N sigma_N + t_E sigma_E = 0  =>  eps = t_N B_N e0 / (t_N B_N + t_E
// B_E),
//   sigma_N = -B_N t_E B_E e0 / (t_N B_N + t_E B_E),  sigma_E = B_E eps.
// Zero macroscopic strain (laterally confined): eps = 0, sigma_N = -B_N e0, sigma_E = 0.
TEST(Mechanics, BilayerLaminateStresses) {
  const int tN = 4, tE = 6;
  Volume v = makeVolume(PETSC_COMM_WORLD, {4, 4, tN + tE},
                        [](int64_t, int64_t, int64_t k) { return k < tN ? kNmc : kLps; });
  PhaseMap pm = nmcLpsPhases();
  const double e0 = -0.01;
  const double BN = kNmcIso.biaxial(), BE = kLpsIso.biaxial();
  for (const char* mode : {"free", "zero"}) {
    SCOPED_TRACE(mode);
    Json r =
        runStudy(v, pm,
                 fmt::format("{{type: mechanics, periodic: [x, y], roller: [z_minus], periodic_strain: {}, "
                             "eigenstrain: {{NMC: {}}}, rtol: 1e-12}}",
                             mode, e0));
    const bool free = std::string(mode) == "free";
    const double eps = free ? tN * BN * e0 / (tN * BN + tE * BE) : 0.0;
    const double sN = BN * (eps - e0), sE = BE * eps;
    const Json& n = r["phases"]["NMC"];
    const Json& e = r["phases"]["LPS"];
    const double tol = 1e-6 * std::abs(sN);
    for (int c = 0; c < 2; ++c) {
      EXPECT_NEAR(n["mean_stress"][c].get<double>(), sN, tol);
      EXPECT_NEAR(e["mean_stress"][c].get<double>(), sE, tol);
    }
    EXPECT_NEAR(n["mean_stress"][2].get<double>(), 0.0, tol);
    EXPECT_NEAR(e["mean_stress"][2].get<double>(), 0.0, tol);
    // Uniform within each layer: von Mises of equal biaxial stress is |sigma|.
    EXPECT_NEAR(n["max_von_mises_stress"].get<double>(), std::abs(sN), tol);
    EXPECT_NEAR(e["max_von_mises_stress"].get<double>(), std::abs(sE), tol + 1e-6 * std::abs(sE));
    EXPECT_NEAR(r["macroscopic_strain"][0].get<double>(), eps, 1e-9 * std::abs(e0));
    EXPECT_NEAR(r["macroscopic_strain"][1].get<double>(), eps, 1e-9 * std::abs(e0));
  }
}

// ---------------------------------------------------------------------------------------------------------
// Misfit sphere (Eshelby inhomogeneity): an NMC sphere of radius a with eigenstrain e0 in LPS. Rollers on all
// six faces of a cube are mirror planes, so one octant with the centre at the corner node stands for a simple
// cubic array of spheres at zero mean strain. Analytic reference: the composite sphere (radius a inside b,
// with (a / b)^3 = f the volume fraction) with u(b) = 0, which carries the finite-cell correction:
//   core  u = C r:                   sigma = 3 K_i (C - e0) I (uniform)
//   shell u = A r + B / r^2:         sigma_rr = 3 K_m A - 4 G_m B / r^3
//   u(b) = 0 => A = -B / b^3;  u continuous at a => C = A + B / a^3;  sigma_rr continuous at a:
//   beta = B / a^3 = 3 K_i e0 / (3 K_i (1 - f) + 3 K_m f + 4 G_m),  C = beta (1 - f),  A = -f beta,
//   sigma_in = 3 K_i (beta (1 - f) - e0),   sigma_rr(r) = -3 K_m f beta - 4 G_m beta a^3 / r^3  (r > a).
// (f -> 0 gives Eshelby's p = -12 K_i G_m e0 / (3 K_i + 4 G_m).) The voxel sphere is a staircase; a is the
// radius of the sphere with the same volume as the voxels inside.
struct SphereErrors {
  double insideMean, insideSpread, coreMean, shellRms, slope;
};

SphereErrors misfitSphere(double radius, int sideOverRadius, bool equalModuli = false) {
  const int n = static_cast<int>(std::lround(radius * sideOverRadius / 2.0));  // octant of a cube of side 2n
  Volume v = makeVolume(PETSC_COMM_WORLD, {n, n, n}, [radius](int64_t i, int64_t j, int64_t k) {
    const double x = i + 0.5, y = j + 0.5, z = k + 0.5;
    return x * x + y * y + z * z <= radius * radius ? kNmc : kLps;
  });
  PhaseMap pm = nmcLpsPhases();
  const double e0 = -0.0135;
  MechanicsModel model(
      context(v, pm),
      studyParams(fmt::format(
          "{{type: mechanics, roller: [x_minus, x_plus, y_minus, y_plus, z_minus, z_plus], "
          "eigenstrain: {{NMC: {}}}, rtol: 1e-10{}}}",
          e0, equalModuli ? ", youngs_modulus: {NMC: 15 GPa}, poisson_ratio: {NMC: 0.27119}" : "")));
  model.solve();
  const auto s = model.cellStress();
  double inside = 0, sum = 0, sum2 = 0, core = 0, coreSum = 0;
  std::vector<std::array<double, 2>> shell;  // (r, sigma_rr) in voxels, Pa
  v.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t l) {
    const Vec6& t = s[static_cast<size_t>(l)];
    const double x[3] = {i + 0.5, j + 0.5, k + 0.5};
    const double r = std::sqrt(x[0] * x[0] + x[1] * x[1] + x[2] * x[2]);
    if (v.labels[static_cast<size_t>(l)] == kNmc) {
      const double hs = (t[0] + t[1] + t[2]) / 3;
      inside += 1;
      sum += hs;
      sum2 += hs * hs;
      if (r <= 0.5 * radius) {
        core += 1;
        coreSum += hs;
      }
      return;
    }
    const double nn[3] = {x[0] / r, x[1] / r, x[2] / r};
    // sigma_rr = n . sigma . n with Voigt (xx, yy, zz, yz, xz, xy).
    const double srr = t[0] * nn[0] * nn[0] + t[1] * nn[1] * nn[1] + t[2] * nn[2] * nn[2] +
                       2 * (t[3] * nn[1] * nn[2] + t[4] * nn[0] * nn[2] + t[5] * nn[0] * nn[1]);
    shell.push_back({r, srr});
  });
  inside = allSum(inside);
  sum = allSum(sum);
  sum2 = allSum(sum2);
  core = allSum(core);
  coreSum = allSum(coreSum);
  const double a = std::cbrt(8 * inside * 3 / (4 * M_PI));  // equivalent radius [voxels]
  const double f = 8 * inside / (8.0 * n * n * n);
  const double Ki = equalModuli ? Iso{15e9, 0.27119}.K() : kNmcIso.K(), Km = kLpsIso.K(), Gm = kLpsIso.G();
  const double beta = 3 * Ki * e0 / (3 * Ki * (1 - f) + 3 * Km * f + 4 * Gm);
  const double sIn = 3 * Ki * (beta * (1 - f) - e0);
  auto srrExact = [&](double r) { return -3 * Km * f * beta - 4 * Gm * beta * std::pow(a / r, 3); };
  SphereErrors e{};
  const double mean = sum / inside;
  e.insideMean = (mean - sIn) / sIn;
  e.insideSpread = std::sqrt(std::max(0.0, sum2 / inside - mean * mean)) / std::abs(sIn);
  e.coreMean = (coreSum / core - sIn) / sIn;
  // Shell 1.25 a < r < 1.75 a: RMS error relative to |sigma_rr(a)|, and the slope of log|sigma_rr -
  // sigma_inf|.
  double err2 = 0, cnt = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
  const double sInf = -3 * Km * f * beta;
  for (const auto& [r, srr] : shell) {
    if (r < 1.25 * a || r > 1.75 * a) continue;
    const double d = (srr - srrExact(r)) / std::abs(srrExact(a));
    err2 += d * d;
    cnt += 1;
    const double lx = std::log(r), ly = std::log(std::abs(srr - sInf));
    sx += lx;
    sy += ly;
    sxx += lx * lx;
    sxy += lx * ly;
  }
  double acc[6] = {err2, cnt, sx, sy, sxx, sxy};
  MPI_Allreduce(MPI_IN_PLACE, acc, 6, MPI_DOUBLE, MPI_SUM, PETSC_COMM_WORLD);
  e.shellRms = std::sqrt(acc[0] / acc[1]);
  e.slope = (acc[1] * acc[5] - acc[2] * acc[3]) / (acc[1] * acc[4] - acc[2] * acc[2]);
  return e;
}

void printSphere(const char* what, double radius, int side, const SphereErrors& e) {
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf(
        "%s r = %g voxels, side %d r: inside mean %+.4f, inside spread %.4f, core (r < a/2) mean %+.4f, "
        "shell "
        "RMS %.4f, exponent %.3f\n",
        what, radius, side, e.insideMean, e.insideSpread, e.coreMean, e.shellRms, e.slope);
}

// Equal moduli (LPS inside and out): for an isotropic homogeneous body the dilatation of a dilatational
// inclusion is (1 + nu) / (1 - nu) e0 (chi - f) whatever its shape (in Fourier space tr eps(k) = (1 + nu) /
// (1 - nu) e0 chi(k) for every k != 0; k = 0 is the zero mean strain), so the stress inside the voxel
// staircase is exactly the composite-sphere value: the staircase itself costs nothing, and what is left is
// the Q1 discretisation of the eigenstrain jump on the voxel faces. Measured (r = 6): core +0.05 %, mean +4.1
// %, spread 9 %, shell RMS 1.9 %.
TEST(Mechanics, MisfitInclusionEqualModuliAnyShape) {
  const SphereErrors e = misfitSphere(6.0, 4, true);
  printSphere("equal-moduli inclusion", 6.0, 4, e);
  EXPECT_LT(std::abs(e.coreMean), 0.005);
  EXPECT_LT(std::abs(e.insideMean), 0.06);
  EXPECT_LT(e.shellRms, 0.03);
}

// NMC sphere in LPS (E 199 vs 15 GPa). Errors against radius (docs/mechanics.md has the table, side = 4 a):
// the mean inside pressure, its spread (uniform in the exact solution), the mean over the core r < a/2, the
// RMS error of sigma_rr on the shell 1.25 a .. 1.75 a relative to |sigma_rr(a)| and its decay exponent. The
// errors fall like h/a: inside mean +19.1 % / +12.0 % / +7.6 % and core +13.6 % / +8.1 % / +5.2 % at r = 6 /
// 10 / 16 (1.2 h/a and 0.8 h/a). The stiff sphere's pressure is set by the soft matrix's resistance to the
// misfit (~4 G_m), which the voxel staircase (a rough surface on the scale h) stiffens by O(h/a); the
// equal-moduli test above shows that the Q1 discretisation alone accounts for only ~0.25 h/a of the mean and
// nothing in the core. The cell correction is exact enough: the error does not change when the cell grows
// from 4 a to 10 a (+19.1 % .. +19.6 % at r = 6). Held at r = 10 (bounds 1.25x the measured values, and
// first-order convergence from r = 6): inside mean < 15 %, core < 10 %, spread < 20 %, shell RMS < 4 %,
// exponent -3 +- 0.1.
TEST(Mechanics, MisfitSphereEshelby) {
  // Manual runs (docs/mechanics.md): SSB_MECH_SPHERES="radius:side_over_radius ..." replaces the CI cases.
  std::vector<std::pair<double, int>> cases = {{6.0, 4}, {10.0, 4}};
  if (const char* env = std::getenv("SSB_MECH_SPHERES")) {
    cases.clear();
    std::istringstream is(env);
    std::string tok;
    while (is >> tok)
      cases.emplace_back(std::stod(tok.substr(0, tok.find(':'))), std::stoi(tok.substr(tok.find(':') + 1)));
  }
  double err6 = 0;
  for (const auto& [radius, side] : cases) {
    SCOPED_TRACE(radius);
    const SphereErrors e = misfitSphere(radius, side);
    printSphere("misfit sphere", radius, side, e);
    if (radius == 6) err6 = e.insideMean;
    if (radius == 10) {  // the bounds, see above
      EXPECT_LT(std::abs(e.insideMean), 0.15);
      EXPECT_LT(std::abs(e.coreMean), 0.10);
      EXPECT_LT(e.insideSpread, 0.20);
      EXPECT_LT(e.shellRms, 0.04);
      EXPECT_NEAR(e.slope, -3.0, 0.1);
      if (err6 != 0) {
        EXPECT_LT(std::abs(e.insideMean), 0.75 * std::abs(err6));  // first order: 6 / 10 = 0.6
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Cohesive bilayer pulled apart under displacement control: 2 x 2 x (tN + tE) voxels, NMC below, LPS above,
// rollers on the sides (uniaxial strain), fixed bottom, prescribed top displacement U ramped in equal steps.
// The LPS voxel layer on the NMC is the crack band; everything is uniform in x and y, so the mean traction
// t = F / A is the same in every layer. With s_b = (bulk length / M) summed over the other layers, U = delta
// + s_b t. On the softening branch t = sigma_c (delta_f - delta) / (delta_f - delta_0), so dU/d delta = 1 -
// s_b sigma_c / (delta_f - delta_0) > 0 (no snap-back) iff s_b sigma_c < delta_f - delta_0. Here: sigma_c 50
// MPa, G_c 0.05 J/m^2, h 20 nm: delta_0 = 0.053 nm, delta_f = 2 nm, and s_b sigma_c = 0.11 nm (1 NMC + 2 LPS
// voxels besides the band): 18x below the limit, so displacement control follows the law. Expected: peak F /
// A = sigma_c, dissipated energy integral F dU (the stored energy is ~0 once debonded) = G_c A.
// The cohesive bilayer (tN NMC voxels under tE LPS voxels, 2 x 2 across) and its pull study: rollers on the
// sides, fixed bottom, top displaced by applied_displacement; `extraDecohesion` adds decohesion keys.
Volume cohesiveBilayer(int tN, int tE) {
  return makeVolume(PETSC_COMM_WORLD, {2, 2, tN + tE},
                    [tN](int64_t, int64_t, int64_t k) { return k < tN ? kNmc : kLps; });
}
Params cohesivePullStudy(double Umax, double sc, double Gc, const std::string& extraDecohesion = "") {
  return studyParams(
      fmt::format("{{type: mechanics, roller: [x_minus, x_plus, y_minus, y_plus], fixed: "
                  "[z_minus], displacement: [z_plus], applied_displacement: {}, rtol: "
                  "1e-10, decohesion: {{strength: {}, fracture_energy: {}, tolerance: "
                  "1e-5{}}}}}",
                  Umax, sc, Gc, extraDecohesion));
}

TEST(Mechanics, CohesivePullPeakTractionAndFractureEnergy) {
  const int tN = 1, tE = 3;
  Volume v = cohesiveBilayer(tN, tE);
  PhaseMap pm = nmcLpsPhases();
  const double sc = 50e6, Gc = 0.05, h = 20e-9;
  const double d0 = sc * h / kLpsIso.M(), df = 2 * Gc / sc;
  const double sb = (tE - 1) * h / kLpsIso.M() + tN * h / kNmcIso.M();
  ASSERT_LT(sb * sc, (df - d0) / 10);  // the geometry is short enough (derivation above)
  // Displacement ramp: 10 steps to 0.15 Umax, past the peak (U_peak = delta_0 + s_b sigma_c = 0.17 nm = 0.08
  // Umax), then 10 to Umax on the softening branch, which is linear in U here: the trapezoid rule is exact
  // but at the two kinks. The sampled maximum is within 1 % of the peak (the softening slope is gentle, the
  // next sample after the peak is at most one step down it) and the trapezoid across the peak kink misses <
  // 0.2 % of G_c.
  const double Umax = 1.1 * df;
  MechanicsModel model(context(v, pm), cohesivePullStudy(Umax, sc, Gc));
  Json rec = model.solveTo(0.15, 10);
  for (const auto& r : model.solveTo(1.0, 10)) rec.push_back(r);
  const double area = 4 * h * h;
  double peak = 0, work = 0, prevF = 0, prevU = 0;
  for (const auto& r : rec) {
    const double F = r["reaction_force"]["z_plus"].get<double>();
    const double U = r["applied_displacement"].get<double>();
    peak = std::max(peak, F / area);
    work += 0.5 * (F + prevF) * (U - prevU);
    prevF = F;
    prevU = U;
  }
  const Json res = model.results();
  const double stored = res["strain_energy"].get<double>();
  const double dissipated = work - stored;
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0)
    std::printf(
        "cohesive pull: peak traction %.6g Pa (strength %.6g), dissipated %.6g J (G_c A %.6g), stored at end "
        "%.3g J, nonlinear iterations %lld\n",
        peak, sc, dissipated, Gc * area, stored,
        static_cast<long long>(res["nonlinear_iterations"].get<int64_t>()));
  EXPECT_NEAR(peak, sc, 0.02 * sc);
  EXPECT_NEAR(dissipated, Gc * area, 0.02 * Gc * area);
  EXPECT_EQ(res["decohesion"]["debonded_area_fraction"].get<double>(), 1.0);
  EXPECT_EQ(res["decohesion"]["interface_faces"].get<int64_t>(), 4);
  EXPECT_EQ(res["decohesion"]["mean_contact_fraction"].get<double>(), 0.0);
  // The gap is the whole opening beyond the bulk's elastic stretch: U - (tiny residual traction) s_b ~ U.
  EXPECT_NEAR(res["decohesion"]["max_opening"].get<double>(), Umax, 1e-3 * Umax);
  // Contact: push the debonded stack back into compression. The band is closed, so the stack answers with its
  // intact stiffness, t = U / (sum of h / M over all layers), no interpenetration.
  const Json back = model.solveTo(-0.05, 4);
  const double Uc = back.back()["applied_displacement"].get<double>();
  const double Fc = back.back()["reaction_force"]["z_plus"].get<double>();
  const double intact = Uc / (tE * h / kLpsIso.M() + tN * h / kNmcIso.M());
  EXPECT_NEAR(Fc / area, intact, 1e-6 * std::abs(intact));
  const auto contact = model.contactFraction();
  for (const auto& c : contact) EXPECT_EQ(c[0], 1.0);  // x faces are no interface: neutral weight
}

// ---------------------------------------------------------------------------------------------------------
// Effective moduli from periodic unit strains. Homogeneous: C_eff = C, E_eff = E, K = E / (3 (1 - 2 nu)).
// Laminate NMC | LPS normal to z (volume fractions f_N, f_E): a macroscopic eps_zz with eps_xx = eps_yy = 0
// is uniaxial strain in each layer with a common sigma_zz: C_zz,eff = 1 / (f_N / M_N + f_E / M_E).
TEST(Mechanics, EffectiveModuli) {
  PhaseMap pm = nmcLpsPhases();
  {
    Volume v = makeVolume(PETSC_COMM_WORLD, {4, 3, 5}, [](int64_t, int64_t, int64_t) { return kLps; });
    Json r = runStudy(v, pm, "{type: mechanics, mode: effective_moduli, rtol: 1e-12}");
    const Json& m = r["effective_moduli"];
    for (const char* a : {"x", "y", "z"})
      EXPECT_NEAR(m["youngs_modulus"][a].get<double>(), kLpsIso.E, 1e-8 * kLpsIso.E);
    EXPECT_NEAR(m["bulk_modulus"].get<double>(), kLpsIso.K(), 1e-8 * kLpsIso.K());
    EXPECT_NEAR(m["bulk_modulus_uniform_stress"].get<double>(), kLpsIso.K(), 1e-8 * kLpsIso.K());
    EXPECT_NEAR(m["poisson_ratio"]["yx"].get<double>(), kLpsIso.nu, 1e-8);
  }
  {
    const int tN = 3, tE = 5;
    Volume v = makeVolume(PETSC_COMM_WORLD, {4, 4, tN + tE},
                          [](int64_t, int64_t, int64_t k) { return k < tN ? kNmc : kLps; });
    Json r = runStudy(v, pm, "{type: mechanics, mode: effective_moduli, rtol: 1e-12}");
    const double fN = double(tN) / (tN + tE), fE = 1 - fN;
    const double Czz = 1.0 / (fN / kNmcIso.M() + fE / kLpsIso.M());
    EXPECT_NEAR(r["effective_moduli"]["stiffness_normal_block"][2][2].get<double>(), Czz, 1e-8 * Czz);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Rank independence: a small composite (NMC spheres in LPS with pores, a floating NMC particle) under stack
// pressure with the lithiation strain and decohesion, on all ranks and on one rank inside the same run.
TEST(Mechanics, RankIndependence) {
  if (worldSize() < 2) GTEST_SKIP() << "compares np 1 with np >= 2";
  const std::array<int64_t, 3> n{10, 9, 12};
  const LabelFn f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    auto in = [&](double cx, double cy, double cz, double r) { return inBall(i, j, k, cx, cy, cz, r); };
    if (in(4, 4, 4, 3.5) || in(7, 5, 8, 3.5) || in(1.5, 7.5, 10.5, 1.0)) return kNmc;
    if (in(8.5, 2, 3, 1.5) || in(2, 2, 8, 1.2) || in(1.5, 7.5, 10.5, 2.2))
      return kPore;  // the last: a pore shell
    return kLps;
  };
  const std::string yaml =
      "{type: mechanics, li_fraction: 0.3, stack_pressure: 5 MPa, rtol: 1e-11, "
      "decohesion: {strength: 20 MPa, fracture_energy: 0.2 J/m^2, tolerance: 1e-6}}";
  PhaseMap pm = nmcLpsPhases();
  Volume all = makeVolume(PETSC_COMM_WORLD, n, f);
  Volume one = makeVolume(PETSC_COMM_SELF, n, f);
  Json ra = runStudy(all, pm, yaml);
  Json r1 = runStudy(one, pm, yaml);
  auto cmp = [&](const Json& a, const Json& b, const std::string& what, double scale) {
    SCOPED_TRACE(what);
    EXPECT_NEAR(a.get<double>(), b.get<double>(), 1e-6 * scale);
  };
  for (const char* ph : {"NMC", "LPS"}) {
    const double scale = std::abs(r1["phases"][ph]["mean_von_mises_stress"].get<double>());
    for (int c = 0; c < 6; ++c)
      cmp(ra["phases"][ph]["mean_stress"][c], r1["phases"][ph]["mean_stress"][c],
          std::string(ph) + " mean stress", scale);
    cmp(ra["phases"][ph]["max_von_mises_stress"], r1["phases"][ph]["max_von_mises_stress"], "max vm", scale);
  }
  const Json& da = ra["decohesion"];
  const Json& d1 = r1["decohesion"];
  EXPECT_EQ(da["interface_faces"], d1["interface_faces"]);
  EXPECT_EQ(da["debonded_faces"], d1["debonded_faces"]);
  EXPECT_GT(d1["damaged_area_fraction"].get<double>(), 0.0);  // the case exercises the damage law
  cmp(da["mean_damage"], d1["mean_damage"], "mean damage", 1.0);
  cmp(da["max_opening"], d1["max_opening"], "max opening", d1["max_opening"].get<double>());
  cmp(da["gap_volume"], d1["gap_volume"], "gap volume", d1["gap_volume"].get<double>());
  EXPECT_EQ(ra["unknowns"], r1["unknowns"]);
  EXPECT_NEAR(ra["unsupported_solid_fraction"].get<double>(), r1["unsupported_solid_fraction"].get<double>(),
              0);
  EXPECT_GT(r1["unsupported_solid_fraction"].get<double>(), 0.0);  // the floating particle carries no load
}

// Fields: every field is written (fields.h5) and the results carry units.
TEST(Mechanics, FieldsAndUnits) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {4, 4, 6},
                        [](int64_t, int64_t, int64_t k) { return k < 3 ? kNmc : kLps; });
  PhaseMap pm = nmcLpsPhases();
  const auto dir = std::filesystem::temp_directory_path() / fmt::format("ssb_mech_fields_np{}", worldSize());
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  if (rank == 0) std::filesystem::create_directories(dir);
  MPI_Barrier(PETSC_COMM_WORLD);
  FieldWriter w(*v.grid, dir);
  StudyContext ctx{v, pm, &w, dir, "m"};
  Json r =
      runMechanics(ctx, studyParams("{type: mechanics, li_fraction: 0.3, decohesion: {strength: 30 MPa}}"));
  w.close();
  EXPECT_TRUE(r.contains("units"));
  for (const char* k : {"mean_stress", "reaction_force", "opening", "youngs_modulus"})
    EXPECT_TRUE(r["units"].contains(k));
  if (rank == 0) {
    std::ifstream x(dir / "fields.xdmf");
    std::stringstream ss;
    ss << x.rdbuf();
    for (const char* name : {"\"m_displacement [m]\"", "m_displacement_x", "m_displacement_z",
                             "m_hydrostatic_stress", "m_von_mises_stress", "m_damage_z", "m_opening_z"})
      EXPECT_NE(ss.str().find(name), std::string::npos) << name;
  }
}

// A load step whose damage iteration does not converge throws DamageIterationError, and rollbackStep puts the
// interface back to the last converged step, so that the caller can retry with smaller steps (the lithiation
// coupling halves the update). The cohesive bilayer of the test above with max_iterations 1: steps below the
// peak (no damage) converge in one iteration; one step from there to 0.6 Umax (deep in the softening) cannot
// (the first iteration moves the damage from 0 to near 1). After the rollback the damage is the committed 0
// again.
TEST(Mechanics, FailedDamageStepThrowsAndRollsBack) {
  Volume v = cohesiveBilayer(1, 3);
  PhaseMap pm = nmcLpsPhases();
  const double sc = 50e6, Gc = 0.05, Umax = 1.1 * 2 * Gc / sc;
  MechanicsModel model(context(v, pm), cohesivePullStudy(Umax, sc, Gc, ", max_iterations: 1"));
  model.solveTo(0.05, 2);  // below the peak (0.08 Umax): elastic, converged at once
  EXPECT_EQ(model.decohesionStatistics()["mean_damage"].get<double>(), 0.0);
  EXPECT_THROW(model.solveTo(0.6, 1), DamageIterationError);
  EXPECT_NEAR(model.loadLevel(), 0.05, 1e-15);  // the failed step did not move the converged level
  EXPECT_GT(model.decohesionStatistics()["mean_damage"].get<double>(), 0.5);  // the failed iterate
  model.rollbackStep();
  EXPECT_EQ(model.decohesionStatistics()["mean_damage"].get<double>(), 0.0);
}

// The monotone damage iteration (the last resort of a stalled step, InterfaceDamage::startMonotone) on 2 x 2
// crack bands (2 x 2 x 4 voxels, NMC below LPS; the bands are the LPS voxels on the NMC) driven by prescribed
// intact stresses, against the bilinear law written out here: d(kappa) = delta_f (kappa - delta_0) / (kappa
// (delta_f - delta_0)), delta = h sigma_zz / M. Within the step the damage only grows (a lower opening asks
// for nothing and lowers nothing), startMonotone restarts from the committed damage, and commit keeps the
// damage reached with a history that gives it back (the next step at zero stress sees no change).
TEST(Mechanics, MonotoneDamageIterationNeverLowersDamage) {
  Volume v = makeVolume(PETSC_COMM_WORLD, {2, 2, 4},
                        [](int64_t, int64_t, int64_t k) { return k < 2 ? kNmc : kLps; });
  const StructuredGrid& g = *v.grid;
  const double sc = 50e6, Gc = 0.05, h = 20e-9, M = kLpsIso.M();
  const double d0 = sc * h / M, df = 2 * Gc / sc;
  auto law = [&](double kappa) { return df * (kappa - d0) / (kappa * (df - d0)); };
  std::vector<MechRole> role;
  std::vector<int64_t> zOf;
  g.forEachOwned([&](int64_t, int64_t, int64_t k, int64_t) {
    role.push_back(k < 2 ? MechRole::Active : MechRole::Electrolyte);
    zOf.push_back(k);
  });
  const std::vector<elastic::Mat6> C(role.size(), elastic::isotropicStiffness(kLpsIso.E, kLpsIso.nu));
  InterfaceDamage dmg(g, role, C, {false, false, false}, sc, Gc);
  ASSERT_EQ(dmg.bandCount(), 4);
  // Intact stresses that open the bands (k == 2) by delta; the other voxels are unloaded.
  auto stresses = [&](double delta) {
    std::vector<Vec6> s(role.size(), Vec6{0, 0, 0, 0, 0, 0});
    for (size_t l = 0; l < s.size(); ++l)
      if (zOf[l] == 2) s[l][2] = delta * M / h;
    return s;
  };
  auto meanDamage = [&] { return dmg.statistics()["mean_damage"].get<double>(); };
  const double dHi = law(0.5 * df), dLo = law(0.3 * df);
  ASSERT_GT(dHi, dLo);
  // Plain iteration first, to be restarted: it moves to the law's damage.
  dmg.update(stresses(0.5 * df));
  dmg.advance(0);
  EXPECT_NEAR(meanDamage(), dHi, 1e-12);
  dmg.startMonotone();
  EXPECT_TRUE(dmg.monotone());
  EXPECT_EQ(meanDamage(), 0.0);  // restarted from the committed (intact) state
  InterfaceDamage::Update u = dmg.update(stresses(0.5 * df));
  EXPECT_NEAR(u.maxDamageChange, dHi, 1e-12);
  dmg.advance(0);
  EXPECT_NEAR(meanDamage(), dHi, 1e-12);
  // The neighbours' damage unloads the band to 0.3 delta_f: the law asks for less, which is no change here.
  u = dmg.update(stresses(0.3 * df));
  EXPECT_EQ(u.maxDamageChange, 0.0);
  dmg.advance(0);
  EXPECT_NEAR(meanDamage(), dHi, 1e-12);
  dmg.commit();
  EXPECT_FALSE(dmg.monotone());
  EXPECT_NEAR(meanDamage(), dHi, 1e-12);
  // Next step, plain iteration: unloaded bands keep the committed damage and see no change.
  u = dmg.update(stresses(0.0));
  EXPECT_LT(u.maxDamageChange, 1e-12);
  // Loading past the committed history raises the damage by the law again.
  u = dmg.update(stresses(0.7 * df));
  EXPECT_NEAR(u.maxDamageChange, law(0.7 * df) - dHi, 1e-12);
  // Outside monotone mode a lower opening is a change in both directions (the plain fixed point).
  dmg.advance(0);
  u = dmg.update(stresses(0.6 * df));
  EXPECT_NEAR(u.maxDamageChange, law(0.7 * df) - law(0.6 * df), 1e-12);
}

// The default solver on a node grid that coarsens (16^3 voxels: 17 nodes per axis, 17 -> 9 -> 5 -> 3) is the
// geometric multigrid (LinearSolve geometricLevels); it must give the answer smoothed aggregation gives (both
// to rtol 1e-11) on a heterogeneous block with stiff spheres, a pore and lithiation strain under stack
// pressure. A grid that does not coarsen (15^3: 16 nodes) keeps GAMG.
TEST(Mechanics, GeometricMultigridMatchesAggregation) {
  const LabelFn f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    auto in = [&](double cx, double cy, double cz, double r) { return inBall(i, j, k, cx, cy, cz, r); };
    if (in(5, 5, 5, 4) || in(11, 10, 11, 4.5)) return kNmc;
    if (in(12, 4, 4, 2.5)) return kPore;
    return kLps;
  };
  PhaseMap pm = nmcLpsPhases();
  const std::string base = "{type: mechanics, li_fraction: 0.3, stack_pressure: 25 MPa, rtol: 1e-11";
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 16, 16}, f);
  Json mg = runStudy(v, pm, base + "}");
  Json amg = runStudy(v, pm, base + ", petsc_options: {pc_type: gamg}}");
  EXPECT_EQ(mg["preconditioner"], "mg");
  EXPECT_EQ(amg["preconditioner"], "gamg");
  for (const char* ph : {"NMC", "LPS"}) {
    SCOPED_TRACE(ph);
    const double scale = std::abs(amg["phases"][ph]["mean_von_mises_stress"].get<double>());
    ASSERT_GT(scale, 0.0);
    for (int c = 0; c < 6; ++c)
      EXPECT_NEAR(mg["phases"][ph]["mean_stress"][c].get<double>(),
                  amg["phases"][ph]["mean_stress"][c].get<double>(), 1e-7 * scale);
    EXPECT_NEAR(mg["phases"][ph]["max_von_mises_stress"].get<double>(),
                amg["phases"][ph]["max_von_mises_stress"].get<double>(), 1e-7 * scale);
  }
  Volume odd = makeVolume(PETSC_COMM_WORLD, {15, 15, 15}, f);
  EXPECT_EQ(runStudy(odd, pm, base + "}")["preconditioner"], "gamg");
}

// Nodes that no load-carrying voxel touches are not unknowns (Elasticity.hpp): their rows are decoupled, with
// a diagonal of kInactiveRowScale times a solid's so that the Galerkin coarse grids of the multigrid do not
// see them. The diagonal must not change the answer: on a block with a large pore (its inner nodes touch no
// solid) the default multigrid solve equals a direct (LU) solve in every voxel's stress.
TEST(Mechanics, PoreNodesAreNotUnknowns) {
  const LabelFn f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    auto in = [&](double cx, double cy, double cz, double r) { return inBall(i, j, k, cx, cy, cz, r); };
    if (in(4, 4, 4, 3.5) || in(12, 11, 5, 3.5)) return kNmc;
    if (in(8, 8, 11, 4.2)) return kPore;
    return kLps;
  };
  PhaseMap pm = nmcLpsPhases();
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 16, 16}, f);
  const std::string base = "{type: mechanics, li_fraction: 0.3, stack_pressure: 25 MPa, rtol: 1e-11";
  MechanicsModel mg(context(v, pm), studyParams(base + "}"));
  mg.solve();
  EXPECT_EQ(mg.results()["preconditioner"], "mg");
  MechanicsModel lu(context(v, pm),
                    studyParams(base + ", petsc_options: {pc_type: lu, pc_factor_mat_solver_type: mumps}}"));
  lu.solve();
  const auto sMg = mg.cellStress(), sLu = lu.cellStress();
  double maxDiff = 0, scale = 0;
  v.grid->forEachOwned([&](int64_t, int64_t, int64_t, int64_t l) {
    const size_t lv = static_cast<size_t>(l);
    for (int c = 0; c < 6; ++c) {
      maxDiff =
          std::max(maxDiff, std::abs(sMg[lv][static_cast<size_t>(c)] - sLu[lv][static_cast<size_t>(c)]));
      scale = std::max(scale, std::abs(sLu[lv][static_cast<size_t>(c)]));
    }
  });
  scale = allMax(scale);
  ASSERT_GT(scale, 1e6);  // the lithiation strain and the stack pressure load it (MPa)
  EXPECT_LT(allMax(maxDiff), 1e-7 * scale);
}

}  // namespace
}  // namespace ssb

namespace ssb {
namespace {
using namespace test;

// Per owned row of A: the nonzero values by global column.
std::vector<std::map<PetscInt, double>> rowsOf(Mat A) {
  PetscInt lo = 0, hi = 0;
  MatGetOwnershipRange(A, &lo, &hi);
  std::vector<std::map<PetscInt, double>> rows(static_cast<size_t>(hi - lo));
  for (PetscInt r = lo; r < hi; ++r) {
    PetscInt n = 0;
    const PetscInt* cols = nullptr;
    const PetscScalar* vals = nullptr;
    MatGetRow(A, r, &n, &cols, &vals);
    for (PetscInt q = 0; q < n; ++q)
      if (vals[q] != 0.0) rows[static_cast<size_t>(r - lo)][cols[q]] = vals[q];
    MatRestoreRow(A, r, &n, &cols, &vals);
  }
  return rows;
}

// The multigrid's coarse operators are assembled element by element (Elasticity.hpp), not multiplied out.
// They must equal PETSc's Galerkin product P^T A P of the level above (MatPtAP with the DMDA's
// interpolation), entry by entry, held rows and decoupled pore rows included. Checked level by level on
// 16^3 voxels (17 -> 9 -> 5 -> 3 nodes on one rank) of two materials and a pore, some voxels cracked (their
// own element matrices), with bounded and with periodic axes.
TEST(Mechanics, CoarseOperatorsAreGalerkinProducts) {
  const LabelFn f = [](int64_t i, int64_t j, int64_t k) -> uint16_t {
    if (inBall(i, j, k, 12, 4, 4, 3)) return kPore;
    return inBall(i, j, k, 5, 6, 5, 4) || inBall(i, j, k, 11, 10, 12, 4.5) ? kNmc : kLps;
  };
  Volume v = makeVolume(PETSC_COMM_WORLD, {16, 16, 16}, f);
  const StructuredGrid& grid = *v.grid;
  std::vector<int> material;
  std::vector<std::array<double, 6>> cracks;
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t) {
    const uint16_t label = f(i, j, k);
    material.push_back(label == kPore ? -1 : label == kNmc ? 0 : 1);
    cracks.push_back((i + 2 * j + 3 * k) % 7 == 0 ? std::array<double, 6>{5e-12, 0, 1e-12, 2e-12, 0, 0}
                                                  : std::array<double, 6>{});
  });
  // Bounded: fixed z_minus, rollers on x and y, traction on z_plus. Periodic x and y (the node grid wraps,
  // an element across the face couples node 15 to node 0), roller z_minus, traction z_plus, pins holding the
  // x and y translations at one node (held components that are neither face nor level aligned).
  for (const bool periodic : {false, true}) {
    SCOPED_TRACE(periodic ? "periodic x, y" : "bounded");
    ElasticBoundary bc;
    if (periodic) {
      bc.periodic = {true, true, false};
      bc.faces[static_cast<size_t>(domainFace(2, false))] = FaceCondition::Roller;
      bc.pins = {NodePin{{3, 5, 1}, 0}, NodePin{{3, 5, 1}, 1}};
    } else {
      bc.faces[static_cast<size_t>(domainFace(2, false))] = FaceCondition::Fixed;
      for (int a = 0; a < 2; ++a)
        for (int plus = 0; plus < 2; ++plus)
          bc.faces[static_cast<size_t>(domainFace(a, plus))] = FaceCondition::Roller;
    }
    bc.faces[static_cast<size_t>(domainFace(2, true))] = FaceCondition::Traction;
    bc.pressure = 25e6;
    ElasticOperator op(grid, material,
                       {elastic::isotropicStiffness(kNmcIso.E, kNmcIso.nu),
                        elastic::isotropicStiffness(kLpsIso.E, kLpsIso.nu)},
                       bc);
    op.setCrackCompliance(cracks);
    VecHandle u = op.createVector();
    op.solve(ElasticLoad{}, u, 1e-10, "coarse_test_", "coarse operator test");
    const MultigridHierarchy& mg = op.multigrid();
    ASSERT_GE(mg.levels(), 3);
    Mat finer = op.matrix();
    for (int p = mg.levels() - 2; p >= 0; --p) {
      SCOPED_TRACE("multigrid level " + std::to_string(p));
      Mat coarse = mg.operators[static_cast<size_t>(p)];
      MatHandle G, aij;  // the fine matrix is block AIJ, which PETSc 3.18's MatPtAP does not take
      ASSERT_EQ(MatConvert(finer, MATAIJ, MAT_INITIAL_MATRIX, aij.out()), 0);
      ASSERT_EQ(MatPtAP(aij, mg.interpolations[static_cast<size_t>(p)], MAT_INITIAL_MATRIX, 2.0, G.out()), 0);
      const auto a = rowsOf(coarse), g = rowsOf(G);
      double diff = 0, scale = 0;
      for (size_t r = 0; r < g.size(); ++r) {
        for (const auto& [c, x] : g[r]) {
          scale = std::max(scale, std::abs(x));
          const auto it = a[r].find(c);
          diff = std::max(diff, std::abs(x - (it == a[r].end() ? 0.0 : it->second)));
        }
        for (const auto& [c, x] : a[r])
          if (!g[r].count(c)) diff = std::max(diff, std::abs(x));
      }
      scale = allMax(scale);
      ASSERT_GT(scale, 0.0);
      EXPECT_LT(allMax(diff), 1e-12 * scale);
      finer = coarse;
    }
  }
}

}  // namespace
}  // namespace ssb
