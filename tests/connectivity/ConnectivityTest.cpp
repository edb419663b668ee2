// Distributed connected-component labelling: shapes with known clusters, and random masks checked against a
// serial breadth-first search that every rank runs on the whole (small) global mask. Run on 1 and 2 ranks;
// the expected values never depend on the rank count.
#include <gtest/gtest.h>
#include <mpi.h>
#include <petscsys.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

#include "mesh/Connectivity.hpp"
#include "mesh/StructuredGrid.hpp"
#include "solver/core/Error.hpp"
#include "solver/core/Random.hpp"

namespace ssb {
namespace {

using Shape = std::function<bool(int64_t, int64_t, int64_t)>;

struct Case {
  std::unique_ptr<StructuredGrid> grid;
  std::vector<uint8_t> mask;  // owned voxels, grid.localIndex order
};

Case makeCase(std::array<int64_t, 3> n, const Shape& f) {
  VoxelGrid g;
  g.n = n;
  Case c;
  c.grid = std::make_unique<StructuredGrid>(PETSC_COMM_WORLD, g);
  c.mask.assign(static_cast<size_t>(c.grid->owned().voxels()), 0);
  c.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) { c.mask[li] = f(i, j, k) ? 1 : 0; });
  return c;
}

// Rank-count independent pseudo-random field: a hash of (seed, natural index), not a sequential generator.
double uniform01(uint64_t seed, int64_t natural) { return hashUniform(seed, static_cast<uint64_t>(natural)); }

Shape randomShape(std::array<int64_t, 3> n, uint64_t seed, double p) {
  return [=](int64_t i, int64_t j, int64_t k) { return uniform01(seed, (k * n[1] + j) * n[0] + i) < p; };
}

// Reference: serial BFS over the whole global mask. Starting each search at the smallest unvisited masked
// natural index makes that index the cluster's minimum, i.e. its id by definition.
struct Reference {
  std::vector<int64_t> label;  // per natural index, -1 outside
  std::vector<Cluster> clusters;
};

Reference bruteForce(std::array<int64_t, 3> n, const Shape& f, std::array<bool, 3> periodic) {
  const int64_t total = n[0] * n[1] * n[2];
  std::vector<uint8_t> in(static_cast<size_t>(total));
  for (int64_t k = 0; k < n[2]; ++k)
    for (int64_t j = 0; j < n[1]; ++j)
      for (int64_t i = 0; i < n[0]; ++i) in[(k * n[1] + j) * n[0] + i] = f(i, j, k) ? 1 : 0;
  Reference ref;
  ref.label.assign(static_cast<size_t>(total), -1);
  std::deque<int64_t> queue;
  for (int64_t s = 0; s < total; ++s) {
    if (!in[s] || ref.label[s] >= 0) continue;
    Cluster c;
    c.id = s;
    ref.label[s] = s;
    queue.push_back(s);
    while (!queue.empty()) {
      const int64_t v = queue.front();
      queue.pop_front();
      const std::array<int64_t, 3> x{v % n[0], (v / n[0]) % n[1], v / (n[0] * n[1])};
      c.voxels += 1;
      for (int a = 0; a < 3; ++a) {
        if (x[a] == 0) c.faces |= faceBit(a, false);
        if (x[a] == n[a] - 1) c.faces |= faceBit(a, true);
        for (int d : {-1, 1}) {
          std::array<int64_t, 3> y = x;
          y[a] += d;
          if (y[a] < 0 || y[a] >= n[a]) {
            if (!periodic[a]) continue;
            y[a] = (y[a] + n[a]) % n[a];
          }
          const int64_t w = (y[2] * n[1] + y[1]) * n[0] + y[0];
          if (in[w] && ref.label[w] < 0) {
            ref.label[w] = s;
            queue.push_back(w);
          }
        }
      }
    }
    ref.clusters.push_back(c);
  }
  return ref;
}

