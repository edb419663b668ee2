// Verification of the conductivity_tensor study (physics/ConductivityTensor.cpp) against laminates whose
// discrete homogenised tensor is known in closed form, a cubic sphere lattice (cubic symmetry: isotropic,
// off-diagonals zero), a random sphere pack, and rank independence.
#include <gtest/gtest.h>
#include <petscsys.h>
#include <yaml-cpp/yaml.h>

#include <cmath>

#include "physics/ConductivityTensor.hpp"
#include "solver/core/Error.hpp"
#include "tests/TestSupport.hpp"
#include "tests/conductivity/CondTestUtil.hpp"

namespace ssb {
namespace {

using test::abPhases;
using test::makeVolume;

Json runTensor(const Volume& v, const PhaseMap& pm, const std::string& yaml) {
  YAML::Node node = YAML::Load(yaml);
  Params p(node, conductivityTensorSchema(), "studies[0]");
  StudyContext ctx{v, pm, nullptr, std::filesystem::temp_directory_path(), "tensor"};
  return runConductivityTensor(ctx, p);
}

bool isRank0() {
  int r = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &r);
  return r == 0;
}

double K(const Json& r, int i, int j) { return r["tensor"][i][j].get<double>(); }

const double k1 = 1.0, k2 = 0.1;  // phases A and B [S/m]
const char* kYaml = "{type: conductivity_tensor, conductivities: {A: 1, B: 0.1}, rtol: 1e-10}";

// ---------------------------------------------------------------------------------------------------------
// Laminate normal to an axis: layers of m voxels of A and B. Along the normal the face conductances are in
// series and the harmonic face mean reproduces the series value exactly: K_nn = 2 k1 k2 / (k1 + k2) (equal
// fractions); along the layers every face joins two voxels of one phase: K_tt = (k1 + k2) / 2. Off-diagonal
// terms vanish by mirror symmetry. Anisotropic voxels: the layers are m voxels thick along the normal
// whatever the spacing, so the fractions stay 1/2.

TEST(ConductivityTensor, AxisLaminateSeriesAndParallel) {
  const double ser = 2 * k1 * k2 / (k1 + k2), par = (k1 + k2) / 2;
  for (int normal = 0; normal < 3; ++normal) {
    SCOPED_TRACE(normal);
    std::array<int64_t, 3> n{6, 6, 6};
    n[static_cast<size_t>(normal)] = 12;
    Volume v = makeVolume(PETSC_COMM_WORLD, n,
                          [normal](int64_t i, int64_t j, int64_t k) {
                            const int64_t c[3] = {i, j, k};
                            return uint16_t(((c[normal] / 3) % 2) == 0 ? 1 : 2);
                          },
                          {1e-6, 2e-6, 0.5e-6});
    Json r = runTensor(v, abPhases(), kYaml);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double expect = i != j ? 0.0 : i == normal ? ser : par;
        EXPECT_NEAR(K(r, i, j), expect, 1e-8) << i << j;
      }
    EXPECT_LT(r["asymmetry"].get<double>(), 1e-8);
    // Principal values ascending: the series value first, along the normal.
    EXPECT_NEAR(r["principal"][0]["conductivity"].get<double>(), ser, 1e-8);
    EXPECT_NEAR(std::abs(r["principal"][0]["axis"][normal].get<double>()), 1.0, 1e-8);
    // tau = eps sigma0 / lambda with eps = 1, sigma0 = volume-weighted mean = par.
    EXPECT_NEAR(r["principal"][0]["tortuosity_factor"].get<double>(), par / ser, 1e-7);
    EXPECT_NEAR(r["principal"][2]["tortuosity_factor"].get<double>(), 1.0, 1e-7);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Staircase laminate along a lattice diagonal: phase(i, j, k) = A if ((i + s j) / m) even, with s = +1
// (normal n = (1, 1, 0)/sqrt 2) or, in the x-z plane, the layer index i + (N - 1 - k) (n = (1, 0, -1)/sqrt
// 2).
//
// Discrete solution (derived here, independent of the code): the medium is invariant under the shift along
// the layers, so w depends only on the layer coordinate q = i + j and every voxel q couples to q + 1 through
// two faces (its x-face and its y-face), each of conductance g_q = harmonic(k_q, k_{q+1}) (h = 1 below; the
// tensor does not depend on h). Current balance per voxel with the field E: g_q (E_x + E_y + 2 (w_q -
// w_{q+1})) = C for all q, and periodicity (sum of w_q - w_{q+1} over a period = 0) gives C = (E_x + E_y) H,
// H = harmonic mean of g_q over the period. The mean current density along x is the mean of g_q (E_x + w_q -
// w_{q+1}) = A E_x + (C - A (E_x + E_y)) / 2 with A the arithmetic mean of g_q. Hence
//     K_xx = K_yy = (A + H) / 2,   K_xy = (H - A) / 2,   K_zz = (k1 + k2) / 2.
// Continuum laminate: K = k_par I + (k_ser - k_par) n n^T, i.e. K_xx = (k_par + k_ser)/2, K_xy = (k_ser -
// k_par)/2. Staircase error: with layers of m diagonals, 1/H = ((m-1)(1/k1 + 1/k2) + 2 (k1+k2)/(2 k1 k2)) /
// (2m) = (1/k1 + 1/k2)/2, so H = k_ser exactly, and A = k_par - delta with delta = (k1 - k2)^2 / (2 m (k1 +
// k2)). So |K_xx - continuum| = |K_xy - continuum| = delta / 2 = (k1 - k2)^2 / (4 m (k1 + k2)): the bound
// the staircase costs (0.0614 for m = 3, k1 = 1, k2 = 0.1; 1/m convergence).

struct Staircase {
  double A, H;
};
Staircase staircaseMeans(int m) {
  double sumG = 0, sumInv = 0;
  for (int q = 0; q < 2 * m; ++q) {
    const double kq = (q / m) % 2 == 0 ? k1 : k2;
    const double kn = ((q + 1) / m) % 2 == 0 ? k1 : k2;
    const double g = 2 * kq * kn / (kq + kn);
    sumG += g;
    sumInv += 1 / g;
  }
  return {sumG / (2 * m), 2 * m / sumInv};
}

TEST(ConductivityTensor, InclinedStaircaseLaminate) {
  const int m = 3;
  const Staircase s = staircaseMeans(m);
  const double ser = 2 * k1 * k2 / (k1 + k2), par = (k1 + k2) / 2;
  const double bound = (k1 - k2) * (k1 - k2) / (4 * m * (k1 + k2));
  for (int plane = 0; plane < 2; ++plane) {  // 0: x-y, n = (1, 1, 0)/sqrt2; 1: x-z, n = (1, 0, -1)/sqrt2
    SCOPED_TRACE(plane);
    const std::array<int64_t, 3> n =
        plane == 0 ? std::array<int64_t, 3>{12, 12, 4} : std::array<int64_t, 3>{12, 4, 12};
    Volume v = makeVolume(PETSC_COMM_WORLD, n, [plane, m](int64_t i, int64_t j, int64_t k) {
      const int64_t q = plane == 0 ? i + j : i + (11 - k);
      return uint16_t((q / m) % 2 == 0 ? 1 : 2);
    });
    Json r = runTensor(v, abPhases(), kYaml);
    const int b = plane == 0 ? 1 : 2, o = plane == 0 ? 2 : 1;  // in-plane partner of x, out-of-plane axis
    const double sign = plane == 0 ? 1.0 : -1.0;
    const double kxx = (s.A + s.H) / 2, kxb = sign * (s.H - s.A) / 2;
    EXPECT_NEAR(K(r, 0, 0), kxx, 1e-8);
    EXPECT_NEAR(K(r, b, b), kxx, 1e-8);
    EXPECT_NEAR(K(r, 0, b), kxb, 1e-8);
    EXPECT_NEAR(K(r, b, 0), kxb, 1e-8);
    EXPECT_NEAR(K(r, o, o), par, 1e-8);
    EXPECT_NEAR(K(r, 0, o), 0.0, 1e-8);
    EXPECT_NEAR(K(r, b, o), 0.0, 1e-8);
    // Against the continuum laminate, within the staircase bound derived above (and it is attained).
    const double cxx = (par + ser) / 2, cxb = sign * (ser - par) / 2;
    EXPECT_LE(std::abs(K(r, 0, 0) - cxx), bound * (1 + 1e-6));
    EXPECT_LE(std::abs(K(r, 0, b) - cxb), bound * (1 + 1e-6));
    EXPECT_NEAR(std::abs(K(r, 0, 0) - cxx), bound, 1e-7);
    // Principal values H (along n), A (in-plane along the layers), par (out of plane), ascending.
    EXPECT_NEAR(r["principal"][0]["conductivity"].get<double>(), s.H, 1e-8);
    EXPECT_NEAR(r["principal"][0]["conductivity"].get<double>(), ser, 1e-8);
    EXPECT_NEAR(r["principal"][1]["conductivity"].get<double>(), s.A, 1e-8);
    EXPECT_NEAR(r["principal"][2]["conductivity"].get<double>(), par, 1e-8);
    const Json& ax = r["principal"][0]["axis"];
    EXPECT_NEAR(std::abs(ax[0].get<double>()), 1 / std::sqrt(2.0), 1e-7);
    EXPECT_NEAR(ax[b].get<double>() * ax[0].get<double>(), sign * 0.5, 1e-7);
    EXPECT_NEAR(ax[o].get<double>(), 0.0, 1e-7);
    EXPECT_LT(r["asymmetry"].get<double>(), 1e-8);
    if (plane == 0 && isRank0())
      std::printf("staircase m=%d: K_xx %.9f (continuum %.9f), K_xy %.9f (continuum %.9f), bound %.6f\n", m,
                  K(r, 0, 0), cxx, K(r, 0, 1), cxb, bound);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Spheres. A simple cubic lattice of pore spheres in a conducting matrix has cubic symmetry: K = k I exactly
// (off-diagonals zero, equal diagonal) whatever the discretisation, since the voxelised sphere keeps the
// lattice's mirror and axis-permutation symmetries. A random pack is isotropic only statistically.

TEST(ConductivityTensor, SphereLatticeIsIsotropic) {
  const std::array<int64_t, 3> n{16, 16, 16};
  Volume v = makeVolume(PETSC_COMM_WORLD, n, [](int64_t i, int64_t j, int64_t k) {
    auto d = [](int64_t c) { return static_cast<double>(c % 8) + 0.5 - 4.0; };
    return uint16_t(d(i) * d(i) + d(j) * d(j) + d(k) * d(k) <= 3.2 * 3.2 ? 0 : 1);
  });
  Json r = runTensor(v, abPhases(), "{type: conductivity_tensor, conductivities: {A: 1}, rtol: 1e-10}");
  const double kd = K(r, 0, 0);
  EXPECT_GT(kd, 0.3);
  EXPECT_LT(kd, 1.0);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(K(r, i, j), i == j ? kd : 0.0, 1e-8 * kd) << i << j;
  // The lattice is mirror-symmetric about the domain faces (sphere centres at 4 + 8 n), so the potential of
  // the periodic cell problem is constant on those planes: the conductivity study (Dirichlet on the faces,
  // insulating sides, also mirror planes) must give the same K_xx exactly, an independent solve with other
  // boundary conditions.
  Json c = test::runStudy(v, abPhases(),
                          "{type: conductivity, conductivities: {A: 1}, directions: [x], rtol: 1e-10}");
  EXPECT_NEAR(c["directions"]["x"]["effective_conductivity"].get<double>(), kd, 1e-7 * kd);
  // Maxwell's dilute-sphere estimate (pores of fraction phi in a matrix): K / k = (1 - phi) / (1 + phi / 2),
  // magnitude only: measured 0.5956 against 0.6483 (-8 %) at radius 3.2 voxels and gaps of 1.6 voxels.
  const double phi = 1 - r["volume_fraction"].get<double>();
  EXPECT_NEAR(kd, (1 - phi) / (1 + phi / 2), 0.1);
}

TEST(ConductivityTensor, RandomSpherePackOffDiagonalsSmall) {
  const std::array<int64_t, 3> n{24, 24, 24};
  auto spheres = test::nonOverlappingSpheres(n, 3.0, 0.3, 0.0, 5);
  Volume v = makeVolume(PETSC_COMM_WORLD, n, test::sphereLabels(spheres));
  Json r = runTensor(v, abPhases(), "{type: conductivity_tensor, conductivities: {A: 1}}");
  double diag = 0, off = 0;
  for (int i = 0; i < 3; ++i) {
    diag = std::max(diag, K(r, i, i));
    for (int j = 0; j < 3; ++j)
      if (i != j) off = std::max(off, std::abs(K(r, i, j)));
  }
  const double spread =
      (r["principal"][2]["conductivity"].get<double>() - r["principal"][0]["conductivity"].get<double>()) /
      diag;
  if (isRank0())
    std::printf("random pack 24^3: max |K_ij| / max K_ii = %.3g, principal spread %.3g, asymmetry %.2g\n",
                off / diag, spread, r["asymmetry"].get<double>());
  // A 24^3 sample of 3-voxel spheres is isotropic to a few per cent (measured: see docs/conductivity.md).
  EXPECT_LT(off / diag, 0.01);
  EXPECT_LT(spread, 0.03);
  EXPECT_LT(r["asymmetry"].get<double>(), 1e-6);
  // The energy estimate of each diagonal term agrees with the flux average.
  for (int j = 0; j < 3; ++j)
    EXPECT_NEAR(r["solves"][j]["energy_conductivity"].get<double>(), K(r, j, j), 1e-6 * diag);
}

// ---------------------------------------------------------------------------------------------------------
// Rank independence: every component equal to 1e-7 of the largest diagonal on all ranks and on one.

uint16_t randomThreePhase(int64_t i, int64_t j, int64_t k) {
  const double u = test::uniform01(17, static_cast<uint64_t>((k * 18 + j) * 18 + i));
  return u < 0.55 ? 1 : u < 0.8 ? 2 : 0;
}

TEST(ConductivityTensor, RankIndependence) {
  SSB_REQUIRE_SEVERAL_RANKS();
  const std::array<int64_t, 3> n{18, 18, 18};
  Volume world = makeVolume(PETSC_COMM_WORLD, n, randomThreePhase);
  Volume self = makeVolume(PETSC_COMM_SELF, n, randomThreePhase);
  Json a = runTensor(world, abPhases(), kYaml);
  Json b = runTensor(self, abPhases(), kYaml);
  const double scale = std::max({K(a, 0, 0), K(a, 1, 1), K(a, 2, 2)});
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) EXPECT_NEAR(K(a, i, j), K(b, i, j), 1e-7 * scale) << i << j;
}

// ---------------------------------------------------------------------------------------------------------
// Bad input.

TEST(ConductivityTensor, BadInput) {
  Volume thin =
      makeVolume(PETSC_COMM_WORLD, {6, 6, 1}, [](int64_t, int64_t, int64_t) { return uint16_t{1}; });
  try {
    runTensor(thin, abPhases(), kYaml);
    ADD_FAILURE() << "no error for a volume 1 voxel thick";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("at least 2 voxels"), std::string::npos) << e.what();
  }
  Volume v = makeVolume(PETSC_COMM_WORLD, {4, 4, 4}, [](int64_t, int64_t, int64_t) { return uint16_t{1}; });
  EXPECT_THROW(runTensor(v, abPhases(), "{type: conductivity_tensor, conductivities: {A: 0}}"), InputError);
  EXPECT_THROW(runTensor(v, abPhases(), "{type: conductivity_tensor, conductivities: {Q: 1}}"), InputError);
  // A phase that does not percolate anywhere: K = 0, tortuosity null, no error.
  Volume isolated = makeVolume(PETSC_COMM_WORLD, {6, 6, 6}, [](int64_t i, int64_t j, int64_t k) {
    return uint16_t(i >= 1 && i <= 3 && j >= 1 && j <= 3 && k >= 1 && k <= 3 ? 1 : 0);
  });
  Json r = runTensor(isolated, abPhases(), kYaml);
  for (int i = 0; i < 3; ++i) {
    EXPECT_NEAR(K(r, i, i), 0.0, 1e-12);
    EXPECT_TRUE(r["principal"][i]["tortuosity_factor"].is_null());
  }
}

}  // namespace
}  // namespace ssb
