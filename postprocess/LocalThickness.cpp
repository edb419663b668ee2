#include "postprocess/LocalThickness.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <unordered_map>

#include "mesh/BoxExchange.hpp"
#include "mesh/DistanceTransform.hpp"

namespace ssb {

namespace {

int64_t isqrt(int64_t m) {
  if (m <= 0) return 0;
  int64_t r = static_cast<int64_t>(std::sqrt(static_cast<double>(m)));
  while (r * r > m) --r;
  while ((r + 1) * (r + 1) <= m) ++r;
  return r;
}

// Above this squared radius (100 voxels) the tables (O(r^2) work per distinct radius) cost more than they
// save; the continuous test is used instead (still exact, prunes less).
constexpr int64_t kTableLimit = 10000;

struct Centre {
  int64_t i, j, k;
  double d2;
};

}  // namespace

int64_t ballReachSquared(int64_t r2, int cls) {
  // Points of the ball: |y|^2 <= r2 - 1. The farthest point from e = (1,0,0), (1,1,0) or (1,1,1) has
  // non-positive coordinates along e's unit axes, so y = (-a, -b, -c) with a, b, c >= 0 there.
  const int64_t m = r2 - 1;
  if (m < 0) return -1;
  int64_t best = -1;
  const int64_t amax = isqrt(m);
  for (int64_t a = 0; a <= amax; ++a) {
    int64_t ra = m - a * a;
    if (cls == 1) {
      // Largest sum of two squares <= ra.
      int64_t s = 0;
      for (int64_t b = 0; b * b <= ra; ++b) {
        int64_t c = isqrt(ra - b * b);
        s = std::max(s, b * b + c * c);
        if (s == ra) break;
      }
      best = std::max(best, (a + 1) * (a + 1) + s);
    } else {
      for (int64_t b = 0; b * b <= ra; ++b) {
        int64_t c = isqrt(ra - b * b);
        int64_t v = (a + 1) * (a + 1) + (b + 1) * (b + 1) + (cls == 3 ? (c + 1) * (c + 1) : c * c);
        best = std::max(best, v);
      }
    }
  }
  return best;
}

std::vector<double> localThickness(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                                   bool closedBorder, LocalThicknessStats* stats) {
  MPI_Comm comm = grid.comm();
  int size = 1;
  MPI_Comm_size(comm, &size);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& h = g.spacing;
  const double w[3] = {h[0] * h[0], h[1] * h[1], h[2] * h[2]};
  const double hmin = std::min({h[0], h[1], h[2]});
  const bool isotropic = h[0] == h[1] && h[1] == h[2];

  std::vector<double> d2 = squaredDistanceTransform(grid, mask, closedBorder);

  int64_t counts[2] = {0, 0};  // phase voxels, unbounded voxels
  for (size_t i = 0; i < mask.size(); ++i)
    if (mask[i]) {
      ++counts[0];
      if (!std::isfinite(d2[i])) ++counts[1];
    }
  int64_t global[2];
  MPI_Allreduce(counts, global, 2, MPI_INT64_T, MPI_SUM, comm);
  LocalThicknessStats st;
  st.centres = global[0];
  if (global[1] > 0) {
    st.unbounded = true;
    if (stats) *stats = st;
    return std::vector<double>(mask.size(), 0.0);
  }

  // Prune balls contained in a 26-neighbour's ball of at least the same radius.
  Box3 hb;
  std::vector<double> hd2 = haloExchange(grid, d2, 1, &hb, 0.0);
  std::unordered_map<int64_t, std::array<int64_t, 3>> reach;  // r2 -> reach per offset class
  auto reachOf = [&](int64_t r2) -> const std::array<int64_t, 3>& {
    auto it = reach.find(r2);
    if (it == reach.end())
      it = reach
               .emplace(r2, std::array<int64_t, 3>{ballReachSquared(r2, 1), ballReachSquared(r2, 2),
                                                   ballReachSquared(r2, 3)})
               .first;
    return it->second;
  };
  std::vector<Centre> kept;
  for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
    for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
      for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i) {
        int64_t li = grid.localIndex(i, j, k);
        if (!mask[li]) continue;
        const double dc = d2[li];
        const int64_t r2 = isotropic ? std::llround(dc / w[0]) : 0;
        const bool table = isotropic && r2 <= kTableLimit;
        const double rc = std::sqrt(dc);
        bool dominated = false;
        for (int dz = -1; dz <= 1 && !dominated; ++dz)
          for (int dy = -1; dy <= 1 && !dominated; ++dy)
            for (int dx = -1; dx <= 1 && !dominated; ++dx) {
              if (dx == 0 && dy == 0 && dz == 0) continue;
              int64_t ni = i + dx, nj = j + dy, nk = k + dz;
              if (ni < hb.lo[0] || nj < hb.lo[1] || nk < hb.lo[2] || ni >= hb.lo[0] + hb.size[0] ||
                  nj >= hb.lo[1] + hb.size[1] || nk >= hb.lo[2] + hb.size[2])
                continue;
              double dn = hd2[boxIndex(hb, ni, nj, nk)];
              if (dn < dc) continue;
              if (table) {
                int cls = std::abs(dx) + std::abs(dy) + std::abs(dz);
                // In integers: D / h^2 is an integer up to rounding, which must not decide containment.
                dominated = reachOf(r2)[cls - 1] < std::llround(dn / w[0]);
              } else {
                double e = std::sqrt(w[0] * dx * dx + w[1] * dy * dy + w[2] * dz * dz);
                dominated = std::sqrt(dn) >= (rc + e) * (1.0 + 1e-12);
              }
            }
        if (!dominated) kept.push_back({i, j, k, dc});
      }
  hd2 = std::vector<double>();

