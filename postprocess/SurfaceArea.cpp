#include "postprocess/SurfaceArea.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mesh/BoxExchange.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

namespace {

constexpr int kHalo = 3;        // labels needed around an owned voxel: flat test (3 columns, +-2 + 1) and
                                // the smoothed gradient (kernel radius 2 + central difference 1)
constexpr int kFlatRun = 3;     // columns at the same height, in all, along each in-plane axis
constexpr int kFlatSearch = 2;  // a column with an a|b crossing within this height is not an edge
constexpr uint8_t kOutside = 255;
constexpr int kKernel[5] = {1, 4, 6, 4, 1};  // binomial: sigma = 1 voxel

int64_t mirrorIndex(int64_t x, int64_t n) {
  if (x < 0) x = -1 - x;
  if (x >= n) x = 2 * n - 1 - x;
  return std::clamp<int64_t>(x, 0, n - 1);
}

// The phase labels of the owned block grown by kHalo on every side (not clipped: outside the domain the
// value is kOutside). Every access of the estimators stays inside this box.
struct LabelBox {
  Box3 box;
  std::vector<uint8_t> v;
  std::array<int64_t, 3> n;
  uint8_t at(int64_t i, int64_t j, int64_t k) const { return v[static_cast<size_t>(boxIndex(box, i, j, k))]; }
};

LabelBox labelHalo(const StructuredGrid& grid, const std::vector<uint8_t>& phase) {
  LabelBox lb;
  lb.n = grid.geometry().n;
  Box3 real;
  std::vector<uint8_t> h = haloExchange(grid, phase, kHalo, &real, kOutside);
  lb.box = grid.owned();
  for (int a = 0; a < 3; ++a) {
    lb.box.lo[a] -= kHalo;
    lb.box.size[a] += 2 * kHalo;
  }
  lb.v.assign(static_cast<size_t>(lb.box.voxels()), kOutside);
  for (int64_t k = real.lo[2]; k < real.lo[2] + real.size[2]; ++k)
    for (int64_t j = real.lo[1]; j < real.lo[1] + real.size[1]; ++j)
      std::copy_n(h.data() + boxIndex(real, real.lo[0], j, k), real.size[0],
                  lb.v.data() + boxIndex(lb.box, real.lo[0], j, k));
  return lb;
}

// Binomially smoothed indicator of one phase on the owned block grown by one voxel (clipped to the domain);
// values 0..4096 (= 16^3 for a voxel deep inside the phase). Read it through at(), which mirrors.
struct Smoothed {
  Box3 box;
  std::vector<int16_t> v;
  std::array<int64_t, 3> n;
  int at(int64_t i, int64_t j, int64_t k) const {
    return v[static_cast<size_t>(
        boxIndex(box, mirrorIndex(i, n[0]), mirrorIndex(j, n[1]), mirrorIndex(k, n[2])))];
  }
};

Smoothed smoothPhase(const StructuredGrid& grid, const LabelBox& lb, uint8_t a) {
  Smoothed s;
  s.n = lb.n;
  s.box = grow(grid.owned(), 1, lb.n);
  const Box3& b = s.box;
  // Indicator on b grown by 2 (not clipped; mirrored at the domain faces), then one pass per axis, each pass
  // shrinking the box by 2 along its axis.
  Box3 e = b;
  for (int ax = 0; ax < 3; ++ax) {
    e.lo[ax] -= 2;
    e.size[ax] += 4;
  }
  std::vector<int16_t> chi(static_cast<size_t>(e.voxels()));
  size_t q = 0;
  for (int64_t k = e.lo[2]; k < e.lo[2] + e.size[2]; ++k)
    for (int64_t j = e.lo[1]; j < e.lo[1] + e.size[1]; ++j) {
      const int64_t mk = mirrorIndex(k, lb.n[2]), mj = mirrorIndex(j, lb.n[1]);
      const uint8_t* row = lb.v.data() + boxIndex(lb.box, lb.box.lo[0], mj, mk) - lb.box.lo[0];
      for (int64_t i = e.lo[0]; i < e.lo[0] + e.size[0]; ++i) chi[q++] = row[mirrorIndex(i, lb.n[0])] == a;
    }
  // Pass along `ax`: in (box `from`) -> out (box `from` shrunk by 2 on both sides of ax).
  auto pass = [](const std::vector<int16_t>& in, const Box3& from, int ax, Box3* to) {
    *to = from;
    to->lo[ax] += 2;
    to->size[ax] -= 4;
    const int64_t stride = ax == 0 ? 1 : ax == 1 ? from.size[0] : from.size[0] * from.size[1];
    std::vector<int16_t> out(static_cast<size_t>(to->voxels()));
    size_t o = 0;
    for (int64_t k = to->lo[2]; k < to->lo[2] + to->size[2]; ++k)
      for (int64_t j = to->lo[1]; j < to->lo[1] + to->size[1]; ++j) {
        const int16_t* src = in.data() + boxIndex(from, to->lo[0], j, k);
        for (int64_t i = 0; i < to->size[0]; ++i, ++src)
          out[o++] = static_cast<int16_t>(src[-2 * stride] + 4 * src[-stride] + 6 * src[0] + 4 * src[stride] +
                                          src[2 * stride]);
      }
    return out;
  };
  Box3 b1, b2, b3;
  std::vector<int16_t> t1 = pass(chi, e, 0, &b1);
  chi = std::vector<int16_t>();
  std::vector<int16_t> t2 = pass(t1, b1, 1, &b2);
  t1 = std::vector<int16_t>();
  s.v = pass(t2, b2, 2, &b3);
  return s;
}

// The flat-facet test of the face between p (label a) and p + e_D (label b); lab(i, j, k) returns the label
// or a value that matches neither a nor b outside the domain; inDomain(axis, x) says whether coordinate x
// along axis exists.
template <typename Lab, typename T>
bool flatFacet(const Lab& lab, const std::array<int64_t, 3>& n, const int64_t p[3], int D, T a, T b) {
  auto cross = [&](const int64_t c[3], int64_t x) {
    int64_t r[3] = {c[0], c[1], c[2]};
    r[D] = x;
    if (lab(r[0], r[1], r[2]) != a) return false;
    r[D] = x + 1;
    return lab(r[0], r[1], r[2]) == b;
  };
  for (int tt = 1; tt <= 2; ++tt) {
    const int t = (D + tt) % 3;
    int run = 0;
    for (int s = -1; s <= 1; s += 2)
      for (int m = 1; m <= kFlatRun; ++m) {
        int64_t c[3] = {p[0], p[1], p[2]};
        c[t] += s * m;
        if (c[t] < 0 || c[t] >= n[t]) break;  // the domain face ends the facet like an edge
        if (cross(c, p[D])) {
          ++run;
          continue;
        }
        for (int d = 1; d <= kFlatSearch; ++d)
          if (cross(c, p[D] + d) || cross(c, p[D] - d)) return false;  // the surface steps: not flat
        break;                                                         // an edge
      }
    if (run < kFlatRun) return false;
  }
  return true;
}

// l1 weight |m| / |m|_1 of the physical vector m = g / h (g integer components, exactly representable).
double l1Weight(const int64_t g[3], const std::array<double, 3>& h, bool isotropic) {
  if (isotropic) {
    const int64_t s2 = g[0] * g[0] + g[1] * g[1] + g[2] * g[2];
    const int64_t l1 = std::abs(g[0]) + std::abs(g[1]) + std::abs(g[2]);
    return l1 == 0 ? 1.0 : std::sqrt(static_cast<double>(s2)) / static_cast<double>(l1);
  }
  double s2 = 0, l1 = 0;
  for (int c = 0; c < 3; ++c) {
    const double m = static_cast<double>(g[c]) / h[c];
    s2 += m * m;
    l1 += std::abs(m);
  }
  return l1 == 0 ? 1.0 : std::sqrt(s2) / l1;
}

bool isIsotropic(const std::array<double, 3>& h) { return h[0] == h[1] && h[1] == h[2]; }

}  // namespace

