#include "postprocess/PoreSizes.hpp"

#include <algorithm>
#include <array>
#include <climits>
#include <cmath>
#include <numeric>

#include "mesh/BoxExchange.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

namespace {

constexpr size_t kDirections = 49;

// Largest projection of a cluster's voxel centres on each direction and on its opposite.
struct Extremes {
  int64_t id = 0;
  std::array<double, 2 * kDirections> ext{};
};

double feretOf(const Extremes& x) {
  double f = 0;
  for (size_t q = 0; q < kDirections; ++q) f = std::max(f, x.ext[2 * q] + x.ext[2 * q + 1]);
  return f;
}

}  // namespace

std::vector<Pore> poreSizes(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                            const ConnectivityResult& cc, int root) {
  const MPI_Comm comm = grid.comm();
  int size = 1;
  MPI_Comm_size(comm, &size);
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& h = g.spacing;
  const size_t C = cc.clusters.size();  // the clusters with a voxel on this rank

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
  if (u.size() != kDirections) throwRun("poreSizes: expected {} caliper directions, got {}", kDirections, u.size());

  // Only voxels on a cluster's boundary (or on this block's boundary) can hold an extreme projection:
  // an inner voxel has a neighbour further along any direction.
  struct Entry {
    int64_t cluster;  // index into cc.clusters
    double pos[3];    // voxel centre [m]
  };
  std::vector<Entry> entries;
  std::vector<int64_t> localVoxels(C, 0);  // the cluster's voxels on this rank
  const int64_t hi[3] = {own.lo[0] + own.size[0], own.lo[1] + own.size[1], own.lo[2] + own.size[2]};
  const auto dense = [&](int64_t id) {
    return static_cast<int64_t>(std::lower_bound(cc.clusters.begin(), cc.clusters.end(), id,
                                                 [](const Cluster& a, int64_t v) { return a.id < v; }) -
                                cc.clusters.begin());
  };
  int64_t lastId = -1, lastDense = -1;
  for (int64_t k = own.lo[2]; k < hi[2]; ++k)
    for (int64_t j = own.lo[1]; j < hi[1]; ++j)
      for (int64_t i = own.lo[0]; i < hi[0]; ++i) {
        int64_t li = grid.localIndex(i, j, k);
        if (!mask[li]) continue;
        const int64_t id = cc.clusterOf[li];
        if (id != lastId) {
          lastId = id;
          lastDense = dense(id);
        }
        ++localVoxels[static_cast<size_t>(lastDense)];
        bool edge = i == own.lo[0] || j == own.lo[1] || k == own.lo[2] || i == hi[0] - 1 || j == hi[1] - 1 ||
                    k == hi[2] - 1;
        if (!edge) {
          const int64_t sx = 1, sy = own.size[0], sz = own.size[0] * own.size[1];
          edge = !mask[li - sx] || !mask[li + sx] || !mask[li - sy] || !mask[li + sy] || !mask[li - sz] ||
                 !mask[li + sz];
        }
        if (!edge) continue;
        entries.push_back({lastDense, {(i + 0.5) * h[0], (j + 0.5) * h[1], (k + 0.5) * h[2]}});
      }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return a.cluster < b.cluster; });

  // A cluster entirely on this rank gets its Feret diameter here; the extremes of a cluster spread over
  // several ranks go to its owner, which takes the maximum. Only clusters crossing a rank boundary travel,
  // so nothing scales with the total number of pores.
  std::vector<Pore> owned;
  std::vector<std::vector<Extremes>> toOwner(static_cast<size_t>(size));
  const auto makePore = [&](const Cluster& cl, double feret) {
    Pore p;
    p.id = cl.id;
    p.voxels = cl.voxels;
    p.faces = cl.faces;
    p.volume = static_cast<double>(p.voxels) * g.voxelVolume();
    p.equivalentDiameter = std::cbrt(6.0 * p.volume / M_PI);
    p.feret = feret;
    return p;
  };
  Extremes x;
  for (size_t e = 0; e < entries.size();) {
    const size_t c = static_cast<size_t>(entries[e].cluster);
    x.id = cc.clusters[c].id;
    x.ext.fill(-HUGE_VAL);
    for (; e < entries.size() && static_cast<size_t>(entries[e].cluster) == c; ++e) {
      for (size_t q = 0; q < kDirections; ++q) {
        double s = u[q][0] * entries[e].pos[0] + u[q][1] * entries[e].pos[1] + u[q][2] * entries[e].pos[2];
        x.ext[2 * q] = std::max(x.ext[2 * q], s);
        x.ext[2 * q + 1] = std::max(x.ext[2 * q + 1], -s);
      }
    }
    if (localVoxels[c] == cc.clusters[c].voxels) {
      owned.push_back(makePore(cc.clusters[c], feretOf(x)));
    } else {
      toOwner[static_cast<size_t>(cc.owner[c])].push_back(x);
    }
  }
  std::vector<Entry>().swap(entries);
  std::vector<Extremes> got = exchangeVectors(comm, toOwner);
  std::sort(got.begin(), got.end(), [](const Extremes& a, const Extremes& b) { return a.id < b.id; });
  for (size_t q = 0; q < got.size();) {
    Extremes m = got[q];
    for (++q; q < got.size() && got[q].id == m.id; ++q)
      for (size_t d = 0; d < m.ext.size(); ++d) m.ext[d] = std::max(m.ext[d], got[q].ext[d]);
    owned.push_back(makePore(cc.clusters[static_cast<size_t>(dense(m.id))], feretOf(m)));
  }

  // The owners' pores to `root`.
  const uint64_t bytes = owned.size() * sizeof(Pore);
  uint64_t total = 0;
  MPI_Allreduce(&bytes, &total, 1, MPI_UINT64_T, MPI_SUM, comm);
  if (total > static_cast<uint64_t>(INT_MAX))
    throwRun("poreSizes: {} pores are too many to gather on one rank ({} bytes, at most {})",
             total / sizeof(Pore), total, INT_MAX);
  int rank = 0;
  MPI_Comm_rank(comm, &rank);
  const int mine = static_cast<int>(bytes);
  std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size));
  MPI_Gather(&mine, 1, MPI_INT, counts.data(), 1, MPI_INT, root, comm);
  std::vector<Pore> all;
  if (rank == root) {
    size_t off = 0;
    for (int r = 0; r < size; ++r) {
      displs[r] = static_cast<int>(off);
      off += static_cast<size_t>(counts[r]);
    }
    all.resize(off / sizeof(Pore));
  }
  MPI_Gatherv(owned.data(), mine, MPI_BYTE, all.data(), counts.data(), displs.data(), MPI_BYTE, root, comm);
  std::sort(all.begin(), all.end(), [](const Pore& a, const Pore& b) { return a.id < b.id; });
  return all;
}

}  // namespace ssb