// Every cluster on every rank (ConnectivityResult::clusters holds only the clusters touching the rank's box).
std::vector<Cluster> everyCluster(const ConnectivityResult& r) { return gatherClusters(PETSC_COMM_WORLD, r); }

void expectSameClusters(const std::vector<Cluster>& got, const std::vector<Cluster>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t q = 0; q < want.size(); ++q) {
    EXPECT_EQ(got[q].id, want[q].id) << "cluster #" << q;
    EXPECT_EQ(got[q].voxels, want[q].voxels) << "cluster " << want[q].id;
    EXPECT_EQ(int(got[q].faces), int(want[q].faces)) << "cluster " << want[q].id;
  }
}

// Labels and statistics against the serial reference.
void checkAgainstReference(std::array<int64_t, 3> n, const Shape& f, std::array<bool, 3> periodic) {
  Case c = makeCase(n, f);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask, periodic);
  const std::vector<Cluster> rAll = everyCluster(r);
  const Reference ref = bruteForce(n, f, periodic);
  expectSameClusters(rAll, ref.clusters);
  const Box3& b = c.grid->owned();
  ASSERT_EQ(static_cast<int64_t>(r.clusterOf.size()), b.voxels());
  int64_t wrong = 0;
  c.grid->forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    if (r.clusterOf[li] != ref.label[c.grid->naturalIndex(i, j, k)]) ++wrong;
  });
  EXPECT_EQ(wrong, 0) << "voxels whose label differs from the serial BFS";
}

// The axis along which the ranks split the grid (x on one rank), so that shapes can be laid across the cut.
int splitAxis(const StructuredGrid& grid) {
  std::array<int, 3> cut{}, any{};
  for (int a = 0; a < 3; ++a) cut[a] = grid.owned().size[a] < grid.geometry().n[a] ? 1 : 0;
  MPI_Allreduce(cut.data(), any.data(), 3, MPI_INT, MPI_MAX, grid.comm());
  for (int a = 0; a < 3; ++a)
    if (any[a]) return a;
  return 0;
}

TEST(Connectivity, StraightChannelAlongXPercolatesInXOnly) {
  const std::array<int64_t, 3> n{20, 9, 7};
  const Shape chan = [](int64_t, int64_t j, int64_t k) { return j == 4 && k == 3; };
  Case c = makeCase(n, chan);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  // One straight row of 20 voxels from x = 0 to x = 19: id is its first voxel, (0, 4, 3).
  ASSERT_EQ(rAll.size(), 1u);
  EXPECT_EQ(rAll[0].id, (3 * 9 + 4) * 20);
  EXPECT_EQ(rAll[0].voxels, 20);
  EXPECT_EQ(int(rAll[0].faces), kFaceXMinus | kFaceXPlus);
  EXPECT_EQ(r.cluster((3 * 9 + 4) * 20).voxels, 20);
  EXPECT_EQ(r.percolatingMask(kX), c.mask);
  const std::vector<uint8_t> none(c.mask.size(), 0);
  EXPECT_EQ(r.percolatingMask(kY), none);
  EXPECT_EQ(r.percolatingMask(kZ), none);
  EXPECT_EQ(r.touchingMask(kFaceXMinus), c.mask);
  EXPECT_EQ(r.touchingMask(kFaceXPlus | kFaceXMinus), c.mask);
  EXPECT_EQ(r.touchingMask(kFaceYMinus), none);
  EXPECT_EQ(r.touchingMask(kFaceXMinus | kFaceZPlus), none);
}

