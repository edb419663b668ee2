// The MPI-free kernels of the mechanics study: the Q1 voxel element (ElasticityKernels.hpp), the cracked
// stiffness and the bilinear cohesive law (Decohesion.hpp). Every expected value is derived here.
#include <gtest/gtest.h>

#include <cmath>

#include "physics/Decohesion.hpp"
#include "physics/ElasticityKernels.hpp"
#include "tests/mechanics/MechTestUtil.hpp"

namespace ssb {
namespace {

using namespace elastic;

const std::array<double, 3> kH{1e-6, 2e-6, 0.5e-6};  // anisotropic voxel

// Element displacements of the affine field u(x) = A x (A 3x3) at the 8 corners.
ElementVector affine(const double A[3][3], const std::array<double, 3>& h) {
  ElementVector U{};
  for (int m = 0; m < 8; ++m) {
    const double x[3] = {(m & 1) * h[0], ((m >> 1) & 1) * h[1], ((m >> 2) & 1) * h[2]};
    for (int c = 0; c < 3; ++c)
      for (int a = 0; a < 3; ++a) U[static_cast<size_t>(3 * m + c)] += A[c][a] * x[a];
  }
  return U;
}

ElementVector times(const ElementMatrix& K, const ElementVector& U) {
  ElementVector f{};
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 24; ++c)
      f[static_cast<size_t>(r)] += K[static_cast<size_t>(r * 24 + c)] * U[static_cast<size_t>(c)];
  return f;
}

double maxAbs(const ElementMatrix& K) {
  double m = 0;
  for (double v : K) m = std::max(m, std::abs(v));
  return m;
}

TEST(MechKernels, IsotropicStiffnessMatchesLameConstants) {
  const Mat6 C = isotropicStiffness(199e9, 0.2);
  const test::Iso iso{199e9, 0.2};
  EXPECT_NEAR(C[0], iso.M(), 1e-6 * iso.M());
  EXPECT_NEAR(C[1], iso.lambda(), 1e-6 * iso.M());
  EXPECT_NEAR(C[21], iso.G(), 1e-6 * iso.M());
  EXPECT_NEAR(pWaveModulus(199e9, 0.2), iso.M(), 1e-6 * iso.M());
  // C S = I.
  const Mat6 S = invert(C);
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) {
      double s = 0;
      for (int k = 0; k < 6; ++k) s += C[static_cast<size_t>(i * 6 + k)] * S[static_cast<size_t>(k * 6 + j)];
      EXPECT_NEAR(s, i == j ? 1.0 : 0.0, 1e-12);
    }
}

TEST(MechKernels, ElementStiffnessIsSymmetricAndFreeOfRigidModes) {
  const Mat6 C = isotropicStiffness(15e9, 0.271);
  const ElementMatrix K = elementStiffness(C, kH);
  const double scale = maxAbs(K);
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 24; ++c)
      EXPECT_NEAR(K[static_cast<size_t>(r * 24 + c)], K[static_cast<size_t>(c * 24 + r)], 1e-13 * scale);
  // Translations and infinitesimal rotations (A antisymmetric) produce no nodal forces.
  for (int c = 0; c < 3; ++c) {
    ElementVector U{};
    for (int m = 0; m < 8; ++m) U[static_cast<size_t>(3 * m + c)] = 1e-9;
    for (double f : times(K, U)) EXPECT_NEAR(f, 0.0, 1e-12 * scale * 1e-9);
  }
  for (int a = 0; a < 3; ++a) {
    double A[3][3] = {};
    const int b = (a + 1) % 3, c = (a + 2) % 3;
    A[b][c] = 1e-3;
    A[c][b] = -1e-3;
    for (double f : times(K, affine(A, kH))) EXPECT_NEAR(f, 0.0, 1e-12 * scale * 1e-9);
  }
}