void visitInterfaceFaces(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                         const FaceVisitor& visit) {
  if (nPhases < 1 || nPhases > 255) throwRun("visitInterfaceFaces: {} phases (1..255)", nPhases);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const bool iso = isIsotropic(g.spacing);
  LabelBox lb = labelHalo(grid, phase);
  const uint8_t* v = lb.v.data();
  const int64_t st[3] = {1, lb.box.size[0], lb.box.size[0] * lb.box.size[1]};

  // The flat-facet test on linear indices (the same rule as flatFacet()).
  auto flat = [&](int64_t idx, const int64_t p[3], int D, uint8_t a, uint8_t b) {
    auto cross = [&](int64_t at) { return v[at] == a && v[at + st[D]] == b; };
    for (int tt = 1; tt <= 2; ++tt) {
      const int t = (D + tt) % 3;
      int run = 0;
      for (int s = -1; s <= 1; s += 2)
        for (int m = 1; m <= kFlatRun; ++m) {
          const int64_t ct = p[t] + s * m;
          if (ct < 0 || ct >= g.n[t]) break;
          const int64_t col = idx + s * m * st[t];
          if (cross(col)) {
            ++run;
            continue;
          }
          for (int d = 1; d <= kFlatSearch; ++d)
            if (cross(col + d * st[D]) || cross(col - d * st[D])) return false;
          break;
        }
      if (run < kFlatRun) return false;
    }
    return true;
  };

  // Faces are streamed axis by axis, row by row; which phases are the lower of some pair seen here decides
  // which smoothed fields are made (one at a time, not collective: ranks may differ in the set).
  auto forEachFace = [&](auto&& f) {
    for (int D = 0; D < 3; ++D)
      for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k) {
        if (D == 2 && k + 1 >= g.n[2]) continue;
        for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j) {
          if (D == 1 && j + 1 >= g.n[1]) continue;
          const int64_t base = boxIndex(lb.box, own.lo[0], j, k);
          int64_t iEnd = own.lo[0] + own.size[0];
          if (D == 0) iEnd = std::min(iEnd, g.n[0] - 1);
          const uint8_t* row = v + base;
          const uint8_t* next = row + st[D];
          for (int64_t i = own.lo[0]; i < iEnd; ++i) {
            const int64_t o = i - own.lo[0];
            if (row[o] != next[o]) f(base + o, i, j, k, D, row[o], next[o]);
          }
        }
      }
  };
  std::vector<uint8_t> lowerUsed(static_cast<size_t>(nPhases) + 1, 0);
  forEachFace([&](int64_t, int64_t, int64_t, int64_t, int, uint8_t a, uint8_t b) {
    lowerUsed[std::min<size_t>(std::min(a, b), static_cast<size_t>(nPhases))] = 1;
  });
  for (int low = 0; low < nPhases; ++low) {
    if (!lowerUsed[low]) continue;
    Smoothed S = smoothPhase(grid, lb, static_cast<uint8_t>(low));
    forEachFace([&](int64_t idx, int64_t i, int64_t j, int64_t k, int D, uint8_t a, uint8_t b) {
      if (std::min(a, b) != low) return;
      const int64_t p[3] = {i, j, k};
      double w = 1.0;
      if (!flat(idx, p, D, a, b)) {
        int64_t q[3] = {i, j, k};
        ++q[D];
        int64_t gr[3];
        gr[D] = 4 * (S.at(p[0], p[1], p[2]) - S.at(q[0], q[1], q[2]));
        for (int tt = 1; tt <= 2; ++tt) {
          const int t = (D + tt) % 3;
          int64_t pp[3] = {p[0], p[1], p[2]}, pm[3] = {p[0], p[1], p[2]};
          int64_t qp[3] = {q[0], q[1], q[2]}, qm[3] = {q[0], q[1], q[2]};
          ++pp[t], --pm[t], ++qp[t], --qm[t];
          gr[t] = S.at(pm[0], pm[1], pm[2]) - S.at(pp[0], pp[1], pp[2]) + S.at(qm[0], qm[1], qm[2]) -
                  S.at(qp[0], qp[1], qp[2]);
        }
        w = l1Weight(gr, g.spacing, iso);
      }
      visit(i, j, k, D, a, b, w);
    });
  }
}