TEST(Connectivity, TwoSlabsAreTwoClustersPercolatingInXAndY) {
  const std::array<int64_t, 3> n{12, 10, 11};
  const Shape slabs = [](int64_t, int64_t, int64_t k) { return k == 2 || k == 3 || k == 7 || k == 8; };
  Case c = makeCase(n, slabs);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  // Slabs z in {2,3} and {7,8}, full x-y planes: ids are their corners (0,0,2) and (0,0,7); 12*10*2 voxels.
  ASSERT_EQ(rAll.size(), 2u);
  EXPECT_EQ(rAll[0].id, 2 * 120);
  EXPECT_EQ(rAll[1].id, 7 * 120);
  for (const Cluster& cl : rAll) {
    EXPECT_EQ(cl.voxels, 240);
    EXPECT_EQ(int(cl.faces), kFaceXMinus | kFaceXPlus | kFaceYMinus | kFaceYPlus);
  }
  EXPECT_EQ(r.percolatingMask(kX), c.mask);
  EXPECT_EQ(r.percolatingMask(kY), c.mask);
  EXPECT_EQ(r.percolatingMask(kZ), std::vector<uint8_t>(c.mask.size(), 0));
  const Box3& b = c.grid->owned();
  for (int64_t k = b.lo[2]; k < b.lo[2] + b.size[2]; ++k)
    for (int64_t j = b.lo[1]; j < b.lo[1] + b.size[1]; ++j)
      for (int64_t i = b.lo[0]; i < b.lo[0] + b.size[0]; ++i) {
        const int64_t want = (k == 2 || k == 3) ? 240 : (k == 7 || k == 8) ? 840 : -1;
        ASSERT_EQ(r.clusterOf[c.grid->localIndex(i, j, k)], want) << i << "," << j << "," << k;
      }
}

TEST(Connectivity, IsolatedVoxelsAreSingletonsWithTheirFaces) {
  const std::array<int64_t, 3> n{12, 10, 11};
  const Shape dots = [](int64_t i, int64_t j, int64_t k) {
    return (i == 5 && j == 4 && k == 3) || (i == 0 && j == 0 && k == 0) || (i == 11 && j == 9 && k == 10);
  };
  Case c = makeCase(n, dots);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  ASSERT_EQ(rAll.size(), 3u);
  EXPECT_EQ(rAll[0].id, 0);
  EXPECT_EQ(int(rAll[0].faces), kFaceXMinus | kFaceYMinus | kFaceZMinus);
  EXPECT_EQ(rAll[1].id, (3 * 10 + 4) * 12 + 5);
  EXPECT_EQ(int(rAll[1].faces), 0);
  EXPECT_EQ(rAll[2].id, 12 * 10 * 11 - 1);
  EXPECT_EQ(int(rAll[2].faces), kFaceXPlus | kFaceYPlus | kFaceZPlus);
  for (const Cluster& cl : rAll) EXPECT_EQ(cl.voxels, 1);
}

// Arms along the split axis s, joined alternately at the far end and the near end. Each rank holds only
// parts of the arms (a U is split into two pieces on the near side), so only the cross-rank step can
// join them, and for several arms only transitively.
void checkSerpentine(int arms) {
  const std::array<int64_t, 3> n{24, 20, 18};
  VoxelGrid probe;
  probe.n = n;
  const int s = splitAxis(StructuredGrid(PETSC_COMM_WORLD, probe));
  const int u = (s + 1) % 3, w = (s + 2) % 3;
  const int64_t len = n[s];
  // Arm m at u = 2 + 4m, w = 5, spanning s in [1, len - 2]; bridge m (between arms m and m+1) lies at
  // s = len - 2 for even m and s = 1 for odd m, covering u in (2 + 4m, 6 + 4m).
  const Shape snake = [=](int64_t i, int64_t j, int64_t k) {
    const std::array<int64_t, 3> x{i, j, k};
    if (x[w] != 5 || x[s] < 1 || x[s] > len - 2) return false;
    for (int m = 0; m < arms; ++m)
      if (x[u] == 2 + 4 * m) return true;
    for (int m = 0; m + 1 < arms; ++m) {
      const int64_t at = m % 2 == 0 ? len - 2 : 1;
      if (x[s] == at && x[u] > 2 + 4 * m && x[u] < 6 + 4 * m) return true;
    }
    return false;
  };
  Case c = makeCase(n, snake);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  // arms * (len - 2) arm voxels plus 3 voxels per bridge; nothing reaches a domain face.
  ASSERT_EQ(rAll.size(), 1u);
  EXPECT_EQ(rAll[0].voxels, arms * (len - 2) + 3 * (arms - 1));
  EXPECT_EQ(int(rAll[0].faces), 0);
  // The smallest natural index is the arm-0 voxel at s = 1 (every voxel has s >= 1, u >= 2, w = 5 and
  // within the slab w = 5 the natural index grows with both s and u).
  std::array<int64_t, 3> first{};
  first[s] = 1;
  first[u] = 2;
  first[w] = 5;
  EXPECT_EQ(rAll[0].id, c.grid->naturalIndex(first[0], first[1], first[2]));
  for (size_t v = 0; v < c.mask.size(); ++v) EXPECT_EQ(r.clusterOf[v], c.mask[v] ? rAll[0].id : -1);
}

