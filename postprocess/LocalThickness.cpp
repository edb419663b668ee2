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

int64_t mirrorIndex(int64_t x, int64_t n) {
  if (x < 0) x = -1 - x;
  if (x >= n) x = 2 * n - 1 - x;
  return std::clamp<int64_t>(x, 0, n - 1);
}

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

struct Ball {
  double c[3];  // centre (voxel index units; integers for lattice balls)
  double d2;    // squared radius [m^2]
  int lattice;  // 1: centred on a voxel (exact integer ball test with cubic voxels)
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
                                   bool closedBorder, LocalThicknessStats* stats, bool refine) {
  MPI_Comm comm = grid.comm();
  int size = 1;
  MPI_Comm_size(comm, &size);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& h = g.spacing;
  const double w[3] = {h[0] * h[0], h[1] * h[1], h[2] * h[2]};
  const double hmin = std::min({h[0], h[1], h[2]});
  const bool isotropic = h[0] == h[1] && h[1] == h[2];

  std::vector<VoxelCoord> nearest;
  std::vector<double> d2 = squaredDistanceTransform(grid, mask, closedBorder, refine ? &nearest : nullptr);

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

  // Prune lattice balls contained in a 26-neighbour's ball of at least the same radius.
  Box3 hb;
  std::vector<double> hd2 = haloExchange(grid, d2, 2, &hb, 0.0);
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
  auto inHalo = [&](int64_t i, int64_t j, int64_t k) {
    return i >= hb.lo[0] && j >= hb.lo[1] && k >= hb.lo[2] && i < hb.lo[0] + hb.size[0] &&
           j < hb.lo[1] + hb.size[1] && k < hb.lo[2] + hb.size[2];
  };
  std::vector<Ball> kept;
  std::vector<int64_t> localMax;  // local indices of the local maxima of D (refinement candidates)
  for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
    for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
      for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i) {
        int64_t li = grid.localIndex(i, j, k);
        if (!mask[li]) continue;
        const double dc = d2[li];
        const int64_t r2 = isotropic ? std::llround(dc / w[0]) : 0;
        const bool table = isotropic && r2 <= kTableLimit;
        const double rc = std::sqrt(dc);
        bool dominated = false, isMax = true;
        for (int dz = -1; dz <= 1; ++dz)
          for (int dy = -1; dy <= 1; ++dy)
            for (int dx = -1; dx <= 1; ++dx) {
              if (dx == 0 && dy == 0 && dz == 0) continue;
              int64_t ni = i + dx, nj = j + dy, nk = k + dz;
              if (!inHalo(ni, nj, nk)) continue;
              double dn = hd2[boxIndex(hb, ni, nj, nk)];
              if (dn > dc) isMax = false;
              if (dn < dc || dominated) continue;
              if (table) {
                int cls = std::abs(dx) + std::abs(dy) + std::abs(dz);
                // In integers: D / h^2 is an integer up to rounding, which must not decide containment.
                dominated = reachOf(r2)[cls - 1] < std::llround(dn / w[0]);
              } else {
                double e = std::sqrt(w[0] * dx * dx + w[1] * dy * dy + w[2] * dz * dz);
                dominated = std::sqrt(dn) >= (rc + e) * (1.0 + 1e-12);
              }
            }
        if (!dominated) kept.push_back({{double(i), double(j), double(k)}, dc, 1});
        if (refine && isMax) localMax.push_back(li);
      }

  // Refined balls at the local maxima: the centre moves within the voxel to the point farthest from the
  // nearest background voxels of the 3 x 3 x 3 neighbourhood.
  int64_t nRefined = 0;
  if (refine) {
    Box3 hb2;
    std::vector<VoxelCoord> hnear = haloExchange(grid, nearest, 1, &hb2, VoxelCoord{-1, -1, -1});
    nearest = std::vector<VoxelCoord>();
    std::vector<std::array<double, 3>> Q;
    for (int64_t li : localMax) {
      const int64_t k = own.lo[2] + li / (own.size[0] * own.size[1]);
      const int64_t j = own.lo[1] + (li / own.size[0]) % own.size[1];
      const int64_t i = own.lo[0] + li % own.size[0];
      Q.clear();
      for (int dz = -1; dz <= 1; ++dz)
        for (int dy = -1; dy <= 1; ++dy)
          for (int dx = -1; dx <= 1; ++dx) {
            if (!inHalo(i + dx, j + dy, k + dz)) continue;
            const VoxelCoord& q = hnear[boxIndex(hb2, i + dx, j + dy, k + dz)];
            std::array<double, 3> qd = {double(q[0]), double(q[1]), double(q[2])};
            if (std::find(Q.begin(), Q.end(), qd) == Q.end()) Q.push_back(qd);
          }
      auto far = [&](const double x[3]) {
        double best = std::numeric_limits<double>::infinity();
        for (const auto& q : Q) {
          const double dx = x[0] - q[0], dy = x[1] - q[1], dz = x[2] - q[2];
          best = std::min(best, w[2] * dz * dz + (w[1] * dy * dy + w[0] * dx * dx));
        }
        return best;
      };
      // Along each axis the centre may move only where the continuous maximum can lie off the voxel: both
      // neighbours lower -> anywhere in [-1/2, 1/2]; a two-voxel ridge (the neighbour equal, the next one
      // lower) -> the half towards it; a plateau (the neighbour and the next one equal: a plate's plane, a
      // tube's axis, or a three-voxel ridge) -> no move, since the distance to the surface does not change
      // along it while the distance to the discrete background centres would grow by sqrt(d^2 + 1/4) - d.
      // Outside the domain D is mirrored.
      const double dc = d2[li];
      auto same = [&](double dn) {
        return isotropic ? std::llround(dn / w[0]) == std::llround(dc / w[0])
                         : std::abs(dn - dc) <= 1e-12 * dc;
      };
      auto Dat = [&](int64_t x, int64_t y, int64_t z) {
        return hd2[boxIndex(hb, mirrorIndex(x, g.n[0]), mirrorIndex(y, g.n[1]), mirrorIndex(z, g.n[2]))];
      };
      enum { kLower, kRidge, kPlateau };
      auto side = [&](int a, int s) {
        int64_t q1[3] = {i, j, k}, q2[3] = {i, j, k};
        q1[a] += s, q2[a] += 2 * s;
        if (!same(Dat(q1[0], q1[1], q1[2]))) return kLower;
        return same(Dat(q2[0], q2[1], q2[2])) ? kPlateau : kRidge;
      };
      double lo[3], hi[3];
      for (int a = 0; a < 3; ++a) {
        const int up = side(a, 1), dn = side(a, -1);
        lo[a] = hi[a] = 0.0;
        if (up == kPlateau || dn == kPlateau || (up == kRidge && dn == kRidge)) continue;
        if (up == kRidge)
          hi[a] = 0.5;
        else if (dn == kRidge)
          lo[a] = -0.5;
        else
          lo[a] = -0.5, hi[a] = 0.5;
      }
      // Coarse (1/4 voxel) then fine (1/16 voxel) grid; ties go to the offset nearest the voxel centre.
      double bestX[3] = {double(i), double(j), double(k)}, bestOff[3] = {0, 0, 0};
      double bestF = far(bestX), bestR = 0;
      for (int level = 0; level < 2; ++level) {
        const double step = level == 0 ? 0.25 : 0.0625;
        const double base[3] = {bestOff[0], bestOff[1], bestOff[2]};
        for (int oz = -2; oz <= 2; ++oz)
          for (int oy = -2; oy <= 2; ++oy)
            for (int ox = -2; ox <= 2; ++ox) {
              const double off[3] = {base[0] + ox * step, base[1] + oy * step, base[2] + oz * step};
              if (off[0] < lo[0] || off[0] > hi[0] || off[1] < lo[1] || off[1] > hi[1] || off[2] < lo[2] ||
                  off[2] > hi[2])
                continue;
              const double x[3] = {i + off[0], j + off[1], k + off[2]};
              const double f = far(x);
              const double r = off[0] * off[0] + off[1] * off[1] + off[2] * off[2];
              if (f > bestF || (f == bestF && r < bestR)) {
                bestF = f, bestR = r;
                for (int a = 0; a < 3; ++a) bestX[a] = x[a], bestOff[a] = off[a];
              }
            }
      }
      if (bestF > d2[li] * (1 + 1e-12)) {
        kept.push_back({{bestX[0], bestX[1], bestX[2]}, bestF, 0});
        ++nRefined;
      }
    }
  }
  hd2 = std::vector<double>();

  // Send each kept ball to every rank whose block it reaches.
  std::vector<Box3> boxes = allgatherBoxes(comm, own);
  std::vector<std::vector<Ball>> out(static_cast<size_t>(size));
  int64_t nk = 0;
  for (const Ball& c : kept) {
    nk += c.lattice;
    double r = std::sqrt(c.d2);
    Box3 bb;
    for (int a = 0; a < 3; ++a) {
      bb.lo[a] = static_cast<int64_t>(std::ceil(c.c[a] - r / h[a]));
      bb.size[a] = static_cast<int64_t>(std::floor(c.c[a] + r / h[a])) - bb.lo[a] + 1;
    }
    for (int r2 = 0; r2 < size; ++r2)
      if (!isEmpty(intersect(bb, boxes[r2]))) out[r2].push_back(c);
  }
  kept = std::vector<Ball>();
  std::vector<Ball> balls = exchangeVectors(comm, out);
  out = std::vector<std::vector<Ball>>();

  // Paint: max of D over the balls containing each voxel.
  std::vector<double> best(mask.size(), 0.0);
  const int64_t hi[3] = {own.lo[0] + own.size[0], own.lo[1] + own.size[1], own.lo[2] + own.size[2]};
  for (const Ball& c : balls) {
    const double D = c.d2;
    const bool exact = isotropic && c.lattice;
    const int64_t ci = static_cast<int64_t>(c.c[0]), cj = static_cast<int64_t>(c.c[1]),
                  ck = static_cast<int64_t>(c.c[2]);
    // Isotropic lattice balls: the ball test in exact integers (D / h^2 is an integer there).
    const int64_t R = exact ? std::llround(D / w[0]) : 0;
    // Otherwise a voxel exactly as far from c as the nearest background voxel is on the sphere, not inside;
    // rounding of the two different sums must not decide that, hence the relative margin.
    const double Dtie = D * (1.0 - 1e-12);
    const double r = std::sqrt(D);
    const int64_t z0 = std::max(static_cast<int64_t>(std::ceil(c.c[2] - r / h[2])), own.lo[2]);
    const int64_t z1 = std::min(static_cast<int64_t>(std::floor(c.c[2] + r / h[2])), hi[2] - 1);
    for (int64_t kz = z0; kz <= z1; ++kz) {
      const double dzr = kz - c.c[2];
      const double tz = w[2] * dzr * dzr;
      if (tz >= D) continue;
      const double ry = std::sqrt((D - tz) / w[1]);
      const int64_t y0 = std::max(static_cast<int64_t>(std::ceil(c.c[1] - ry)), own.lo[1]);
      const int64_t y1 = std::min(static_cast<int64_t>(std::floor(c.c[1] + ry)), hi[1] - 1);
      for (int64_t jy = y0; jy <= y1; ++jy) {
        const double dyr = jy - c.c[1];
        const double ty = w[1] * dyr * dyr;
        auto inside = [&](int64_t i) {
          if (exact) {
            const int64_t dz = kz - ck, dy = jy - cj, dx = i - ci;
            return dz * dz + dy * dy + dx * dx < R;
          }
          const double dx = i - c.c[0];
          return tz + (ty + w[0] * dx * dx) < Dtie;
        };
        const double rem = D - tz - ty;
        if (rem <= 0) continue;
        const double rx = std::sqrt(rem / w[0]);
        int64_t x0 = static_cast<int64_t>(std::ceil(c.c[0] - rx)),
                x1 = static_cast<int64_t>(std::floor(c.c[0] + rx));
        while (x0 <= x1 && !inside(x0)) ++x0;
        while (x1 >= x0 && !inside(x1)) --x1;
        while (inside(x0 - 1)) --x0;
        while (inside(x1 + 1)) ++x1;
        x0 = std::max(x0, own.lo[0]);
        x1 = std::min(x1, hi[0] - 1);
        if (x0 > x1) continue;
        double* row = best.data() + grid.localIndex(x0, jy, kz);
        const int64_t len = x1 - x0 + 1;
        for (int64_t x = 0; x < len; ++x) row[x] = std::max(row[x], D);
      }
    }
  }
  for (size_t i = 0; i < best.size(); ++i) best[i] = mask[i] ? 2.0 * std::sqrt(best[i]) - 0.5 * hmin : 0.0;

  int64_t loc[2] = {nk, nRefined}, tot[2];
  MPI_Allreduce(loc, tot, 2, MPI_INT64_T, MPI_SUM, comm);
  st.keptCentres = tot[0];
  st.refined = tot[1];
  if (stats) *stats = st;
  return best;
}

}  // namespace ssb
