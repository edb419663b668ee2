#include "postprocess/Geodesic.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <queue>

#include "mesh/BoxExchange.hpp"

namespace ssb {

namespace {

struct Step {
  int64_t offset;  // in the halo box
  int d[3];
  double length;
};

}  // namespace

GeodesicResult geodesicDistance(const StructuredGrid& grid, const std::vector<uint8_t>& mask, int axis,
                                bool fromPlus, int neighbours) {
  MPI_Comm comm = grid.comm();
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  // Lengths in units of the x spacing, scaled back at the end: with cubic voxels every step is 1, sqrt 2 or
  // sqrt 3 exactly as in the voxel count, so a straight channel gives tortuosity 1 to the last bit.
  const double unit = g.spacing[0];
  const std::array<double, 3> h = {1.0, g.spacing[1] / unit, g.spacing[2] / unit};
  const double inf = std::numeric_limits<double>::infinity();

  Box3 hb;
  std::vector<uint8_t> hmask = haloExchange(grid, mask, 1, &hb, uint8_t(0));
  std::vector<double> dist(static_cast<size_t>(hb.voxels()), inf);
  const int64_t sy = hb.size[0], sz = hb.size[0] * hb.size[1];

  std::vector<Step> steps;
  for (int dz = -1; dz <= 1; ++dz)
    for (int dy = -1; dy <= 1; ++dy)
      for (int dx = -1; dx <= 1; ++dx) {
        int nz = std::abs(dx) + std::abs(dy) + std::abs(dz);
        if (nz == 0 || (neighbours == 6 && nz != 1)) continue;
        double l =
            std::sqrt((dx * h[0]) * (dx * h[0]) + (dy * h[1]) * (dy * h[1]) + (dz * h[2]) * (dz * h[2]));
        steps.push_back({dx + dy * sy + dz * sz, {dx, dy, dz}, l});
      }

  auto ownedCell = [&](int64_t i, int64_t j, int64_t k) {
    return i >= own.lo[0] && j >= own.lo[1] && k >= own.lo[2] && i < own.lo[0] + own.size[0] &&
           j < own.lo[1] + own.size[1] && k < own.lo[2] + own.size[2];
  };
  // Frontier. General case: a binary heap (Dijkstra). Cubic voxels with 6 neighbours (every step 1): a
  // breadth-first sweep, the round's sources sorted by value and merged with a FIFO, which pops values in
  // the same non-decreasing order as the heap and gives the same sums at a fraction of the cost.
  using Entry = std::pair<double, int64_t>;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<Entry>> heap;
  const bool unitSteps = neighbours == 6 && h[1] == 1.0 && h[2] == 1.0;
  std::vector<Entry> seeds;
  std::vector<int64_t> fifo;
  bool sweeping = false;
  auto push = [&](double d, int64_t idx) {
    if (!unitSteps)
      heap.push({d, idx});
    else if (sweeping)
      fifo.push_back(idx);
    else
      seeds.push_back({d, idx});
  };

  // Inlet layer sources.
  const int64_t inlet = fromPlus ? g.n[axis] - 1 : 0;
  const int64_t outlet = fromPlus ? 0 : g.n[axis] - 1;
  for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
    for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
      for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i) {
        const int64_t c[3] = {i, j, k};
        if (c[axis] != inlet) continue;
        int64_t idx = boxIndex(hb, i, j, k);
        if (!hmask[idx]) continue;
        dist[idx] = 0.5 * h[axis];
        push(dist[idx], idx);
      }

  auto coords = [&](int64_t idx, int64_t* c) {
    c[0] = hb.lo[0] + idx % hb.size[0];
    c[1] = hb.lo[1] + (idx / hb.size[0]) % hb.size[1];
    c[2] = hb.lo[2] + idx / sz;
  };
  // Relax from cell `idx` (owned or halo) into owned phase neighbours.
  auto relax = [&](int64_t idx) {
    int64_t c[3];
    coords(idx, c);
    const double du = dist[idx];
    for (const Step& s : steps) {
      int64_t ni = c[0] + s.d[0], nj = c[1] + s.d[1], nk = c[2] + s.d[2];
      if (!ownedCell(ni, nj, nk)) continue;
      int64_t n = idx + s.offset;
      if (!hmask[n]) continue;
      double cand = du + s.length;
      if (cand < dist[n]) {
        dist[n] = cand;
        push(cand, n);
      }
    }
  };