TEST(Connectivity, UShapeJoinedOnlyFarAwayIsOneCluster) { checkSerpentine(2); }
TEST(Connectivity, SerpentineCrossingTheCutManyTimesIsOneCluster) { checkSerpentine(5); }

TEST(Connectivity, DiagonalStaircasesAreNotSixConnected) {
  const std::array<int64_t, 3> n{9, 9, 9};
  // (t, t, 2): neighbours share an edge only (18-connected); (t, 8 - t, t): a corner only (26-connected).
  const Shape diag = [](int64_t i, int64_t j, int64_t k) {
    return (i == j && k == 2) || (j == 8 - i && k == i);
  };
  Case c = makeCase(n, diag);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  // The lines share no voxel (on the second line k = 2 only at (2, 6, 2)) and no face, and consecutive voxels
  // of each line differ in two or three coordinates, so all 9 + 9 voxels are singletons.
  ASSERT_EQ(rAll.size(), 18u);
  for (const Cluster& cl : rAll) EXPECT_EQ(cl.voxels, 1);
  // Filling in the steps, (t+1, t, 2), makes the xy staircase 6-connected: one cluster of 9 + 8 voxels.
  const Shape steps = [](int64_t i, int64_t j, int64_t k) { return k == 2 && (i == j || i == j + 1); };
  Case s = makeCase(n, steps);
  const ConnectivityResult rs = labelClusters(*s.grid, s.mask);
  const std::vector<Cluster> rsAll = everyCluster(rs);
  ASSERT_EQ(rsAll.size(), 1u);
  EXPECT_EQ(rsAll[0].voxels, 17);
  EXPECT_EQ(rsAll[0].id, 2 * 81);  // (0, 0, 2)
}

TEST(Connectivity, EmptyAndFullMasks) {
  const std::array<int64_t, 3> n{7, 6, 5};
  Case e = makeCase(n, [](int64_t, int64_t, int64_t) { return false; });
  const ConnectivityResult re = labelClusters(*e.grid, e.mask, {true, true, true});
  const std::vector<Cluster> reAll = everyCluster(re);
  EXPECT_TRUE(reAll.empty());
  EXPECT_EQ(re.clusterOf, std::vector<int64_t>(e.mask.size(), -1));
  Case f = makeCase(n, [](int64_t, int64_t, int64_t) { return true; });
  const ConnectivityResult rf = labelClusters(*f.grid, f.mask);
  const std::vector<Cluster> rfAll = everyCluster(rf);
  ASSERT_EQ(rfAll.size(), 1u);
  EXPECT_EQ(rfAll[0].id, 0);
  EXPECT_EQ(rfAll[0].voxels, 7 * 6 * 5);
  EXPECT_EQ(int(rfAll[0].faces), 63);
  EXPECT_EQ(rf.clusterOf, std::vector<int64_t>(f.mask.size(), 0));
}

TEST(Connectivity, RandomMaskMatchesSerialBfs) {
  // Odd extents so that a split is uneven. p = 0.3 lies below the site-percolation threshold of the simple
  // cubic lattice (0.3116): many small clusters. p = 0.6 is above it: one spanning cluster plus debris.
  const std::array<int64_t, 3> n{37, 29, 23};
  for (double p : {0.3, 0.6}) {
    SCOPED_TRACE(p);
    checkAgainstReference(n, randomShape(n, 11, p), {false, false, false});
  }
}