// The multigrid's coarse element matrices (addGalerkinChild). For one material, the trilinear functions of
// a parent element 2^L voxels wide lie in the span of its children's, with the same strain energy, so the
// Galerkin sum over its (2^L)^3 children is exactly the Q1 stiffness of the big element (edges 2^L h).
// An offset child alone: Q^T K Q for L = 0 is K itself.
TEST(MechKernels, GalerkinChildrenSumToTheCoarseElement) {
  const Mat6 C = isotropicStiffness(199e9, 0.3);
  const ElementMatrix K = elementStiffness(C, kH);
  ElementMatrix same{};
  addGalerkinChild(K, 0, {0, 0, 0}, same);
  for (size_t i = 0; i < K.size(); ++i) EXPECT_NEAR(same[i], K[i], 1e-14 * maxAbs(K));
  for (int L = 1; L <= 2; ++L) {
    const int n = 1 << L;
    ElementMatrix sum{};
    for (int z = 0; z < n; ++z)
      for (int y = 0; y < n; ++y)
        for (int x = 0; x < n; ++x) addGalerkinChild(K, L, {x, y, z}, sum);
    const ElementMatrix big = elementStiffness(C, {n * kH[0], n * kH[1], n * kH[2]});
    for (size_t i = 0; i < K.size(); ++i) EXPECT_NEAR(sum[i], big[i], 1e-12 * maxAbs(big)) << "L " << L;
  }
  // Two materials: not one big element any more, but still symmetric and free of rigid-body forces.
  const ElementMatrix soft = elementStiffness(isotropicStiffness(20e9, 0.25), kH);
  ElementMatrix mixed{};
  for (int m = 0; m < 8; ++m) addGalerkinChild(m % 3 ? K : soft, 1, {m & 1, (m >> 1) & 1, m >> 2}, mixed);
  const double scale = maxAbs(mixed);
  for (int r = 0; r < 24; ++r)
    for (int c = 0; c < 24; ++c)
      EXPECT_NEAR(mixed[static_cast<size_t>(r * 24 + c)], mixed[static_cast<size_t>(c * 24 + r)],
                  1e-13 * scale);
  for (int c = 0; c < 3; ++c) {
    ElementVector U{};
    for (int m = 0; m < 8; ++m) U[static_cast<size_t>(3 * m + c)] = 1e-9;
    for (double f : times(mixed, U)) EXPECT_NEAR(f, 0.0, 1e-12 * scale * 1e-9);
  }
}

TEST(MechKernels, UniformStrainPatch) {
  // An affine displacement with symmetric gradient eps: the element strain is eps exactly, the nodal forces
  // are int B^T C eps dV = V Bc^T C eps (the eigenstrain-load form), and the energy is V/2 eps:C:eps.
  const Mat6 C = isotropicStiffness(199e9, 0.2);
  const ElementMatrix K = elementStiffness(C, kH);
  const double A[3][3] = {{1e-3, 2e-4, -1e-4}, {2e-4, -5e-4, 3e-4}, {-1e-4, 3e-4, 7e-4}};
  const Vec6 eps{A[0][0], A[1][1], A[2][2], 2 * A[1][2], 2 * A[0][2], 2 * A[0][1]};
  const ElementVector U = affine(A, kH);
  const Vec6 e = meanStrain(centreStrainMatrix(kH), U);
  for (int i = 0; i < 6; ++i) EXPECT_NEAR(e[static_cast<size_t>(i)], eps[static_cast<size_t>(i)], 1e-15);
  const double V = kH[0] * kH[1] * kH[2];
  const ElementVector f = eigenstrainLoad(centreStrainMatrix(kH), C, eps, V);
  const ElementVector ku = times(K, U);
  double fs = 0;
  for (double v : f) fs = std::max(fs, std::abs(v));
  for (int r = 0; r < 24; ++r) EXPECT_NEAR(ku[static_cast<size_t>(r)], f[static_cast<size_t>(r)], 1e-12 * fs);
  double uku = 0;
  for (int r = 0; r < 24; ++r) uku += U[static_cast<size_t>(r)] * ku[static_cast<size_t>(r)];
  const Vec6 s = multiply(C, eps);
  double ese = 0;
  for (int i = 0; i < 6; ++i) ese += eps[static_cast<size_t>(i)] * s[static_cast<size_t>(i)];
  EXPECT_NEAR(0.5 * uku, 0.5 * V * ese, 1e-12 * V * ese);
}

