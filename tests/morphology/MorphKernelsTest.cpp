// The distributed kernels against brute force on small random volumes: exact Euclidean distance transform,
// local thickness (the Hildebrand-Ruegsegger definition evaluated voxel by voxel), geodesic distances
// (serial Dijkstra), and the box exchange. Every rank computes the brute-force reference for its own voxels
// from the global label function, so the comparison is exact and rank-count independent.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <memory>
#include <queue>

#include "mesh/BoxExchange.hpp"
#include "mesh/DistanceTransform.hpp"
#include "postprocess/Geodesic.hpp"
#include "postprocess/LocalThickness.hpp"
#include "tests/morphology/MorphTestUtil.hpp"

namespace ssb {
namespace {

using test::forOwned;

// A blobby random mask: a voxel is in the phase if a smoothed random field exceeds a threshold.
std::function<bool(int64_t, int64_t, int64_t)> blobs(std::array<int64_t, 3> n, uint64_t seed, double thr) {
  // Sum of a few random Gaussian bumps.
  std::vector<std::array<double, 4>> bumps;
  for (int b = 0; b < 14; ++b)
    bumps.push_back({test::uniform01(seed, 4 * b) * n[0], test::uniform01(seed, 4 * b + 1) * n[1],
                     test::uniform01(seed, 4 * b + 2) * n[2], 2.0 + 3.0 * test::uniform01(seed, 4 * b + 3)});
  // Tabulated once: the references below evaluate it many times.
  auto table = std::make_shared<std::vector<uint8_t>>(static_cast<size_t>(n[0] * n[1] * n[2]));
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) {
        double s = 0;
        for (const auto& b : bumps) {
          double d2 = (i - b[0]) * (i - b[0]) + (j - b[1]) * (j - b[1]) + (k - b[2]) * (k - b[2]);
          s += std::exp(-d2 / (2 * b[3] * b[3]));
        }
        (*table)[(k * n[1] + j) * n[0] + i] = s > thr;
      }
  return [=](int64_t i, int64_t j, int64_t k) { return (*table)[(k * n[1] + j) * n[0] + i] != 0; };
}

struct Fixture {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint8_t> mask;
};

Fixture makeFixture(std::array<int64_t, 3> n, std::array<double, 3> h,
                    const std::function<bool(int64_t, int64_t, int64_t)>& f) {
  VoxelGrid g;
  g.n = n;
  g.spacing = h;
  Fixture s;
  s.grid = std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
  s.mask = test::ownedMask(*s.grid, f);
  return s;
}

// Brute-force squared distance to the nearest background voxel centre (and, closed, to the outside layer).
double bruteD2(std::array<int64_t, 3> n, std::array<double, 3> h,
               const std::function<bool(int64_t, int64_t, int64_t)>& f, bool closed, int64_t i, int64_t j,
               int64_t k) {
  if (!f(i, j, k)) return 0.0;
  double best = std::numeric_limits<double>::infinity();
  for (int64_t z = -1; z <= n[2]; ++z)
    for (int64_t y = -1; y <= n[1]; ++y)
      for (int64_t x = -1; x <= n[0]; ++x) {
        bool outside = x < 0 || y < 0 || z < 0 || x >= n[0] || y >= n[1] || z >= n[2];
        if (outside ? !closed : f(x, y, z)) continue;
        double d = (x - i) * h[0] * (x - i) * h[0] + (y - j) * h[1] * (y - j) * h[1] +
                   (z - k) * h[2] * (z - k) * h[2];
        best = std::min(best, d);
      }
  return best;
}

TEST(MorphKernels, BoxExchangeHaloAndGather) {
  std::array<int64_t, 3> n{11, 7, 9};
  Fixture s = makeFixture(n, {1, 1, 1}, [](int64_t, int64_t, int64_t) { return true; });
  std::vector<int64_t> nat(static_cast<size_t>(s.grid->owned().voxels()));
  forOwned(*s.grid,
           [&](int64_t i, int64_t j, int64_t k, int64_t li) { nat[li] = s.grid->naturalIndex(i, j, k); });
  Box3 hb;
  auto halo = haloExchange(*s.grid, nat, 2, &hb, int64_t(-1));
  for (int64_t k = hb.lo[2]; k < hb.lo[2] + hb.size[2]; ++k)
    for (int64_t j = hb.lo[1]; j < hb.lo[1] + hb.size[1]; ++j)
      for (int64_t i = hb.lo[0]; i < hb.lo[0] + hb.size[0]; ++i)
        ASSERT_EQ(halo[boxIndex(hb, i, j, k)], (k * n[1] + j) * n[0] + i);
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  Box3 all;
  all.size = n;
  auto gathered = redistribute(PETSC_COMM_WORLD, s.grid->owned(), nat, rank == 0 ? all : Box3{}, int64_t(-1));
  if (rank == 0) {
    for (int64_t q = 0; q < all.voxels(); ++q) ASSERT_EQ(gathered[q], q);
  }
}

TEST(MorphKernels, DistanceTransformIsExact) {
  for (int variant = 0; variant < 4; ++variant) {
    std::array<int64_t, 3> n{19, 14, 12};
    std::array<double, 3> h =
        variant < 2 ? std::array<double, 3>{1, 1, 1} : std::array<double, 3>{1.0, 1.5, 0.7};
    bool closed = variant % 2 == 1;
    auto f = blobs(n, 11 + variant, 0.35);
    Fixture s = makeFixture(n, h, f);
    auto d2 = squaredDistanceTransform(*s.grid, s.mask, closed);
    std::vector<VoxelCoord> near;
    auto d2f = squaredDistanceTransform(*s.grid, s.mask, closed, &near);
    forOwned(*s.grid, [&](int64_t i, int64_t j, int64_t k, int64_t li) {
      double ref = bruteD2(n, h, f, closed, i, j, k);
      if (std::isinf(ref))
        EXPECT_TRUE(std::isinf(d2[li]));
      else
        EXPECT_NEAR(d2[li], ref, 1e-9 * (1 + ref)) << variant << " at " << i << "," << j << "," << k;
      // The same distances with features, and the feature is a background voxel (or the closed border's
      // outside layer) at exactly that distance.
      EXPECT_EQ(d2f[li], d2[li]);
      if (std::isinf(ref)) return;
      const VoxelCoord& q = near[li];
      const bool outside = q[0] < 0 || q[1] < 0 || q[2] < 0 || q[0] >= n[0] || q[1] >= n[1] || q[2] >= n[2];
      if (outside) {
        EXPECT_TRUE(closed);
        EXPECT_TRUE(q[0] >= -1 && q[1] >= -1 && q[2] >= -1 && q[0] <= n[0] && q[1] <= n[1] && q[2] <= n[2]);
      } else {
        EXPECT_FALSE(f(q[0], q[1], q[2])) << variant;
      }
      const double dq = (q[0] - i) * h[0] * (q[0] - i) * h[0] + (q[1] - j) * h[1] * (q[1] - j) * h[1] +
                        (q[2] - k) * h[2] * (q[2] - k) * h[2];
      EXPECT_NEAR(dq, ref, 1e-9 * (1 + ref)) << variant << " at " << i << "," << j << "," << k;
    });
  }
}

TEST(MorphKernels, LocalThicknessMatchesDefinition) {
  // Definition of the lattice balls (refinement off): thickness(y) = 2 sqrt(max{D(c) : c in phase,
  // |y - c|^2 < D(c)}) - h_min / 2, D = squared EDT. With refinement on, the values can only grow, and the
  // largest by less than the refinement's reach: a centre moves by at most sqrt(3)/2 voxel, so sqrt(D) grows
  // by at most that much (the distance to the background is 1-Lipschitz).
  // Variants: unit voxels (open, closed border), 0.3 um voxels (squared distances are not integers in
  // floating point: the containment tables must still decide in integers; this spacing exposed it),
  // anisotropic voxels.
  for (int variant = 0; variant < 4; ++variant) {
    std::array<int64_t, 3> n{18, 15, 13};
    std::array<double, 3> h = variant < 2    ? std::array<double, 3>{1, 1, 1}
                              : variant == 2 ? std::array<double, 3>{0.3e-6, 0.3e-6, 0.3e-6}
                                             : std::array<double, 3>{0.8, 1.0, 1.3};
    bool closed = variant == 1;
    auto f = blobs(n, 40 + variant, 0.3);
    Fixture s = makeFixture(n, h, f);
    LocalThicknessStats st, stRef;
    auto lt = localThickness(*s.grid, s.mask, closed, &st, false);
    auto ltRef = localThickness(*s.grid, s.mask, closed, &stRef, true);
    // Reference D for every voxel of the volume (every rank computes it all: small volume).
    std::vector<double> D(static_cast<size_t>(n[0] * n[1] * n[2]));
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) D[(k * n[1] + j) * n[0] + i] = bruteD2(n, h, f, closed, i, j, k);
    const double hmin = std::min({h[0], h[1], h[2]});
    forOwned(*s.grid, [&](int64_t i, int64_t j, int64_t k, int64_t li) {
      if (!f(i, j, k)) {
        EXPECT_EQ(lt[li], 0.0);
        return;
      }
      double best = 0;
      for (int64_t z = 0; z < n[2]; ++z)
        for (int64_t y = 0; y < n[1]; ++y)
          for (int64_t x = 0; x < n[0]; ++x) {
            double Dc = D[(z * n[1] + y) * n[0] + x];
            if (Dc <= best) continue;
            double d = (x - i) * h[0] * (x - i) * h[0] + (y - j) * h[1] * (y - j) * h[1] +
                       (z - k) * h[2] * (z - k) * h[2];
            if (d < Dc * (1 - 1e-12)) best = Dc;
          }
      EXPECT_NEAR(lt[li], 2 * std::sqrt(best) - 0.5 * hmin, 1e-9 * hmin)
          << variant << " at " << i << "," << j << "," << k;
      EXPECT_GE(ltRef[li], lt[li] - 1e-12 * hmin);
    });
    double mx[2] = {0, 0}, gmx[2];
    for (size_t q = 0; q < lt.size(); ++q) mx[0] = std::max(mx[0], lt[q]), mx[1] = std::max(mx[1], ltRef[q]);
    MPI_Allreduce(mx, gmx, 2, MPI_DOUBLE, MPI_MAX, PETSC_COMM_WORLD);
    EXPECT_LE(gmx[1], gmx[0] + std::sqrt(3.0) * std::max({h[0], h[1], h[2]}) + 1e-12 * hmin);
    EXPECT_GT(st.centres, 0);
    EXPECT_EQ(st.refined, 0);
    EXPECT_GT(stRef.refined, 0);
    // The discrete containment tables (isotropic voxels) drop balls inside a neighbour's ball.
    if (variant < 3) {
      EXPECT_LT(st.keptCentres, st.centres / 2);
    }
  }
}