TEST(Connectivity, RandomMaskPeriodicMatchesSerialBfs) {
  const std::array<int64_t, 3> n{37, 29, 23};
  for (double p : {0.3, 0.6}) {
    SCOPED_TRACE(p);
    checkAgainstReference(n, randomShape(n, 12, p), {true, true, true});
    checkAgainstReference(n, randomShape(n, 13, p), {false, true, false});
  }
}

TEST(Connectivity, ThinAndTwoVoxelAxes) {
  // An axis of one voxel uses a bounded DMDA (periodic there is a no-op); two voxels wrap onto themselves.
  for (const std::array<int64_t, 3> n : {std::array<int64_t, 3>{31, 27, 1}, std::array<int64_t, 3>{2, 19, 15},
                                         std::array<int64_t, 3>{1, 1, 40}}) {
    SCOPED_TRACE(n[0] * 10000 + n[1] * 100 + n[2]);
    checkAgainstReference(n, randomShape(n, 5, 0.55), {true, true, true});
    checkAgainstReference(n, randomShape(n, 6, 0.55), {false, false, false});
  }
}

TEST(Connectivity, ChannelLeavingAtXPlusReentersAtXMinusOnlyWhenPeriodic) {
  const std::array<int64_t, 3> n{16, 8, 6};
  // Row (j, k) = (3, 2): x in [0, 4] and x in [11, 15]; with periodic x, voxel 15 neighbours voxel 0.
  const Shape ends = [](int64_t i, int64_t j, int64_t k) { return j == 3 && k == 2 && (i <= 4 || i >= 11); };
  const int64_t idA = (2 * 8 + 3) * 16, idB = idA + 11;
  Case c = makeCase(n, ends);
  const ConnectivityResult open = labelClusters(*c.grid, c.mask, {false, true, true});
  const std::vector<Cluster> openAll = everyCluster(open);
  ASSERT_EQ(openAll.size(), 2u);
  EXPECT_EQ(openAll[0].id, idA);
  EXPECT_EQ(openAll[0].voxels, 5);
  EXPECT_EQ(int(openAll[0].faces), kFaceXMinus);
  EXPECT_EQ(openAll[1].id, idB);
  EXPECT_EQ(openAll[1].voxels, 5);
  EXPECT_EQ(int(openAll[1].faces), kFaceXPlus);
  EXPECT_EQ(open.percolatingMask(kX), std::vector<uint8_t>(c.mask.size(), 0));

  const ConnectivityResult wrapped = labelClusters(*c.grid, c.mask, {true, false, false});
  const std::vector<Cluster> wrappedAll = everyCluster(wrapped);
  ASSERT_EQ(wrappedAll.size(), 1u);
  EXPECT_EQ(wrappedAll[0].id, idA);
  EXPECT_EQ(wrappedAll[0].voxels, 10);
  // The faces record the domain faces touched, even though the cluster wraps around them.
  EXPECT_EQ(int(wrappedAll[0].faces), kFaceXMinus | kFaceXPlus);
  EXPECT_EQ(wrapped.percolatingMask(kX), c.mask);
  for (size_t v = 0; v < c.mask.size(); ++v) EXPECT_EQ(wrapped.clusterOf[v], c.mask[v] ? idA : -1);
}