TEST(MechKernels, StressInvariants) {
  const Vec6 uniaxial{-3e6, 0, 0, 0, 0, 0};
  EXPECT_NEAR(vonMises(uniaxial), 3e6, 1e-6);
  EXPECT_NEAR(hydrostatic(uniaxial), -1e6, 1e-6);
  const Vec6 shear{0, 0, 0, 0, 0, 2e6};  // pure shear tau: von Mises sqrt(3) tau
  EXPECT_NEAR(vonMises(shear), std::sqrt(3.0) * 2e6, 1e-6);
  const Vec6 hydro{5e6, 5e6, 5e6, 0, 0, 0};
  EXPECT_NEAR(vonMises(hydro), 0.0, 1e-9);
}

TEST(MechKernels, CrackedStiffnessIsShermanMorrison) {
  // One crack normal to z with normal compliance d / ((1 - d) C_zz): C0 - d c c^T / C_zz, c = C0 e_zz;
  // the normal stress across it is (1 - d) times the intact one for any strain; shear compliance
  // d / ((1 - d) G) leaves (1 - d) G on the crack plane (yz, xz) and G on xy.
  const test::Iso iso{15e9, 0.271};
  const Mat6 C0 = isotropicStiffness(iso.E, iso.nu);
  for (double d : {0.0, 0.3, 0.9, 0.999999}) {
    SCOPED_TRACE(d);
    std::array<double, 6> w{0, 0, d / ((1 - d) * iso.M()), 0, 0, d / ((1 - d) * iso.G())};
    const Mat6 Cd = crackedStiffness(C0, w);
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) {
        const double expected = C0[static_cast<size_t>(i * 6 + j)] - d * C0[static_cast<size_t>(i * 6 + 2)] *
                                                                         C0[static_cast<size_t>(2 * 6 + j)] /
                                                                         iso.M();
        EXPECT_NEAR(Cd[static_cast<size_t>(i * 6 + j)], expected, 1e-9 * iso.M());
      }
    EXPECT_NEAR(Cd[3 * 7], (1 - d) * iso.G(), 1e-9 * iso.G());
    EXPECT_NEAR(Cd[4 * 7], (1 - d) * iso.G(), 1e-9 * iso.G());
    EXPECT_NEAR(Cd[5 * 7], iso.G(), 1e-9 * iso.G());
    const Vec6 eps{1e-3, -2e-4, 5e-4, 0, 0, 0};
    EXPECT_NEAR(multiply(Cd, eps)[2], (1 - d) * multiply(C0, eps)[2], 1e-9 * iso.M() * 1e-3);
  }
}

TEST(MechKernels, BilinearLawEnergyAndShape) {
  // sigma_c 50 MPa, G_c 2 J/m^2, K = M / h for LPS and h = 20 nm.
  BilinearCohesiveLaw law{50e6, 2.0, test::kLpsIso.M() / 20e-9};
  const double d0 = law.onsetOpening(), df = law.failureOpening();
  EXPECT_NEAR(d0, 50e6 * 20e-9 / test::kLpsIso.M(), 1e-20);
  EXPECT_NEAR(df, 2 * 2.0 / 50e6, 1e-20);
  EXPECT_EQ(law.damage(0.5 * d0), 0.0);
  EXPECT_EQ(law.damage(d0), 0.0);
  EXPECT_EQ(law.damage(df), 1.0);
  EXPECT_EQ(law.damage(2 * df), 1.0);
  EXPECT_NEAR(law.traction(d0, d0), 50e6, 1e-6);  // peak = strength
  // Monotonic envelope: the area under t(delta) is G_c (trapezoid on a fine grid of the two linear pieces).
  double area = 0, prev = 0;
  const int n = 200000;
  for (int i = 1; i <= n; ++i) {
    const double delta = df * 1.01 * i / n;
    const double t = law.traction(delta, delta);
    area += 0.5 * (t + prev) * (df * 1.01 / n);
    prev = t;
  }
  EXPECT_NEAR(area, 2.0, 2e-4);
  // Unloading is secant (towards the origin) and reloading follows it up to the envelope; compression is
  // intact.
  const double kappa = 0.5 * (d0 + df);
  EXPECT_NEAR(law.traction(0.5 * kappa, kappa), 0.5 * law.traction(kappa, kappa), 1e-6);
  EXPECT_NEAR(law.traction(-1e-10, kappa), -law.stiffness * 1e-10, 1e-9);
}

}  // namespace
}  // namespace ssb
