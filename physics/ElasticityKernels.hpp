#pragma once
// Small-strain isotropic elasticity on one voxel: the Q1 (trilinear, 8-node) hexahedron, header-only and
// MPI-free so that every kernel is tested alone (tests/mechanics/KernelsTest.cpp).
//
// PDE (per voxel): div sigma = 0, sigma = C : (eps - eps*), eps = sym grad u; C isotropic (E [Pa], nu [-]),
// eps* the eigenstrain. Weak form on one voxel of edges h = (h_x, h_y, h_z) [m]:
//   K_e = int B^T C B dV (2x2x2 Gauss: exact for a box), f_e = int B^T C eps* dV = V B(centre)^T C eps*
// (B is bilinear in the other two coordinates, so its mean over the box is its centre value; the same
// identity makes the centre strain the element's mean strain).
//
// Conventions: Voigt order 0 xx, 1 yy, 2 zz, 3 yz, 4 xz, 5 xy; strains with engineering shear
// (gamma_ij = 2 eps_ij), stresses with tensor components. Element node m = dx + 2 dy + 4 dz with dx, dy,
// dz in {0, 1} (lower or upper corner along x, y, z); element dof 3 m + c, c the displacement component.
#include <array>
#include <cmath>

namespace ssb::elastic {

using Mat6 = std::array<double, 36>;  // row-major 6x6
using Vec6 = std::array<double, 6>;
using ElementMatrix = std::array<double, 24 * 24>;  // row-major
using ElementVector = std::array<double, 24>;
using StrainMatrix = std::array<double, 6 * 24>;  // B, row-major 6x24

inline double shearModulus(double E, double nu) { return E / (2.0 * (1.0 + nu)); }
inline double bulkModulus(double E, double nu) { return E / (3.0 * (1.0 - 2.0 * nu)); }
inline double lameLambda(double E, double nu) { return E * nu / ((1.0 + nu) * (1.0 - 2.0 * nu)); }
// Uniaxial-strain (P-wave) modulus lambda + 2 mu: the normal stiffness of a laterally confined voxel.
inline double pWaveModulus(double E, double nu) { return lameLambda(E, nu) + 2.0 * shearModulus(E, nu); }

inline Mat6 isotropicStiffness(double E, double nu) {
  const double l = lameLambda(E, nu), mu = shearModulus(E, nu);
  Mat6 C{};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 3; ++j) C[i * 6 + j] = l + (i == j ? 2.0 * mu : 0.0);
  for (int i = 3; i < 6; ++i) C[i * 6 + i] = mu;
  return C;
}

// Voigt index of the shear component in the plane of axes a and b (a != b).
inline int shearIndex(int a, int b) { return 6 - a - b; }

// Gauss-Jordan inverse with partial pivoting of a symmetric positive definite 6x6 (stiffness/compliance).
inline Mat6 invert(const Mat6& m) {
  double a[6][12];
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 12; ++j) a[i][j] = j < 6 ? m[i * 6 + j] : (j - 6 == i ? 1.0 : 0.0);
  for (int c = 0; c < 6; ++c) {
    int p = c;
    for (int r = c + 1; r < 6; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    if (p != c)
      for (int j = 0; j < 12; ++j) std::swap(a[c][j], a[p][j]);
    const double inv = 1.0 / a[c][c];
    for (int j = 0; j < 12; ++j) a[c][j] *= inv;
    for (int r = 0; r < 6; ++r) {
      if (r == c || a[r][c] == 0.0) continue;
      const double f = a[r][c];
      for (int j = 0; j < 12; ++j) a[r][j] -= f * a[c][j];
    }
  }
  Mat6 out{};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) out[i * 6 + j] = a[i][j + 6];
  return out;
}

inline Vec6 multiply(const Mat6& C, const Vec6& e) {
  Vec6 s{};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 6; ++j) s[i] += C[i * 6 + j] * e[j];
  return s;
}