TEST(Connectivity, ClusterIdIsTheMinimumNaturalIndexOfItsVoxels) {
  // Checked from the labels alone: per cluster, the minimum natural index over all ranks' voxels.
  const std::array<int64_t, 3> n{37, 29, 23};
  const Shape f = randomShape(n, 21, 0.45);
  Case c = makeCase(n, f);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask, {true, false, true});
  const std::vector<Cluster> rAll = everyCluster(r);
  std::vector<int64_t> minNat(rAll.size(), INT64_MAX), count(rAll.size(), 0);
  const Box3& b = c.grid->owned();
  for (int64_t k = b.lo[2]; k < b.lo[2] + b.size[2]; ++k)
    for (int64_t j = b.lo[1]; j < b.lo[1] + b.size[1]; ++j)
      for (int64_t i = b.lo[0]; i < b.lo[0] + b.size[0]; ++i) {
        const int64_t id = r.clusterOf[c.grid->localIndex(i, j, k)];
        if (id < 0) continue;
        const auto it = std::lower_bound(rAll.begin(), rAll.end(), id,
                                         [](const Cluster& cl, int64_t v) { return cl.id < v; });
        ASSERT_TRUE(it != rAll.end() && it->id == id);
        const size_t q = static_cast<size_t>(it - rAll.begin());
        minNat[q] = std::min(minNat[q], c.grid->naturalIndex(i, j, k));
        count[q] += 1;
      }
  MPI_Allreduce(MPI_IN_PLACE, minNat.data(), static_cast<int>(minNat.size()), MPI_INT64_T, MPI_MIN,
                c.grid->comm());
  MPI_Allreduce(MPI_IN_PLACE, count.data(), static_cast<int>(count.size()), MPI_INT64_T, MPI_SUM,
                c.grid->comm());
  int64_t masked = 0;
  for (uint8_t m : c.mask) masked += m;
  MPI_Allreduce(MPI_IN_PLACE, &masked, 1, MPI_INT64_T, MPI_SUM, c.grid->comm());
  int64_t sum = 0;
  for (size_t q = 0; q < rAll.size(); ++q) {
    EXPECT_EQ(rAll[q].id, minNat[q]);
    EXPECT_EQ(rAll[q].voxels, count[q]);
    sum += rAll[q].voxels;
  }
  EXPECT_EQ(sum, masked);
  EXPECT_TRUE(std::is_sorted(rAll.begin(), rAll.end(),
                             [](const Cluster& a, const Cluster& b2) { return a.id < b2.id; }));
}

// Each rank keeps only the clusters with a voxel in its own box (with their global statistics), owns those
// whose id voxel it holds, and together the ranks own every cluster exactly once.
void checkLocalClusters(const Case& c, const ConnectivityResult& r) {
  const std::vector<Cluster> all = everyCluster(r);
  std::vector<int64_t> ids;
  for (int64_t id : r.clusterOf)
    if (id >= 0) ids.push_back(id);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  ASSERT_EQ(r.clusters.size(), ids.size());
  ASSERT_EQ(r.owner.size(), r.clusters.size());
  const Box3& b = c.grid->owned();
  const auto& n = c.grid->geometry().n;
  int64_t owned = 0;
  for (size_t q = 0; q < ids.size(); ++q) {
    const Cluster& cl = r.clusters[q];
    EXPECT_EQ(cl.id, ids[q]);
    const auto it =
        std::lower_bound(all.begin(), all.end(), cl.id, [](const Cluster& a, int64_t v) { return a.id < v; });
    ASSERT_TRUE(it != all.end() && it->id == cl.id);
    EXPECT_EQ(cl.voxels, it->voxels) << cl.id;
    EXPECT_EQ(int(cl.faces), int(it->faces)) << cl.id;
    const int64_t i = cl.id % n[0], j = cl.id / n[0] % n[1], k = cl.id / (n[0] * n[1]);
    const bool mine = i >= b.lo[0] && i < b.lo[0] + b.size[0] && j >= b.lo[1] && j < b.lo[1] + b.size[1] &&
                      k >= b.lo[2] && k < b.lo[2] + b.size[2];
    EXPECT_EQ(r.owner[q] == r.rank, mine) << cl.id;
    owned += r.owner[q] == r.rank ? 1 : 0;
  }
  MPI_Allreduce(MPI_IN_PLACE, &owned, 1, MPI_INT64_T, MPI_SUM, c.grid->comm());
  EXPECT_EQ(owned, static_cast<int64_t>(all.size()));
  EXPECT_EQ(r.totalClusters, static_cast<int64_t>(all.size()));
}