std::vector<double> interfaceAreas(const StructuredGrid& grid, const std::vector<uint8_t>& phase,
                                   int nPhases) {
  const int P = nPhases;
  const size_t PP = static_cast<size_t>(P) * static_cast<size_t>(P);
  std::vector<int64_t> sums(3 * PP, 0);  // [axis][min][max], fixed point
  visitInterfaceFaces(
      grid, phase, P, [&](int64_t, int64_t, int64_t, int axis, uint8_t a, uint8_t b, double w) {
        sums[static_cast<size_t>(axis) * PP + std::min(a, b) * P + std::max(a, b)] += WeightSum::fixed(w);
      });
  std::vector<int64_t> total(sums.size());
  MPI_Allreduce(sums.data(), total.data(), static_cast<int>(sums.size()), MPI_INT64_T, MPI_SUM, grid.comm());
  const VoxelGrid& g = grid.geometry();
  std::vector<double> area(PP, 0.0);
  for (int a = 0; a < P; ++a)
    for (int b = a + 1; b < P; ++b) {
      double s = 0;
      for (int D = 0; D < 3; ++D)
        s += WeightSum::value(total[static_cast<size_t>(D) * PP + a * P + b]) *
             (g.voxelVolume() / g.spacing[D]);
      area[a * P + b] = area[b * P + a] = s;
    }
  return area;
}