// Stiffness of a voxel with smeared planar cracks (fixed crack normals along the axes): the compliance of
// each crack is added to the intact one, S = C0^-1 + sum_a [w_n,a e_aa e_aa^T + w_s,a (shear on plane a)].
// With one crack of normal compliance w_n = d / ((1 - d) C0_aa) this is exactly
// C0 - d (C0 e_aa)(C0 e_aa)^T / C0_aa (Sherman-Morrison): the normal stress across the crack is (1 - d)
// times the intact one for any strain; a shear compliance w_s = d / ((1 - d) mu) scales the crack-plane
// shear stiffness by (1 - d). Adding compliances keeps C symmetric positive definite for any damage < 1.
// w[a] = normal, w[3 + a] = shear compliance of the crack normal to axis a [1/Pa].
inline Mat6 crackedStiffness(const Mat6& C0, const std::array<double, 6>& w) {
  Mat6 S = invert(C0);
  for (int a = 0; a < 3; ++a) {
    S[a * 6 + a] += w[a];
    for (int b = 0; b < 3; ++b)
      if (b != a) {
        const int s = shearIndex(a, b);
        S[s * 6 + s] += w[3 + a];
      }
  }
  return invert(S);
}

// Shape-function gradients dN_m/dx_a at reference point xi in [-1, 1]^3 of a box with edges h.
inline void shapeGradients(const std::array<double, 3>& h, const std::array<double, 3>& xi, double g[8][3]) {
  for (int m = 0; m < 8; ++m) {
    double s[3], f[3];
    for (int a = 0; a < 3; ++a) {
      s[a] = ((m >> a) & 1) ? 1.0 : -1.0;
      f[a] = 0.5 * (1.0 + s[a] * xi[a]);
    }
    for (int a = 0; a < 3; ++a) {
      double d = 0.5 * s[a];
      for (int b = 0; b < 3; ++b)
        if (b != a) d *= f[b];
      g[m][a] = d * 2.0 / h[a];
    }
  }
}

inline StrainMatrix strainMatrix(const std::array<double, 3>& h, const std::array<double, 3>& xi) {
  double g[8][3];
  shapeGradients(h, xi, g);
  StrainMatrix B{};
  auto at = [&](int r, int c) -> double& { return B[static_cast<size_t>(r * 24 + c)]; };
  for (int m = 0; m < 8; ++m) {
    const int c = 3 * m;
    at(0, c) = g[m][0];
    at(1, c + 1) = g[m][1];
    at(2, c + 2) = g[m][2];
    at(3, c + 1) = g[m][2];  // gamma_yz = du_y/dz + du_z/dy
    at(3, c + 2) = g[m][1];
    at(4, c + 0) = g[m][2];  // gamma_xz
    at(4, c + 2) = g[m][0];
    at(5, c + 0) = g[m][1];  // gamma_xy
    at(5, c + 1) = g[m][0];
  }
  return B;
}

inline StrainMatrix centreStrainMatrix(const std::array<double, 3>& h) {
  return strainMatrix(h, {0.0, 0.0, 0.0});
}

// K_e = sum over the 2x2x2 Gauss points of B^T C B det(J) (weights 1, det J = V / 8).
inline ElementMatrix elementStiffness(const Mat6& C, const std::array<double, 3>& h) {
  ElementMatrix K{};
  const double gp = 1.0 / std::sqrt(3.0);
  const double w = h[0] * h[1] * h[2] / 8.0;
  for (int q = 0; q < 8; ++q) {
    const StrainMatrix B = strainMatrix(h, {(q & 1) ? gp : -gp, (q & 2) ? gp : -gp, (q & 4) ? gp : -gp});
    std::array<double, 6 * 24> CB{};
    for (int i = 0; i < 6; ++i)
      for (int k = 0; k < 6; ++k) {
        const double c = C[static_cast<size_t>(i * 6 + k)];
        if (c == 0.0) continue;
        for (int j = 0; j < 24; ++j)
          CB[static_cast<size_t>(i * 24 + j)] += c * B[static_cast<size_t>(k * 24 + j)];
      }
    for (int i = 0; i < 24; ++i)
      for (int k = 0; k < 6; ++k) {
        const double b = B[static_cast<size_t>(k * 24 + i)];
        if (b == 0.0) continue;
        for (int j = 0; j < 24; ++j)
          K[static_cast<size_t>(i * 24 + j)] += w * b * CB[static_cast<size_t>(k * 24 + j)];
      }
  }
  return K;
}