TEST(Connectivity, EachRankHoldsOnlyTheClustersOfItsBox) {
  const std::array<int64_t, 3> n{37, 29, 23};
  Case c = makeCase(n, randomShape(n, 31, 0.5));
  checkLocalClusters(c, labelClusters(*c.grid, c.mask));
  checkLocalClusters(c, labelClusters(*c.grid, c.mask, {true, true, true}));
}

// Salt and pepper: a sparse random mask is almost all single-voxel specks (p = 0.04: ~10000 clusters in
// 64^3). The labels match the serial search, and no rank holds more clusters than it has voxels of its own:
// on two ranks each holds about half, not the whole list.
TEST(Connectivity, SaltAndPepperClustersStayOnTheirRanks) {
  const std::array<int64_t, 3> n{64, 64, 64};
  const Shape f = randomShape(n, 41, 0.04);
  checkAgainstReference(n, f, {false, false, false});
  Case c = makeCase(n, f);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  checkLocalClusters(c, r);
  int64_t masked = 0;
  for (uint8_t m : c.mask) masked += m;
  EXPECT_LE(static_cast<int64_t>(r.clusters.size()), masked);
  EXPECT_GT(r.totalClusters, 8000);
  int size = 1;
  MPI_Comm_size(c.grid->comm(), &size);
  if (size > 1) {
    EXPECT_LT(static_cast<double>(r.clusters.size()), 1.2 * static_cast<double>(r.totalClusters) / size);
  }
}

TEST(Connectivity, BadInputsThrowInputError) {
  const std::array<int64_t, 3> n{8, 6, 5};
  Case c = makeCase(n, [](int64_t i, int64_t, int64_t) { return i < 3; });
  // A wrong mask length on one rank only must still throw on every rank (no rank left in a collective).
  int rank = 0;
  MPI_Comm_rank(PETSC_COMM_WORLD, &rank);
  std::vector<uint8_t> bad = c.mask;
  if (rank == 0) bad.push_back(1);
  EXPECT_THROW(labelClusters(*c.grid, bad), InputError);
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  EXPECT_THROW(r.percolatingMask(3), InputError);
  EXPECT_THROW(r.percolatingMask(-1), InputError);
  EXPECT_THROW(r.touchingMask(64), InputError);
  EXPECT_THROW(r.cluster(1), InputError);  // voxel 1 is in the cluster of voxel 0, whose id is 0
  // cluster() knows the clusters with a voxel on this rank (with their global statistics).
  if (std::find(r.clusterOf.begin(), r.clusterOf.end(), 0) != r.clusterOf.end()) {
    EXPECT_EQ(r.cluster(0).voxels, 3 * 6 * 5);
  } else {
    EXPECT_THROW(r.cluster(0), InputError);
  }
}

// Micro-benchmark, not run by ctest: --gtest_also_run_disabled_tests --gtest_filter='*Benchmark*'.
TEST(Connectivity, DISABLED_Benchmark256RandomP055) {
  const std::array<int64_t, 3> n{256, 256, 256};
  Case c = makeCase(n, randomShape(n, 7, 0.55));
  MPI_Barrier(c.grid->comm());
  const double t0 = MPI_Wtime();
  const ConnectivityResult r = labelClusters(*c.grid, c.mask);
  const std::vector<Cluster> rAll = everyCluster(r);
  const double t1 = MPI_Wtime();
  int64_t largest = 0;
  for (const Cluster& cl : rAll) largest = std::max(largest, cl.voxels);
  int size = 1;
  MPI_Comm_size(c.grid->comm(), &size);
  PetscPrintf(c.grid->comm(),
              "labelClusters 256^3 p=0.55 on %d rank(s): %.3f s, %zu clusters, largest %lld\n", size, t1 - t0,
              rAll.size(), static_cast<long long>(largest));
}

}  // namespace
}  // namespace ssb