void visitTripleEdges(const StructuredGrid& grid, const std::vector<uint8_t>& phase, int nPhases,
                      const std::array<uint8_t, 3>& triple, const EdgeVisitor& visit) {
  if (nPhases < 3 || nPhases > 255) throwRun("visitTripleEdges: {} phases (3..255)", nPhases);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const bool iso = isIsotropic(g.spacing);
  LabelBox lb = labelHalo(grid, phase);
  const Smoothed S[3] = {smoothPhase(grid, lb, triple[0]), smoothPhase(grid, lb, triple[1]),
                         smoothPhase(grid, lb, triple[2])};
  for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
    for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
      for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i)
        for (int D = 0; D < 3; ++D) {
          const int t1 = (D + 1) % 3, t2 = (D + 2) % 3;
          int64_t v[4][3];
          bool inside = true;
          for (int c = 0; c < 4; ++c) {
            v[c][0] = i, v[c][1] = j, v[c][2] = k;
            if (c & 1) ++v[c][t1];
            if (c & 2) ++v[c][t2];
            if (v[c][t1] >= g.n[t1] || v[c][t2] >= g.n[t2]) inside = false;
          }
          if (!inside) continue;
          int found = 0;
          for (int c = 0; c < 4; ++c) {
            const uint8_t l = lb.at(v[c][0], v[c][1], v[c][2]);
            for (int m = 0; m < 3; ++m)
              if (l == triple[m]) found |= 1 << m;
          }
          if (found != 7) continue;
          // Straight along the axis (the edges at +-1..3 along it continue the line, at least kFlatRun of
          // them in all, as the flat-facet rule): weight 1, so lines along an axis are exact up to their
          // bends.
          auto isTriple = [&](int64_t shift) {
            int f = 0;
            for (int c = 0; c < 4; ++c) {
              int64_t x[3] = {v[c][0], v[c][1], v[c][2]};
              x[D] += shift;
              if (x[D] < 0 || x[D] >= g.n[D]) return false;
              const uint8_t l = lb.at(x[0], x[1], x[2]);
              for (int m = 0; m < 3; ++m)
                if (l == triple[m]) f |= 1 << m;
            }
            return f == 7;
          };
          int run = 0;
          for (int sgn = -1; sgn <= 1; sgn += 2)
            for (int m = 1; m <= kFlatRun && isTriple(sgn * m); ++m) ++run;
          if (run >= kFlatRun) {
            visit(i, j, k, D, 1.0);
            continue;
          }
          // Gradients of the three smoothed indicators at the edge centre, all scaled by 8 (integers).
          int64_t gr[3][3];
          for (int m = 0; m < 3; ++m) {
            int64_t gD = 0;
            for (int c = 0; c < 4; ++c) {
              int64_t up[3] = {v[c][0], v[c][1], v[c][2]}, dn[3] = {v[c][0], v[c][1], v[c][2]};
              ++up[D], --dn[D];
              gD += S[m].at(up[0], up[1], up[2]) - S[m].at(dn[0], dn[1], dn[2]);
            }
            auto s = [&](int c) { return static_cast<int64_t>(S[m].at(v[c][0], v[c][1], v[c][2])); };
            gr[m][D] = gD;
            gr[m][t1] = 4 * (s(1) - s(0) + s(3) - s(2));
            gr[m][t2] = 4 * (s(2) - s(0) + s(3) - s(1));
          }
          // Physical gradients (exact integers for cubic voxels), then the oriented sum of cross products.
          double gp[3][3];
          for (int m = 0; m < 3; ++m)
            for (int c = 0; c < 3; ++c)
              gp[m][c] = iso ? static_cast<double>(gr[m][c]) : gr[m][c] / g.spacing[c];
          double tv[3] = {0, 0, 0};
          for (int m = 0; m < 3; ++m) {
            const double* x = gp[m];
            const double* y = gp[(m + 1) % 3];
            double c[3] = {x[1] * y[2] - x[2] * y[1], x[2] * y[0] - x[0] * y[2], x[0] * y[1] - x[1] * y[0]};
            const double dot = c[0] * tv[0] + c[1] * tv[1] + c[2] * tv[2];
            const double sgn = dot < 0 ? -1.0 : 1.0;
            for (int a = 0; a < 3; ++a) tv[a] += sgn * c[a];
          }
          const double s2 = tv[0] * tv[0] + tv[1] * tv[1] + tv[2] * tv[2];
          const double l1 = std::abs(tv[0]) + std::abs(tv[1]) + std::abs(tv[2]);
          visit(i, j, k, D, l1 > 0 ? std::sqrt(s2) / l1 : 1.0);
        }
}