  GeodesicResult res;
  std::vector<double> ownedDist(static_cast<size_t>(own.voxels()));
  for (;;) {
    if (unitSteps) {
      std::sort(seeds.begin(), seeds.end());
      sweeping = true;
      fifo.clear();
      size_t si = 0, qh = 0;
      for (;;) {
        const bool haveQ = qh < fifo.size(), haveS = si < seeds.size();
        if (!haveQ && !haveS) break;
        if (haveQ && (!haveS || dist[fifo[qh]] <= seeds[si].first)) {
          relax(fifo[qh++]);
        } else {
          auto [d, idx] = seeds[si++];
          if (d <= dist[idx]) relax(idx);
        }
      }
      sweeping = false;
      seeds.clear();
    } else {
      while (!heap.empty()) {
        auto [d, idx] = heap.top();
        heap.pop();
        if (d > dist[idx]) continue;
        relax(idx);
      }
    }
    ++res.rounds;
    // Exchange the halo; halo cells whose value dropped seed the next round.
    for (int64_t k = 0; k < own.size[2]; ++k)
      for (int64_t j = 0; j < own.size[1]; ++j)
        for (int64_t i = 0; i < own.size[0]; ++i)
          ownedDist[grid.localIndex(own.lo[0] + i, own.lo[1] + j, own.lo[2] + k)] =
              dist[boxIndex(hb, own.lo[0] + i, own.lo[1] + j, own.lo[2] + k)];
    std::vector<double> fresh = redistribute(comm, own, ownedDist, hb, inf);
    int64_t improved = 0;
    for (int64_t idx = 0; idx < hb.voxels(); ++idx) {
      if (!(fresh[idx] < dist[idx])) continue;
      int64_t c[3];
      coords(idx, c);
      if (ownedCell(c[0], c[1], c[2])) continue;
      dist[idx] = fresh[idx];
      relax(idx);
      ++improved;
    }
    int64_t any = 0;
    MPI_Allreduce(&improved, &any, 1, MPI_INT64_T, MPI_SUM, comm);
    if (any == 0) break;
  }

  res.distance.assign(static_cast<size_t>(own.voxels()), -1.0);
  for (int64_t k = own.lo[2]; k < own.lo[2] + own.size[2]; ++k)
    for (int64_t j = own.lo[1]; j < own.lo[1] + own.size[1]; ++j)
      for (int64_t i = own.lo[0]; i < own.lo[0] + own.size[0]; ++i) {
        double d = dist[boxIndex(hb, i, j, k)];
        if (d < inf) res.distance[grid.localIndex(i, j, k)] = d * unit;
      }
  dist = std::vector<double>();

  // Outlet statistics on rank 0 in natural order (bit-identical whatever the split), then broadcast.
  Box3 layer;
  layer.size = g.n;
  layer.lo[axis] = outlet;
  layer.size[axis] = 1;
  Box3 mine = intersect(own, layer);
  std::vector<double> vals(static_cast<size_t>(std::max<int64_t>(0, mine.voxels())));
  for (int64_t k = 0; k < mine.size[2]; ++k)
    for (int64_t j = 0; j < mine.size[1]; ++j)
      for (int64_t i = 0; i < mine.size[0]; ++i) {
        int64_t li = grid.localIndex(mine.lo[0] + i, mine.lo[1] + j, mine.lo[2] + k);
        // -2: not phase; -1: phase but not reached.
        vals[boxIndex(mine, mine.lo[0] + i, mine.lo[1] + j, mine.lo[2] + k)] =
            mask[li] ? (res.distance[li] < 0 ? -1.0 : res.distance[li] / unit) : -2.0;
      }
  Box3 dst = rank == 0 ? layer : Box3{};
  std::vector<double> all = redistribute(comm, isEmpty(mine) ? Box3{} : mine, vals, dst, -2.0);
  double stats[7] = {0, 0, inf, 0, 0, 0, 0};  // outlet, reached, min, max, mean, std, thickness
  if (rank == 0) {
    double sum = 0;
    for (double v : all) {
      if (v <= -2.0) continue;
      stats[0] += 1;
      if (v < 0) continue;
      double len = v + 0.5 * h[axis];
      stats[1] += 1;
      stats[2] = std::min(stats[2], len);
      stats[3] = std::max(stats[3], len);
      sum += len;
    }
    if (stats[1] > 0) {
      stats[4] = sum / stats[1];
      double ss = 0;
      for (double v : all)
        if (v >= 0) {
          double len = v + 0.5 * h[axis];
          ss += (len - stats[4]) * (len - stats[4]);
        }
      stats[5] = std::sqrt(ss / stats[1]);
    } else {
      stats[2] = 0;
    }
  }
  MPI_Bcast(stats, 7, MPI_DOUBLE, 0, comm);
  const double thickness = static_cast<double>(g.n[axis]) * h[axis];
  res.outletVoxels = static_cast<int64_t>(stats[0]);
  res.reached = static_cast<int64_t>(stats[1]);
  res.minLength = stats[2] * unit;
  res.maxLength = stats[3] * unit;
  res.meanLength = stats[4] * unit;
  res.stdLength = stats[5] * unit;
  res.thickness = thickness * unit;
  res.minTortuosity = stats[2] / thickness;
  res.maxTortuosity = stats[3] / thickness;
  res.meanTortuosity = stats[4] / thickness;
  res.stdTortuosity = stats[5] / thickness;
  return res;
}

}  // namespace ssb
