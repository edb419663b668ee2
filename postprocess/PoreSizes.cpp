#include "postprocess/PoreSizes.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace ssb {

std::vector<Pore> poreSizes(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                            const ConnectivityResult& cc) {
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& h = g.spacing;
  const size_t C = cc.clusters.size();

  std::vector<Pore> pores(C);
  for (size_t c = 0; c < C; ++c) {
    Pore& p = pores[c];
    p.id = cc.clusters[c].id;
    p.voxels = cc.clusters[c].voxels;
    p.faces = cc.clusters[c].faces;
    p.volume = static_cast<double>(p.voxels) * g.voxelVolume();
    p.equivalentDiameter = std::cbrt(6.0 * p.volume / M_PI);
  }

  // Caliper directions: the 49 primitive lattice vectors with components in -2..2 (one of each +-pair),
  // as unit vectors in physical space.
  std::vector<std::array<double, 3>> u;
  for (int z = -2; z <= 2; ++z)
    for (int y = -2; y <= 2; ++y)
      for (int x = -2; x <= 2; ++x) {
        if (std::gcd(std::gcd(std::abs(x), std::abs(y)), std::abs(z)) != 1) continue;
        const int first = x != 0 ? x : y != 0 ? y : z;
        if (first < 0) continue;
        const double v[3] = {x * h[0], y * h[1], z * h[2]};
        const double len = std::sqrt(v[0] * v[0] + v[1] * v[1] + v[2] * v[2]);
        u.push_back({v[0] / len, v[1] / len, v[2] / len});
      }
  const size_t K = u.size();

  // Only voxels on a cluster's boundary (or on this block's boundary) can hold an extreme projection:
  // an inner voxel has a neighbour further along any direction.
  struct Entry {
    int64_t cluster;  // dense index
    double pos[3];    // voxel centre [m]
  };
  std::vector<Entry> entries;
  const int64_t hi[3] = {own.lo[0] + own.size[0], own.lo[1] + own.size[1], own.lo[2] + own.size[2]};
  for (int64_t k = own.lo[2]; k < hi[2]; ++k)
    for (int64_t j = own.lo[1]; j < hi[1]; ++j)
      for (int64_t i = own.lo[0]; i < hi[0]; ++i) {
        int64_t li = grid.localIndex(i, j, k);
        if (!mask[li]) continue;
        bool edge = i == own.lo[0] || j == own.lo[1] || k == own.lo[2] || i == hi[0] - 1 || j == hi[1] - 1 ||
                    k == hi[2] - 1;
        if (!edge) {
          const int64_t sx = 1, sy = own.size[0], sz = own.size[0] * own.size[1];
          edge = !mask[li - sx] || !mask[li + sx] || !mask[li - sy] || !mask[li + sy] || !mask[li - sz] ||
                 !mask[li + sz];
        }
        if (!edge) continue;
        int64_t id = cc.clusterOf[li];
        auto it = std::lower_bound(cc.clusters.begin(), cc.clusters.end(), id,
                                   [](const Cluster& a, int64_t v) { return a.id < v; });
        entries.push_back({static_cast<int64_t>(it - cc.clusters.begin()),
                           {(i + 0.5) * h[0], (j + 0.5) * h[1], (k + 0.5) * h[2]}});
      }
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.cluster < b.cluster; });

  // Per cluster and direction the largest and smallest projection, reduced in chunks of clusters so that
  // the buffers stay small whatever the number of pores.
  const size_t chunk = std::max<size_t>(1, (size_t(1) << 21) / K);
  std::vector<double> ext, global;
  size_t e = 0;
  for (size_t c0 = 0; c0 < C; c0 += chunk) {
    const size_t c1 = std::min(C, c0 + chunk);
    ext.assign((c1 - c0) * K * 2, -HUGE_VAL);
    for (; e < entries.size() && static_cast<size_t>(entries[e].cluster) < c1; ++e) {
      double* x = ext.data() + (entries[e].cluster - c0) * K * 2;
      for (size_t q = 0; q < K; ++q) {
        double s = u[q][0] * entries[e].pos[0] + u[q][1] * entries[e].pos[1] + u[q][2] * entries[e].pos[2];
        x[2 * q] = std::max(x[2 * q], s);
        x[2 * q + 1] = std::max(x[2 * q + 1], -s);
      }
    }
    global.resize(ext.size());
    MPI_Allreduce(ext.data(), global.data(), static_cast<int>(ext.size()), MPI_DOUBLE, MPI_MAX, grid.comm());
    for (size_t c = c0; c < c1; ++c) {
      const double* x = global.data() + (c - c0) * K * 2;
      double f = 0;
      for (size_t q = 0; q < K; ++q) f = std::max(f, x[2 * q] + x[2 * q + 1]);
      pores[c].feret = f;
    }
  }
  return pores;
}

}  // namespace ssb