  // Send each kept ball to every rank whose block it reaches.
  std::vector<Box3> boxes = allgatherBoxes(comm, own);
  std::vector<std::vector<Centre>> out(static_cast<size_t>(size));
  for (const Centre& c : kept) {
    double r = std::sqrt(c.d2);
    Box3 bb;
    const int64_t ci[3] = {c.i, c.j, c.k};
    for (int a = 0; a < 3; ++a) {
      int64_t e = static_cast<int64_t>(std::floor(r / h[a]));
      bb.lo[a] = ci[a] - e;
      bb.size[a] = 2 * e + 1;
    }
    for (int r2 = 0; r2 < size; ++r2)
      if (!isEmpty(intersect(bb, boxes[r2]))) out[r2].push_back(c);
  }
  int64_t nk = static_cast<int64_t>(kept.size());
  kept = std::vector<Centre>();
  std::vector<Centre> balls = exchangeVectors(comm, out);
  out = std::vector<std::vector<Centre>>();

  // Paint: max of D over the balls containing each voxel.
  std::vector<double> best(mask.size(), 0.0);
  const int64_t hi[3] = {own.lo[0] + own.size[0], own.lo[1] + own.size[1], own.lo[2] + own.size[2]};
  for (const Centre& c : balls) {
    const double D = c.d2;
    // Isotropic voxels: the ball test in exact integers (D / h^2 is an integer there).
    const int64_t R = isotropic ? std::llround(D / w[0]) : 0;
    // Anisotropic voxels: a voxel exactly as far from c as the nearest background voxel is on the sphere, not
    // inside; rounding of the two different sums must not decide that, hence the relative margin.
    const double Dtie = D * (1.0 - 1e-12);
    const double r = std::sqrt(D);
    const int64_t ez = static_cast<int64_t>(std::floor(r / h[2]));
    const int64_t z0 = std::max(c.k - ez, own.lo[2]), z1 = std::min(c.k + ez, hi[2] - 1);
    for (int64_t kz = z0; kz <= z1; ++kz) {
      const int64_t dz = kz - c.k;
      const double tz = w[2] * static_cast<double>(dz * dz);
      if (tz >= D) continue;
      const int64_t ey = static_cast<int64_t>(std::floor(std::sqrt((D - tz) / w[1])));
      const int64_t y0 = std::max(c.j - ey, own.lo[1]), y1 = std::min(c.j + ey, hi[1] - 1);
      for (int64_t jy = y0; jy <= y1; ++jy) {
        const int64_t dy = jy - c.j;
        const double ty = w[1] * static_cast<double>(dy * dy);
        auto inside = [&](int64_t dx) {
          if (isotropic) return dz * dz + dy * dy + dx * dx < R;
          return tz + (ty + w[0] * static_cast<double>(dx * dx)) < Dtie;
        };
        double rem = D - tz - ty;
        int64_t ex = rem > 0 ? static_cast<int64_t>(std::floor(std::sqrt(rem / w[0]))) : -1;
        while (ex >= 0 && !inside(ex)) --ex;
        while (inside(ex + 1)) ++ex;
        if (ex < 0) continue;
        const int64_t x0 = std::max(c.i - ex, own.lo[0]), x1 = std::min(c.i + ex, hi[0] - 1);
        if (x0 > x1) continue;
        double* row = best.data() + grid.localIndex(x0, jy, kz);
        const int64_t len = x1 - x0 + 1;
        for (int64_t x = 0; x < len; ++x) row[x] = std::max(row[x], D);
      }
    }
  }
  for (size_t i = 0; i < best.size(); ++i) best[i] = mask[i] ? 2.0 * std::sqrt(best[i]) - hmin : 0.0;

  MPI_Allreduce(&nk, &st.keptCentres, 1, MPI_INT64_T, MPI_SUM, comm);
  if (stats) *stats = st;
  return best;
}

}  // namespace ssb