// Galerkin coarsening of one element (the multigrid's coarse operators, Elasticity.hpp): adds Q^T K Q to
// `out`, where K is the matrix of a child element lying at `offset` (in child elements, each in
// [0, 2^levels)) inside a parent element 2^levels times larger per axis, and Q (24x24) interpolates the
// parent's 8 corner displacements trilinearly to the child's 8 corners: Q[3m + c][3M + c] =
// prod_a (D_a ? t_a : 1 - t_a), t_a = (offset_a + d_a) / 2^levels, with d, D the corner bits of child node m
// and parent node M. Trilinear interpolation of a trilinear field is exact, so this Q is also the product
// of `levels` factor-2 interpolations, and the sum over a parent's children is the parent's block of
// P^T A P. Cost: two 24x24x8 products.
inline void addGalerkinChild(const ElementMatrix& K, int levels, const std::array<int, 3>& offset,
                             ElementMatrix& out) {
  const double n = static_cast<double>(1 << levels);
  double w[3][2][2];  // w[axis][child corner bit][parent corner bit]
  for (int a = 0; a < 3; ++a)
    for (int d = 0; d < 2; ++d) {
      const double t = (offset[static_cast<size_t>(a)] + d) / n;
      w[a][d][0] = 1.0 - t;
      w[a][d][1] = t;
    }
  double Q[8][8];  // Q[child node][parent node]
  for (int m = 0; m < 8; ++m)
    for (int M = 0; M < 8; ++M)
      Q[m][M] = w[0][m & 1][M & 1] * w[1][(m >> 1) & 1][(M >> 1) & 1] * w[2][(m >> 2) & 1][(M >> 2) & 1];
  double KQ[24][24];  // K (Q x I3)
  for (int r = 0; r < 24; ++r)
    for (int M = 0; M < 8; ++M)
      for (int c = 0; c < 3; ++c) {
        double s = 0.0;
        for (int m = 0; m < 8; ++m) s += K[static_cast<size_t>(r * 24 + 3 * m + c)] * Q[m][M];
        KQ[r][3 * M + c] = s;
      }
  for (int M = 0; M < 8; ++M)
    for (int c = 0; c < 3; ++c)
      for (int col = 0; col < 24; ++col) {
        double s = 0.0;
        for (int m = 0; m < 8; ++m) s += Q[m][M] * KQ[3 * m + c][col];
        out[static_cast<size_t>((3 * M + c) * 24 + col)] += s;
      }
}

// Element mean strain from the 24 element displacements.
inline Vec6 meanStrain(const StrainMatrix& Bc, const ElementVector& U) {
  Vec6 e{};
  for (int i = 0; i < 6; ++i)
    for (int j = 0; j < 24; ++j) e[i] += Bc[static_cast<size_t>(i * 24 + j)] * U[static_cast<size_t>(j)];
  return e;
}

// Equivalent nodal forces of a uniform eigenstrain: f_e = V Bc^T C eps*.
inline ElementVector eigenstrainLoad(const StrainMatrix& Bc, const Mat6& C, const Vec6& eig, double volume) {
  const Vec6 s = multiply(C, eig);
  ElementVector f{};
  for (int j = 0; j < 24; ++j)
    for (int i = 0; i < 6; ++i)
      f[static_cast<size_t>(j)] += volume * Bc[static_cast<size_t>(i * 24 + j)] * s[i];
  return f;
}

inline double hydrostatic(const Vec6& s) { return (s[0] + s[1] + s[2]) / 3.0; }
inline double vonMises(const Vec6& s) {
  const double a = s[0] - s[1], b = s[1] - s[2], c = s[2] - s[0];
  return std::sqrt(0.5 * (a * a + b * b + c * c) + 3.0 * (s[3] * s[3] + s[4] * s[4] + s[5] * s[5]));
}

}  // namespace ssb::elastic