double labelFaceWeight(const std::vector<int64_t>& labels, const Box3& box, const std::array<int64_t, 3>& n,
                       const std::array<double, 3>& spacing, const std::array<int64_t, 3>& p, int D) {
  constexpr int64_t kNone = std::numeric_limits<int64_t>::min();  // outside the domain: matches no label
  auto lab = [&](int64_t i, int64_t j, int64_t k) {
    if (i < 0 || j < 0 || k < 0 || i >= n[0] || j >= n[1] || k >= n[2]) return kNone;
    return labels[static_cast<size_t>(boxIndex(box, i, j, k))];
  };
  auto mirrored = [&](int64_t i, int64_t j, int64_t k) {
    return labels[static_cast<size_t>(
        boxIndex(box, mirrorIndex(i, n[0]), mirrorIndex(j, n[1]), mirrorIndex(k, n[2])))];
  };
  const int64_t pp[3] = {p[0], p[1], p[2]};
  int64_t q[3] = {p[0], p[1], p[2]};
  ++q[D];
  const int64_t a = lab(pp[0], pp[1], pp[2]), b = lab(q[0], q[1], q[2]);
  if (flatFacet(lab, n, pp, D, a, b)) return 1.0;
  // Smoothed (a) - (b) indicator difference at the voxels of the gradient stencil, mirrored outside.
  auto smooth = [&](int64_t i, int64_t j, int64_t k) {
    int64_t sum = 0;
    for (int dz = -2; dz <= 2; ++dz)
      for (int dy = -2; dy <= 2; ++dy)
        for (int dx = -2; dx <= 2; ++dx) {
          const int64_t l = mirrored(i + dx, j + dy, k + dz);
          const int v = l == a ? 1 : l == b ? -1 : 0;
          if (v) sum += v * kKernel[dx + 2] * kKernel[dy + 2] * kKernel[dz + 2];
        }
    return sum;
  };
  int64_t gr[3];
  gr[D] = 4 * (smooth(pp[0], pp[1], pp[2]) - smooth(q[0], q[1], q[2]));
  for (int tt = 1; tt <= 2; ++tt) {
    const int t = (D + tt) % 3;
    int64_t a1[3] = {pp[0], pp[1], pp[2]}, a2[3] = {pp[0], pp[1], pp[2]}, b1[3] = {q[0], q[1], q[2]},
            b2[3] = {q[0], q[1], q[2]};
    ++a1[t], --a2[t], ++b1[t], --b2[t];
    gr[t] = smooth(a2[0], a2[1], a2[2]) - smooth(a1[0], a1[1], a1[2]) + smooth(b2[0], b2[1], b2[2]) -
            smooth(b1[0], b1[1], b1[2]);
  }
  return l1Weight(gr, spacing, isIsotropic(spacing));
}

}  // namespace ssb
