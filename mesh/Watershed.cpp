#include "mesh/Watershed.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <map>
#include <numeric>
#include <unordered_map>

#include "mesh/BoxExchange.hpp"
#include "mesh/DistanceTransform.hpp"
#include "solver/core/Error.hpp"

namespace ssb {

namespace {

// Every rank's vector concatenated in rank order, on every rank. Collective.
template <typename T>
std::vector<T> allgatherVector(MPI_Comm comm, const std::vector<T>& mine) {
  static_assert(std::is_trivially_copyable_v<T>);
  int size = 1;
  MPI_Comm_size(comm, &size);
  int64_t bytes = static_cast<int64_t>(mine.size() * sizeof(T));
  std::vector<int64_t> all(static_cast<size_t>(size));
  MPI_Allgather(&bytes, 1, MPI_INT64_T, all.data(), 1, MPI_INT64_T, comm);
  int64_t total = 0;
  std::vector<int> counts(static_cast<size_t>(size)), displs(static_cast<size_t>(size));
  for (int r = 0; r < size; ++r) {
    if (total + all[r] > std::numeric_limits<int>::max())
      throwRun("watershed: the basin graph ({} bytes) is too large to gather", total + all[r]);
    displs[r] = static_cast<int>(total);
    counts[r] = static_cast<int>(all[r]);
    total += all[r];
  }
  std::vector<T> out(static_cast<size_t>(total) / sizeof(T));
  MPI_Allgatherv(mine.data(), static_cast<int>(bytes), MPI_BYTE, out.data(), counts.data(), displs.data(),
                 MPI_BYTE, comm);
  return out;
}

struct Edge {
  int64_t a, b;  // basin peaks (natural indices), a < b
  double s;      // pass value: largest min(D(u), D(v)) over adjacent voxels u in a, v in b
};

struct Basin {
  int64_t peak;  // natural index
  double d2;     // D at the peak
  int64_t voxels;
};

}  // namespace

ParticleLabels particleIds(const StructuredGrid& grid, const std::vector<uint8_t>& mask,
                           const WatershedOptions& options) {
  MPI_Comm comm = grid.comm();
  const VoxelGrid& g = grid.geometry();
  const Box3& own = grid.owned();
  const auto& n = g.n;
  const double hmin = std::min({g.spacing[0], g.spacing[1], g.spacing[2]});
  ParticleLabels out;

  // Distance map; outside the mask -1 (so a neighbour outside is never an ascent target). A phase that sees
  // no background (fills an open-bordered domain) has D = +inf: one particle, made finite so keys compare.
  std::vector<double> d = squaredDistanceTransform(grid, mask, false);
  double span = 0;
  for (int a = 0; a < 3; ++a) span += static_cast<double>(n[a]) * g.spacing[a];
  for (size_t q = 0; q < d.size(); ++q) {
    if (!mask[q])
      d[q] = -1.0;
    else if (!std::isfinite(d[q]))
      d[q] = 4 * span * span;
  }
  Box3 hb;
  const std::vector<double> hd = haloExchange(grid, d, 1, &hb, -1.0);
  auto inHalo = [&](int64_t i, int64_t j, int64_t k) {
    return i >= hb.lo[0] && j >= hb.lo[1] && k >= hb.lo[2] && i < hb.lo[0] + hb.size[0] &&
           j < hb.lo[1] + hb.size[1] && k < hb.lo[2] + hb.size[2];
  };
  auto natural = [&](int64_t i, int64_t j, int64_t k) { return (k * n[1] + j) * n[0] + i; };
  auto coords = [&](int64_t nat, int64_t c[3]) {
    c[0] = nat % n[0];
    c[1] = (nat / n[0]) % n[1];
    c[2] = nat / (n[0] * n[1]);
  };
  auto isOwned = [&](const int64_t c[3]) {
    for (int a = 0; a < 3; ++a)
      if (c[a] < own.lo[a] || c[a] >= own.lo[a] + own.size[a]) return false;
    return true;
  };

  // Steepest ascent: parent = natural index of the highest-key 26-neighbour above the voxel (itself at a
  // peak).
  const size_t N = mask.size();
  std::vector<int64_t> parent(N, -1);
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    if (!mask[li]) return;
    double bestD = d[li];
    int64_t best = natural(i, j, k);
    for (int dz = -1; dz <= 1; ++dz)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dx = -1; dx <= 1; ++dx) {
          if (!dx && !dy && !dz) continue;
          const int64_t a = i + dx, b = j + dy, c = k + dz;
          if (!inHalo(a, b, c)) continue;
          const double dn = hd[boxIndex(hb, a, b, c)];
          if (dn < 0) continue;
          const int64_t nat = natural(a, b, c);
          if (dn > bestD || (dn == bestD && nat > best)) bestD = dn, best = nat;
        }
    parent[li] = best;
  });

  // Peak of every voxel: follow parents inside the block (memoised), take the halo's answer where the chain
  // leaves it, and repeat with fresh halos until every voxel knows its peak.
  std::vector<int64_t> peak(N, -1);
  std::vector<int64_t> stack;
  for (;;) {
    ++out.rounds;
    Box3 lb;
    const std::vector<int64_t> halo = haloExchange(grid, peak, 1, &lb, int64_t(-1));
    int64_t unresolved = 0;
    grid.forEachOwned([&](int64_t, int64_t, int64_t, int64_t li0) {
      if (!mask[li0] || peak[li0] >= 0) return;
      stack.clear();
      int64_t li = li0, found = -1;
      for (;;) {
        stack.push_back(li);
        int64_t c[3];
        coords(parent[li], c);
        if (isOwned(c)) {
          const int64_t pl = grid.localIndex(c[0], c[1], c[2]);
          if (pl == li) {  // a peak
            found = parent[li];
            break;
          }
          if (peak[pl] >= 0) {
            found = peak[pl];
            break;
          }
          li = pl;
          continue;
        }
        found = halo[boxIndex(lb, c[0], c[1], c[2])];  // -1 until the owner has resolved it
        break;
      }
      for (int64_t s : stack) peak[s] = found;
      if (found < 0) unresolved += static_cast<int64_t>(stack.size());
    });
    int64_t total = 0;
    MPI_Allreduce(&unresolved, &total, 1, MPI_INT64_T, MPI_SUM, comm);
    if (total == 0) break;
    if (out.rounds > 10000) throwRun("watershed: peak search did not converge ({} voxels left)", total);
  }

  // Basin graph: pass values between touching basins, and each basin's peak height and size.
  Box3 pb;
  const std::vector<int64_t> hpeak = haloExchange(grid, peak, 1, &pb, int64_t(-1));
  struct PairHash {
    size_t operator()(const std::pair<int64_t, int64_t>& p) const {
      return std::hash<int64_t>()(p.first * 0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(p.second));
    }
  };
  std::unordered_map<std::pair<int64_t, int64_t>, double, PairHash> pass;
  std::unordered_map<int64_t, int64_t> size;
  std::vector<Basin> basins;
  grid.forEachOwned([&](int64_t i, int64_t j, int64_t k, int64_t li) {
    if (!mask[li]) return;
    const int64_t pv = peak[li];
    ++size[pv];
    if (pv == natural(i, j, k)) basins.push_back({pv, d[li], 0});
    // The 13 forward neighbours: each adjacent voxel pair is seen once, by the rank owning its lower voxel.
    for (int dz = 0; dz <= 1; ++dz)
      for (int dy = dz ? -1 : 0; dy <= 1; ++dy)
        for (int dx = (dz || dy) ? -1 : 1; dx <= 1; ++dx) {
          const int64_t a = i + dx, b = j + dy, c = k + dz;
          if (!inHalo(a, b, c)) continue;
          const int64_t pu = hpeak[boxIndex(pb, a, b, c)];
          if (pu < 0 || pu == pv) continue;
          const double s = std::min(d[li], hd[boxIndex(hb, a, b, c)]);
          auto key = std::make_pair(std::min(pu, pv), std::max(pu, pv));
          auto it = pass.find(key);
          if (it == pass.end())
            pass.emplace(key, s);
          else
            it->second = std::max(it->second, s);
        }
  });
  std::vector<Edge> edges;
  edges.reserve(pass.size());
  for (const auto& [key, s] : pass) edges.push_back({key.first, key.second, s});
  struct Count {
    int64_t peak, voxels;
  };
  std::vector<Count> counts;
  for (const auto& [p, c] : size) counts.push_back({p, c});
  std::vector<Edge> allEdges = allgatherVector(comm, edges);
  std::vector<Basin> allBasins = allgatherVector(comm, basins);
  std::vector<Count> allCounts = allgatherVector(comm, counts);

  // The same merge on every rank: basins by peak index, edges by decreasing pass value.
  std::sort(allBasins.begin(), allBasins.end(),
            [](const Basin& a, const Basin& b) { return a.peak < b.peak; });
  const size_t B = allBasins.size();
  auto basinOf = [&](int64_t p) {
    auto it = std::lower_bound(allBasins.begin(), allBasins.end(), p,
                               [](const Basin& b, int64_t v) { return b.peak < v; });
    return static_cast<size_t>(it - allBasins.begin());
  };
  for (const Count& c : allCounts) allBasins[basinOf(c.peak)].voxels += c.voxels;
  std::sort(allEdges.begin(), allEdges.end(), [](const Edge& x, const Edge& y) {
    if (x.a != y.a) return x.a < y.a;
    if (x.b != y.b) return x.b < y.b;
    return x.s > y.s;
  });
  // One entry per pair (the largest pass value seen by any rank), then highest pass first.
  std::vector<Edge> uniq;
  for (const Edge& e : allEdges)
    if (uniq.empty() || uniq.back().a != e.a || uniq.back().b != e.b) uniq.push_back(e);
  std::sort(uniq.begin(), uniq.end(), [](const Edge& x, const Edge& y) {
    if (x.s != y.s) return x.s > y.s;
    if (x.a != y.a) return x.a < y.a;
    return x.b < y.b;
  });
  std::vector<size_t> up(B);
  std::iota(up.begin(), up.end(), 0);
  std::vector<size_t> top(B);  // per root: the basin of the region's highest peak
  std::iota(top.begin(), top.end(), 0);
  auto find = [&](size_t x) {
    while (up[x] != x) x = up[x] = up[up[x]];
    return x;
  };
  auto higher = [&](size_t x, size_t y) {  // basin x's peak key above basin y's
    return allBasins[x].d2 > allBasins[y].d2 ||
           (allBasins[x].d2 == allBasins[y].d2 && allBasins[x].peak > allBasins[y].peak);
  };
  for (const Edge& e : uniq) {
    const size_t ra = find(basinOf(e.a)), rb = find(basinOf(e.b));
    if (ra == rb) continue;
    const size_t ta = top[ra], tb = top[rb];
    const size_t low = higher(ta, tb) ? tb : ta;
    const double rLow = std::sqrt(allBasins[low].d2);
    const double depth = rLow - std::sqrt(std::max(0.0, e.s));
    const double limit = std::max(options.minDepth * hmin, options.minRelativeDepth * rLow);
    if (depth >= limit) continue;
    const size_t keep = std::min(ra, rb), drop = std::max(ra, rb);
    up[drop] = keep;
    top[keep] = higher(ta, tb) ? ta : tb;
  }

  // Dense ids in the order of each particle's highest peak.
  std::vector<size_t> roots;
  for (size_t b = 0; b < B; ++b)
    if (find(b) == b) roots.push_back(b);
  std::sort(roots.begin(), roots.end(),
            [&](size_t x, size_t y) { return allBasins[top[x]].peak < allBasins[top[y]].peak; });
  std::vector<int64_t> idOfRoot(B, -1);
  out.particles.resize(roots.size());
  for (size_t q = 0; q < roots.size(); ++q) {
    idOfRoot[roots[q]] = static_cast<int64_t>(q);
    out.particles[q].peak = allBasins[top[roots[q]]].peak;
    out.particles[q].radius = std::sqrt(allBasins[top[roots[q]]].d2);
  }
  for (size_t b = 0; b < B; ++b) {
    ParticleInfo& p = out.particles[static_cast<size_t>(idOfRoot[find(b)])];
    p.voxels += allBasins[b].voxels;
    ++p.basins;
  }
  out.id.assign(N, -1);
  for (size_t q = 0; q < N; ++q)
    if (mask[q]) out.id[q] = idOfRoot[find(basinOf(peak[q]))];
  return out;
}

}  // namespace ssb