TEST(MorphKernels, GeodesicMatchesSerialDijkstra) {
  // Variants: 6 and 26 neighbours, along z and x, from both faces, anisotropic voxels (heap) and cubic
  // voxels (the breadth-first sweep of unit steps).
  for (int variant = 0; variant < 6; ++variant) {
    std::array<int64_t, 3> n{16, 13, 15};
    std::array<double, 3> h =
        variant < 4 ? std::array<double, 3>{1.0, 1.2, 0.9} : std::array<double, 3>{0.3, 0.3, 0.3};
    const int neighbours = variant % 2 || variant == 5 ? 26 : 6;
    const int axis = variant == 2 || variant == 3 || variant == 5 ? 0 : 2;
    const bool fromPlus = variant == 3 || variant == 4;
    auto f = blobs(n, 70 + variant, 0.25);
    Fixture s = makeFixture(n, h, f);
    GeodesicResult r = geodesicDistance(*s.grid, s.mask, axis, fromPlus, neighbours);
    // Serial Dijkstra on the whole volume.
    const double inf = std::numeric_limits<double>::infinity();
    const int64_t N = n[0] * n[1] * n[2];
    std::vector<double> d(N, inf);
    std::priority_queue<std::pair<double, int64_t>, std::vector<std::pair<double, int64_t>>, std::greater<>>
        q;
    auto at = [&](int64_t i, int64_t j, int64_t k) { return (k * n[1] + j) * n[0] + i; };
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          int64_t c[3] = {i, j, k};
          if (c[axis] == (fromPlus ? n[axis] - 1 : 0) && f(i, j, k)) {
            d[at(i, j, k)] = 0.5 * h[axis];
            q.push({d[at(i, j, k)], at(i, j, k)});
          }
        }
    while (!q.empty()) {
      auto [du, u] = q.top();
      q.pop();
      if (du > d[u]) continue;
      int64_t i = u % n[0], j = (u / n[0]) % n[1], k = u / (n[0] * n[1]);
      for (int dz = -1; dz <= 1; ++dz)
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            int nz = std::abs(dx) + std::abs(dy) + std::abs(dz);
            if (nz == 0 || (neighbours == 6 && nz > 1)) continue;
            int64_t a = i + dx, b = j + dy, c = k + dz;
            if (a < 0 || b < 0 || c < 0 || a >= n[0] || b >= n[1] || c >= n[2] || !f(a, b, c)) continue;
            double w = std::sqrt(dx * h[0] * dx * h[0] + dy * h[1] * dy * h[1] + dz * h[2] * dz * h[2]);
            if (du + w < d[at(a, b, c)]) {
              d[at(a, b, c)] = du + w;
              q.push({du + w, at(a, b, c)});
            }
          }
    }
    forOwned(*s.grid, [&](int64_t i, int64_t j, int64_t k, int64_t li) {
      double ref = d[at(i, j, k)];
      if (std::isinf(ref))
        EXPECT_EQ(r.distance[li], -1.0);
      else
        EXPECT_NEAR(r.distance[li], ref, 1e-12 * ref) << variant;
    });
    // Outlet statistics.
    int64_t outlet = 0, reached = 0;
    double mn = inf, mx = 0, sum = 0;
    for (int64_t k = 0; k < n[2]; ++k)
      for (int64_t j = 0; j < n[1]; ++j)
        for (int64_t i = 0; i < n[0]; ++i) {
          int64_t c[3] = {i, j, k};
          if (c[axis] != (fromPlus ? 0 : n[axis] - 1) || !f(i, j, k)) continue;
          ++outlet;
          if (std::isinf(d[at(i, j, k)])) continue;
          double len = d[at(i, j, k)] + 0.5 * h[axis];
          ++reached;
          mn = std::min(mn, len);
          mx = std::max(mx, len);
          sum += len;
        }
    EXPECT_EQ(r.outletVoxels, outlet);
    EXPECT_EQ(r.reached, reached);
    ASSERT_GT(reached, 0) << "variant " << variant << ": choose a percolating test structure";
    EXPECT_NEAR(r.minLength, mn, 1e-12 * mn);
    EXPECT_NEAR(r.maxLength, mx, 1e-12 * mx);
    EXPECT_NEAR(r.meanLength, sum / reached, 1e-12 * mx);
    EXPECT_DOUBLE_EQ(r.thickness, n[axis] * h[axis]);
  }
}

}  // namespace
}  // namespace ssb
